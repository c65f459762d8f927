// The API against the real kube-apiserver: every bad manifest in the table is
// refused by `kubectl apply` with a message naming the field, every example is
// accepted, the spec cannot change after creation, and kubectl shows the
// printer columns and field descriptions.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { repoDir } from '../env/paths.ts';
import { waitFor } from '../env/run.ts';
import { TestCluster } from '../support/cluster.ts';
import { badManifests } from '../fixtures/bad-manifests.ts';

describe('ckpt.dev API on kube-apiserver', () => {
  let cluster: TestCluster;
  const ns = 'api-test';
  before(async () => {
    cluster = await TestCluster.start();
    await cluster.kubectlOk(['create', 'namespace', ns]);
  });
  after(async () => { await cluster.stop(); });

  describe('refuses bad manifests at kubectl apply', () => {
    for (const bad of badManifests) {
      it(bad.name, async () => {
        const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: stringify(bad.manifest) });
        const out = r.stderr + r.stdout;
        assert.notEqual(r.code, 0, `accepted: ${out}`);
        assert.ok(out.includes(bad.fragment), `want "${bad.fragment}" in: ${out}`);
        assert.ok(out.includes(bad.field), `want the field ${bad.field} named in: ${out}`);
      });
    }
  });

  it('accepts every example', async () => {
    for (const f of (await readdir(join(repoDir, 'examples'))).filter((n) => n.endsWith('.yaml'))) {
      await cluster.kubectlOk(['apply', '-n', ns, '-f', join(repoDir, 'examples', f)]);
    }
    const names = await cluster.kubectlOk(['get', 'ckpt', '-n', ns, '-o', 'name']);
    assert.match(names, /containercheckpoint.ckpt.dev\/demo-checkpoint\n/);
  });

  it('applies defaults', async () => {
    const out = await cluster.kubectlOk(['get', 'ckpt', 'demo-checkpoint', '-n', ns, '-o', 'json']);
    const spec = (JSON.parse(out) as { spec: { options: Record<string, unknown>; archive: Record<string, unknown>; timeoutSeconds: number } }).spec;
    assert.equal(spec.options.leaveRunning, true);
    assert.equal(spec.options.manageCgroupsMode, 'Soft');
    assert.equal(spec.archive.compression, 'Zstd');
    assert.equal(spec.timeoutSeconds, 120);
  });

  it('refuses a spec change after creation', async () => {
    const manifest = { apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name: 'immutable' }, spec: { podName: 'a' } };
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], { input: stringify(manifest) });
    const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: stringify({ ...manifest, spec: { podName: 'b' } }) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec: Invalid value: .*spec is immutable/);
    const label = await cluster.kubectl(['label', '-n', ns, 'ckpt', 'immutable', 'team=a']);
    assert.equal(label.code, 0, 'metadata stays mutable');
  });

  it('ignores status written through the main resource', async () => {
    await cluster.kubectlOk(['patch', '-n', ns, 'ckpt', 'immutable', '--type=merge', '-p', '{"status":{"nodeName":"forged"}}']);
    // The status subresource is the only way in, and only for those allowed to use it.
    const node = await cluster.kubectlOk(['get', '-n', ns, 'ckpt', 'immutable', '-o', 'jsonpath={.status.nodeName}']);
    assert.equal(node, '');
  });

  it('shows the printer columns', async () => {
    const plain = await cluster.kubectlOk(['get', 'ckpt', '-n', ns]);
    assert.match(plain.split('\n')[0] ?? '', /^NAME\s+POD\s+NODE\s+STATE\s+SIZE\s+AGE$/);
    const wide = await cluster.kubectlOk(['get', 'ckpt', '-n', ns, '-o', 'wide']);
    assert.match(wide.split('\n')[0] ?? '', /DURATION-MS\s+FROZEN-US\s+REASON$/);
    const sched = await cluster.kubectlOk(['get', 'ckptsched', '-n', ns]);
    assert.match(sched.split('\n')[0] ?? '', /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+LAST\s+NEXT\s+AGE$/);
    const all = await cluster.kubectlOk(['get', 'ckpt', '-A', '--no-headers']);
    assert.ok(all.split('\n').length > 2);
    const category = await cluster.kubectlOk(['get', 'ckpt-operator', '-n', ns, '-o', 'name']);
    assert.match(category, /containercheckpoint\.ckpt\.dev\/demo-checkpoint/);
    assert.match(category, /checkpointschedule\.ckpt\.dev\/demo-hourly/);
  });

  it('explains every documented field', async () => {
    const explain = (path: string): Promise<string> => waitFor(`kubectl explain ${path}`, async () => {
      const r = await cluster.kubectl(['explain', path]);
      return r.code === 0 ? r.stdout : undefined;
    }, 30_000, 500);
    assert.match(await explain('ckpt.spec.options.pageServer.port'), /TCP port of the CRIU page server/);
    assert.match(await explain('ckpt.status.containers.archive.sizeBytes'), /decimal string/);
    assert.match(await explain('ckptsched.spec.retention.keepLast'), /Keep at most/);
    assert.match(await explain('clustercheckpointschedules.spec.namespaceSelector'), /Namespaces whose pods/);
  });
});
