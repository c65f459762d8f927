// End to end on the real parts: a ContainerCheckpoint for a pod whose
// container runs under containerd is resolved by the controller, claimed and
// dumped by the agent inside the node (both running as their deploy/
// ServiceAccounts), and ends Succeeded with CRIU statistics and an archive
// that stock tools accept: runc restore continues the process from the
// checkpointed state (oracle 1) and checkpointctl reads the archive (oracle 2).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { TestCluster } from '../support/cluster.ts';
import { createCheckpoint, failure, waitForOutcome } from '../support/checkpoints.ts';
import { TestNode } from '../support/node.ts';
import { agentArchiveRoot, startAgent, startController, type OperatorProcess } from '../support/operator.ts';
import { startPod, type RunningPod } from '../support/pods.ts';
import { removeRestored, restoreWithRunc } from '../support/restore.ts';
import { ticks, ticksAfter } from '../support/workload.ts';

describe('checkpoint end to end', () => {
  let cluster: TestCluster;
  let node: TestNode;
  let controller: OperatorProcess;
  let agent: OperatorProcess;
  let pod: RunningPod;
  const ns = 'shop';

  before(async () => {
    [cluster, node] = await Promise.all([TestCluster.start(), TestNode.start()]);
    await cluster.installRbac();
    await cluster.kubectlOk(['create', 'namespace', ns]);
    await cluster.kubectlOk(['label', 'namespace', ns, 'ckpt.dev/checkpoints=enabled']);
    pod = await startPod(cluster, node, { namespace: ns, name: 'web', nodeName: 'node-1', containers: [{ name: 'app', args: ['/bin/workload', 'mem', '32'] }] });
    [controller, agent] = await Promise.all([startController(cluster), startAgent(cluster, node, { nodeName: 'node-1' })]);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), agent.stop()]);
    await Promise.all([cluster.stop(), node.stop()]);
  });

  let done: ContainerCheckpoint;
  let archiveHost: string;
  let ticksBefore: number;

  it('reaches Succeeded with statistics and an archive', async () => {
    const app = pod.containers.app;
    assert.ok(app !== undefined);
    ticksBefore = await ticksAfter(node, app.pid, 20, 20_000);
    await createCheckpoint(cluster, ns, 'first', { podName: 'web' });
    done = await waitForOutcome(cluster, ns, 'first');
    assert.equal(failure(done), undefined, JSON.stringify(done.status, null, 2) + agent.logs().slice(-3000));
    const s = done.status;
    assert.ok(s !== undefined);
    assert.equal(s.nodeName, 'node-1');
    assert.equal(s.sourcePodUID, pod.uid);
    assert.match(s.agent?.identity ?? '', /./);
    const ct = s.containers?.[0];
    assert.equal(ct?.name, 'app');
    assert.equal(ct.containerID, `containerd://${app.id}`);
    assert.ok(ct.statistics !== undefined && ct.statistics.pagesWritten >= 8192, JSON.stringify(ct.statistics));
    assert.ok(ct.statistics.frozenTimeMicros > 0);
    assert.ok(ct.archive !== undefined);
    assert.equal(ct.archive.compression, 'Zstd');
    archiveHost = join(node.info.share, 'archives', ct.archive.path);
    const bytes = await readFile(archiveHost);
    assert.equal(ct.archive.sizeBytes, String(bytes.length));
    assert.equal(ct.archive.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(s.totalSizeBytes, String(bytes.length));
    assert.equal((await stat(archiveHost)).mode & 0o777, 0o600);
    const conditions = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
    assert.deepEqual(conditions, { Ready: 'True/CheckpointCompleted', Succeeded: 'True/CheckpointCompleted' });
    // leaveRunning (the default): the container runs on.
    await ticksAfter(node, app.pid, await ticks(node, app.pid));
  });

  it('shows the columns in kubectl get', async () => {
    const out = await cluster.kubectlOk(['get', 'ckpt', 'first', '-n', ns, '-o', 'wide']);
    assert.match(out, /first\s+web\s+node-1\s+CheckpointCompleted\s+\d+\s+\S+\s+\d+\s+\d+/);
  });

  it('restores with runc into a process that continues from the checkpoint (oracle 1)', async () => {
    const inNode = `${agentArchiveRoot}/${done.status?.containers?.[0]?.archive?.path ?? ''}`;
    const restored = await restoreWithRunc(node, inNode, pod.containers.app?.id ?? '', 'restored-first');
    try {
      const t = await ticksAfter(node, restored.pid, 0);
      assert.ok(t >= ticksBefore, `restored counter ${t} should continue from at least ${ticksBefore}, not restart from 1`);
      await ticksAfter(node, restored.pid, t);
    } finally {
      await removeRestored(node, restored);
    }
  });

  it('is read by checkpointctl (oracle 2)', async () => {
    const inNode = `${agentArchiveRoot}/${done.status?.containers?.[0]?.archive?.path ?? ''}`;
    await node.execOk(['sh', '-c', `zstd -q -d -f ${inNode} -o /ckpt/first.tar`]);
    const show = await node.execOk(['checkpointctl', 'show', '/ckpt/first.tar']);
    assert.match(show, /app/);
    assert.match(show, /containerd/);
    const inspect = await node.execOk(['checkpointctl', 'inspect', '--all', '/ckpt/first.tar']);
    assert.match(inspect, /workload mem 32/);
    assert.match(inspect, /Pages written/);
    assert.match(inspect, /io.kubernetes.cri.sandbox-name: web/);
  });

  it('deletes the archive with the resource', async () => {
    await cluster.kubectlOk(['delete', 'ckpt', 'first', '-n', ns, '--wait=true', '--timeout=60s']);
    await assert.rejects(stat(archiveHost));
  });
});
