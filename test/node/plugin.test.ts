// The kubectl plugin as a user runs it: the real kubectl finds bin/kubectl-ckpt
// on PATH and runs it against a real control plane, with the real controller
// and agent (as their ServiceAccounts) checkpointing a container under
// containerd. Checks what people rely on: progress while waiting, the exit
// code (0 succeeded, 1 failed or refused by the server, 2 bad flags), the
// summary, runc's flags landing in the spec, and list's table, JSON and YAML.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { repoDir } from '../env/paths.ts';
import { run, type RunResult } from '../env/run.ts';
import { TestCluster } from '../support/cluster.ts';
import { getCheckpoint } from '../support/checkpoints.ts';
import { TestNode } from '../support/node.ts';
import { startAgent, startController, type OperatorProcess } from '../support/operator.ts';
import { startPod } from '../support/pods.ts';

interface CheckpointList { apiVersion: string; kind: string; items: ContainerCheckpoint[] }

describe('kubectl ckpt against the real controller and agent', () => {
  let cluster: TestCluster;
  let node: TestNode;
  let controller: OperatorProcess;
  let agent: OperatorProcess;
  const ns = 'shop';

  /** `kubectl ckpt ARGS` with the plugin on PATH, as the admin user unless a kubeconfig is given. */
  const ckpt = (args: string[], kubeconfig = cluster.info.kubeconfig): Promise<RunResult> => run([cluster.info.kubectl, 'ckpt', ...args], {
    env: { ...process.env, PATH: `${join(repoDir, 'bin')}:${process.env.PATH ?? ''}`, KUBECONFIG: kubeconfig },
    timeoutMs: 180_000,
  });
  const show = (r: RunResult): string => `exit ${String(r.code)}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}\n--- agent ---\n${agent.logs().slice(-2000)}`;

  before(async () => {
    [cluster, node] = await Promise.all([TestCluster.start(), TestNode.start()]);
    await cluster.installRbac();
    await cluster.kubectlOk(['create', 'namespace', ns]);
    await cluster.kubectlOk(['label', 'namespace', ns, 'ckpt.dev/checkpoints=enabled']);
    await cluster.kubectlOk(['create', 'namespace', 'empty']);
    await startPod(cluster, node, { namespace: ns, name: 'web', nodeName: 'node-1', containers: [{ name: 'app', args: ['/bin/workload', 'mem', '16'] }] });
    [controller, agent] = await Promise.all([startController(cluster), startAgent(cluster, node, { nodeName: 'node-1' })]);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), agent.stop()]);
    await Promise.all([cluster.stop(), node.stop()]);
  });

  it('is found by kubectl and prints its usage', async () => {
    const r = await ckpt(['--help']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Usage: kubectl ckpt COMMAND/);
    assert.match(r.stdout, /create POD/);
  });

  it('create --wait follows progress to Succeeded, exits 0 and prints a summary', async () => {
    const r = await ckpt(['create', 'web', '-n', ns, '--name', 'first', '--wait']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^containercheckpoint\.ckpt\.dev\/first created$/m);
    // Progress goes to stderr, one line per state change, ending in the outcome.
    assert.match(r.stderr, /CheckpointCompleted \(1\/1 containers\) on node-1/, show(r));
    // The summary: the archive with its size and digest, CRIU's statistics, the node.
    assert.match(r.stdout, /^ {2}app: shop\/first-[0-9a-f]{8}\/checkpoint-web_shop-app-\S+\.tar\.zst \(\d+(\.\d)?MiB, sha256 [0-9a-f]{16}…\)$/m, show(r));
    assert.match(r.stdout, /frozen \d+\.\d ms, memdump \d+\.\d ms, memwrite \d+\.\d ms, \d+ pages written/);
    assert.match(r.stdout, /node: node-1, took \d+ ms/);
    const c = await getCheckpoint(cluster, ns, 'first');
    assert.equal(c?.status?.conditions?.find((x) => x.type === 'Succeeded')?.status, 'True');
    // The CRD's defaults, which are runc's.
    assert.deepEqual(c.spec, {
      podName: 'web', timeoutSeconds: 120, archive: { compression: 'Zstd' },
      options: { leaveRunning: true, tcpEstablished: false, extUnixSk: false, shellJob: false, fileLocks: false, manageCgroupsMode: 'Soft', preDump: false },
    });
  });

  it('create maps runc flags into the spec and -o yaml --wait prints the finished object', async () => {
    const r = await ckpt(['create', 'web', '-n', ns, '--name', 'flags', '-c', 'app', '--leave-running', '--file-locks', '--tcp-established',
      '--manage-cgroups-mode', 'soft', '--compression', 'gzip', '--timeout', '90', '--ttl', '3600', '-o', 'yaml', '--wait']);
    assert.equal(r.code, 0, show(r));
    const c = parse(r.stdout) as ContainerCheckpoint;
    assert.equal(c.metadata.name, 'flags');
    assert.deepEqual(c.spec, {
      podName: 'web', containerNames: ['app'],
      options: { leaveRunning: true, fileLocks: true, tcpEstablished: true, manageCgroupsMode: 'Soft', extUnixSk: false, shellJob: false, preDump: false },
      archive: { compression: 'Gzip' }, timeoutSeconds: 90, ttlSecondsAfterFinished: 3600,
    });
    // The finished object, not the one just created.
    assert.equal(c.status?.conditions?.find((x) => x.type === 'Succeeded')?.status, 'True', r.stdout);
    assert.match(c.status.containers?.[0]?.archive?.path ?? '', /\.tar\.gz$/);
    assert.equal(r.stderr, '', 'no progress lines mixed into machine-readable output');
  });

  it('create -o name prints only the name and does not wait', async () => {
    const r = await ckpt(['create', 'web', '-n', ns, '-o', 'name']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^containercheckpoint\.ckpt\.dev\/web-[a-z0-9]{5}\n$/);
  });

  it('create --wait exits 1 with the reason when the checkpoint fails', async () => {
    const r = await ckpt(['create', 'ghost', '-n', ns, '--name', 'ghost', '--wait']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /^failed: PodNotFound: /m, show(r));
    assert.match(r.stderr, /CheckpointFailed/);
  });

  it('exits 2 on bad flags, before creating anything', async () => {
    for (const args of [
      ['create', 'web', '-n', ns, '--name', 'bad1', '--manage-cgroups-mode', 'bogus'],
      ['create', 'web', '-n', ns, '--name', 'bad2', '--page-server', 'nohost'],
      ['create', 'web', '-n', ns, '--name', 'bad3', '--timeout', 'soon'],
      ['create', 'web', '-n', ns, '--name', 'bad4', '-o', 'xml'],
      ['create', 'web', '-n', ns, '--name', 'bad5', '--no-such-flag'],
      ['create', '-n', ns],
      ['list', '-o', 'name'],
      ['frobnicate'],
    ]) {
      const r = await ckpt(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, /\S/, `${args.join(' ')} says why`);
    }
    const names = await cluster.kubectlOk(['get', 'ckpt', '-n', ns, '-o', 'name']);
    assert.doesNotMatch(names, /bad\d/);
  });

  it('exits 1 with the server\'s answer when RBAC refuses', async () => {
    // The agent's ServiceAccount may not create checkpoints.
    const kubeconfig = await cluster.serviceAccountKubeconfig('ckpt-system', 'ckpt-agent');
    const r = await ckpt(['create', 'web', '-n', ns], kubeconfig);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /^Error from server \(Forbidden\): .*cannot create resource "containercheckpoints"/m, show(r));
  });

  it('list shows state, node, reason, size and age', async () => {
    const r = await ckpt(['list', '-n', ns]);
    assert.equal(r.code, 0, show(r));
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME\s+POD\s+NODE\s+STATE\s+REASON\s+SIZE\s+AGE$/);
    const row = (name: string): string => rows.find((l) => l.startsWith(`${name} `)) ?? '';
    assert.match(row('first'), /^first\s+web\s+node-1\s+CheckpointCompleted\s+\d+(\.\d)?MiB\s+\d+s$/, r.stdout);
    assert.match(row('flags'), /^flags\s+web\s+node-1\s+CheckpointCompleted\s+\d+(\.\d)?[KM]iB\s+\d+s$/, r.stdout);
    assert.match(row('ghost'), /^ghost\s+ghost\s+CheckpointFailed\s+PodNotFound\s+\d+s$/, r.stdout);
  });

  it('list -A adds the namespace; an empty namespace says so', async () => {
    const all = await ckpt(['list', '-A']);
    assert.equal(all.code, 0, show(all));
    assert.match(all.stdout.split('\n')[0] ?? '', /^NAMESPACE\s+NAME\s+POD/);
    assert.match(all.stdout, /^shop\s+first\s+web/m);
    const none = await ckpt(['list', '-n', 'empty']);
    assert.equal(none.code, 0, show(none));
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'No checkpoints found in empty namespace.\n');
  });

  it('list -o json and -o yaml give the objects as a List', async () => {
    const decoders: Array<[string, (text: string) => unknown]> = [['json', (t) => JSON.parse(t) as unknown], ['yaml', (t) => parse(t) as unknown]];
    for (const [format, decode] of decoders) {
      const r = await ckpt(['list', '-n', ns, '-o', format]);
      assert.equal(r.code, 0, show(r));
      const list = decode(r.stdout) as CheckpointList;
      assert.equal(list.kind, 'List');
      const names = list.items.map((c) => c.metadata.name);
      for (const n of ['first', 'flags', 'ghost']) assert.ok(names.includes(n), `${format}: ${names.join(',')}`);
      const first = list.items.find((c) => c.metadata.name === 'first');
      assert.equal(first?.kind, 'ContainerCheckpoint');
      assert.equal(first.status?.nodeName, 'node-1');
      assert.match(first.status.totalSizeBytes ?? '', /^\d+$/);
    }
  });
});
