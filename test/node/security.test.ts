// The security model's guards, on the real parts: opt-in, the page server
// allowlist, the archive root that never follows a symlink, the pod re-check
// before a dump, file modes, least-privilege ServiceAccounts, audit events.
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { waitFor } from '../env/run.ts';
import { TestCluster } from '../support/cluster.ts';
import { createCheckpoint, failure, getCheckpoint, waitForOutcome } from '../support/checkpoints.ts';
import { TestNode } from '../support/node.ts';
import { startAgent, startController, type OperatorProcess } from '../support/operator.ts';
import { startPod, type RunningPod } from '../support/pods.ts';
import { ticksAfter } from '../support/workload.ts';

interface Event { reason: string; note?: string; regarding: { kind: string; name: string } }

describe('security', () => {
  let cluster: TestCluster;
  let node: TestNode;
  let controller: OperatorProcess;
  let agent: OperatorProcess | undefined;
  let pod: RunningPod;
  const ns = 'secure';
  const startTheAgent = async (): Promise<void> => {
    agent = await startAgent(cluster, node, { nodeName: 'node-1', args: ['--page-server-allowlist=10.99.0.0/16'] });
  };

  before(async () => {
    [cluster, node] = await Promise.all([TestCluster.start(), TestNode.start()]);
    await cluster.installRbac();
    for (const n of [ns, 'closed']) await cluster.kubectlOk(['create', 'namespace', n]);
    await cluster.kubectlOk(['label', 'namespace', ns, 'ckpt.dev/checkpoints=enabled']);
    pod = await startPod(cluster, node, { namespace: ns, name: 'web', nodeName: 'node-1', containers: [{ name: 'app', args: ['/bin/workload', 'mem', '8'] }] });
    await startPod(cluster, node, { namespace: 'closed', name: 'web', nodeName: 'node-1', containers: [{ name: 'app', args: ['/bin/workload', 'mem', '8'] }] });
    controller = await startController(cluster);
    await startTheAgent();
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), agent?.stop()]);
    await Promise.all([cluster.stop(), node.stop()]);
  });

  const events = async (namespace: string): Promise<Event[]> =>
    (JSON.parse(await cluster.kubectlOk(['get', 'events.events.k8s.io', '-n', namespace, '-o', 'json'])) as { items: Event[] }).items;

  it('refuses a namespace user whose namespace has not opted in (NotPermitted)', async () => {
    // A namespace user: may create checkpoints in "closed", nothing else.
    await cluster.kubectlOk(['create', 'serviceaccount', 'dev', '-n', 'closed']);
    await cluster.kubectlOk(['create', 'role', 'ckpt-user', '-n', 'closed', '--verb=create,get,list,watch', '--resource=containercheckpoints.ckpt.dev']);
    await cluster.kubectlOk(['create', 'rolebinding', 'ckpt-user', '-n', 'closed', '--role=ckpt-user', '--serviceaccount=closed:dev']);
    const kubeconfig = await cluster.serviceAccountKubeconfig('closed', 'dev');
    await cluster.kubectlOk(['apply', '-n', 'closed', '-f', '-'], { kubeconfig, input: stringify({ apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name: 'peek' }, spec: { podName: 'web' } }) });
    const c = await waitForOutcome(cluster, 'closed', 'peek');
    assert.equal(failure(c)?.reason, 'NotPermitted');
    assert.match(failure(c)?.message ?? '', /ckpt\.dev\/checkpoints=enabled/);
    assert.equal(c.status?.nodeName, undefined, 'never handed to a node');
    // Events are written asynchronously by the controller's recorder.
    await waitFor('NotPermitted events on the checkpoint and the pod', async () => {
      const list = await events('closed');
      const onCkpt = list.some((e) => e.reason === 'NotPermitted' && e.regarding.kind === 'ContainerCheckpoint' && e.regarding.name === 'peek');
      const onPod = list.some((e) => e.reason === 'NotPermitted' && e.regarding.kind === 'Pod' && e.regarding.name === 'web');
      return onCkpt && onPod ? true : undefined;
    }, 30_000, 250);
  });

  it('refuses a page server outside the allowlist before CRIU runs', async () => {
    await createCheckpoint(cluster, ns, 'exfil', { podName: 'web', options: { pageServer: { address: '192.0.2.10', port: 9000 } } });
    const c = await waitForOutcome(cluster, ns, 'exfil');
    assert.equal(failure(c)?.reason, 'PageServerNotAllowed');
    assert.match(failure(c)?.message ?? '', /outside the operator's page server allowlist/);
    // CRIU never started: no work directory, no dump.log.
    const dir = join(node.info.share, 'archives', ns);
    const leftovers = (await readdir(dir).catch(() => [])).filter((d) => d.startsWith('exfil-'));
    assert.deepEqual(leftovers, []);
  });

  it('does not follow a symlink planted in the archive root, and writes nothing outside it', async () => {
    const target = join(node.info.share, 'etc-standin');
    await mkdir(target);
    const root = join(node.info.share, 'archives');
    await mkdir(root, { recursive: true, mode: 0o700 });
    // The agent's next directory for namespace "secure" would be secure/<name>-<uid>:
    // replace the namespace directory by a symlink to somewhere else.
    const nsDir = join(root, ns);
    await import('node:fs/promises').then((fs) => fs.rm(nsDir, { recursive: true, force: true }));
    await symlink('/ckpt/etc-standin', nsDir);
    await createCheckpoint(cluster, ns, 'planted', { podName: 'web' });
    const c = await waitForOutcome(cluster, ns, 'planted');
    assert.equal(failure(c)?.reason, 'PathEscape', JSON.stringify(c.status));
    assert.deepEqual(await readdir(target), []);
    assert.ok((await lstat(nsDir)).isSymbolicLink());
    await import('node:fs/promises').then((fs) => fs.unlink(nsDir));
    await ticksAfter(node, pod.containers.app?.pid ?? 0, 0);
  });

  it('refuses a container whose ID changed between resolve and dump', async () => {
    // Pause the agent: its Lease stays fresh for a while, so the controller
    // still hands the checkpoint to the node, but nobody claims it yet.
    agent?.child.kill('SIGSTOP');
    try {
      await createCheckpoint(cluster, ns, 'swapped', { podName: 'web' });
      await waitFor('the hand-off', async () => ((await getCheckpoint(cluster, ns, 'swapped'))?.status?.nodeName === 'node-1' ? true : undefined), 10_000);
      // Between resolve and dump, the pod's container is replaced by another one.
      await cluster.kubectlOk(['patch', 'pod', 'web', '-n', ns, '--subresource=status', '--type=json', '-p',
        JSON.stringify([{ op: 'replace', path: '/status/containerStatuses/0/containerID', value: `containerd://${'f'.repeat(64)}` }])]);
    } finally {
      agent?.child.kill('SIGCONT');
    }
    const c = await waitForOutcome(cluster, ns, 'swapped');
    assert.equal(failure(c)?.reason, 'ContainerChanged', JSON.stringify(c.status));
    await cluster.kubectlOk(['patch', 'pod', 'web', '-n', ns, '--subresource=status', '--type=json', '-p',
      JSON.stringify([{ op: 'replace', path: '/status/containerStatuses/0/containerID', value: `containerd://${pod.containers.app?.id ?? ''}` }])]);
  });

  let done: ContainerCheckpoint;
  it('writes archives 0600 in 0700 directories', async () => {
    await createCheckpoint(cluster, ns, 'modes', { podName: 'web' });
    done = await waitForOutcome(cluster, ns, 'modes');
    assert.equal(failure(done), undefined, JSON.stringify(done.status));
    const rel = done.status?.containers?.[0]?.archive?.path ?? '';
    const file = join(node.info.share, 'archives', rel);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    let dir = join(file, '..');
    while (dir.length > join(node.info.share, 'archives').length) {
      assert.equal((await stat(dir)).mode & 0o777, 0o700, dir);
      dir = join(dir, '..');
    }
    assert.equal((await stat(join(node.info.share, 'archives'))).mode & 0o777, 0o700);
  });

  it('leaves audit events on the pod and the resource, with the exposure and the digest', async () => {
    const digestOnPod = done.status?.containers?.[0]?.archive?.sha256 ?? '';
    const list = await waitFor('the audit events', async () => {
      const l = await events(ns);
      return l.some((e) => e.regarding.kind === 'Pod' && (e.note ?? '').includes(digestOnPod)) ? l : undefined;
    }, 30_000, 250);
    const on = (kind: string, name: string, reason: string): Event | undefined => list.find((e) => e.regarding.kind === kind && e.regarding.name === name && e.reason === reason);
    const digest = done.status?.containers?.[0]?.archive?.sha256 ?? '';
    assert.match(on('ContainerCheckpoint', 'modes', 'CheckpointStarted')?.note ?? '', /started checkpointing app/);
    assert.match(on('ContainerCheckpoint', 'modes', 'CheckpointCompleted')?.note ?? '', new RegExp(digest));
    assert.match(on('Pod', 'web', 'CheckpointCompleted')?.note ?? '', new RegExp(digest));
    assert.ok(on('ContainerCheckpoint', 'exfil', 'PageServerNotAllowed') !== undefined || on('Pod', 'web', 'PageServerNotAllowed') !== undefined);
    const exfilStart = on('ContainerCheckpoint', 'exfil', 'CheckpointStarted');
    assert.match(exfilStart?.note ?? '', /widened exposure: page server 192\.0\.2\.10:9000/);
  });

  it('gives the operator ServiceAccounts no access to Secrets or exec', async () => {
    for (const sa of ['ckpt-controller', 'ckpt-agent']) {
      const as = `--as=system:serviceaccount:ckpt-system:${sa}`;
      for (const [verb, resource] of [['get', 'secrets'], ['list', 'secrets'], ['create', 'pods/exec'], ['create', 'pods/attach'], ['update', 'pods'], ['create', 'pods']]) {
        const r = await cluster.kubectl(['auth', 'can-i', verb ?? '', resource ?? '', '-A', as]);
        assert.equal(r.stdout.trim(), 'no', `${sa} can ${verb ?? ''} ${resource ?? ''}`);
      }
      const kubeconfig = await cluster.serviceAccountKubeconfig('ckpt-system', sa);
      const r = await cluster.kubectl(['get', 'secrets', '-A'], { kubeconfig });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /forbidden/);
    }
  });
});
