// A checkpoint's life through the controller/agent protocol (docs/design.md)
// on a real control plane: the controller runs as its ServiceAccount, each
// node's agent is an AgentDouble under the agent's ServiceAccount. Happy path
// to Succeeded, an agent's own failure, the agent falling silent after its
// claim (AgentLost), a checkpoint outliving its timeout (DeadlineExceeded),
// ttlSecondsAfterFinished, and the archive finalizer handshake.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { archiveFinalizer, nodeLabel, resources } from '../../src/api/names.ts';
import { AgentDouble } from '../support/agent-double.ts';
import { createApiPod, createNamespace, deleteNode, ensureNode, type Pod } from '../support/api-pods.ts';
import { CheckpointHistory } from '../support/checkpoint-history.ts';
import { metricSum, metricsPort, scrape } from '../support/metrics.ts';
import type { OperatorProcess } from '../support/operator.ts';
import {
  conditionsOf, createCkpt, failedReason, getCkpt, sleep, startQuickController, startSuite, type Suite, waitFor, waitForCkpt, waitForEvent, waitForGone, waitForOutcome,
} from './checkpoint-support.ts';

describe('checkpoint lifecycle', () => {
  let s: Suite;
  let controller: OperatorProcess;
  let history: CheckpointHistory;
  const doubles: AgentDouble[] = [];
  let node1: AgentDouble;
  const pods = new Map<string, Pod>();
  const ns = 'shop';

  async function double(o: Omit<Parameters<typeof AgentDouble.start>[0], 'kubeconfig'>): Promise<AgentDouble> {
    const d = await AgentDouble.start({ ...o, kubeconfig: s.agentConfig });
    doubles.push(d);
    return d;
  }

  before(async () => {
    s = await startSuite();
    await createNamespace(s.admin, ns);
    for (let i = 1; i <= 6; i++) {
      await ensureNode(s.admin, `node-${i}`);
      pods.set(`node-${i}`, await createApiPod(s.admin, { namespace: ns, name: `web-${i}`, nodeName: `node-${i}`, containers: [{ name: 'app' }, { name: 'sidecar' }] }));
    }
    history = await CheckpointHistory.start(s.adminConfig);
    controller = await startQuickController(s);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), history.stop(), ...doubles.map((d) => d.stop())]);
    await s.stop();
  });

  it('takes a checkpoint to Succeeded through the node\'s agent, claimed once', async () => {
    node1 = await double({ nodeName: 'node-1', failWith: (c) => (c.metadata.name === 'agent-fails' ? { reason: 'CriuFailed', message: 'criu dump failed: (00.012) Error (compel/src/lib/infect.c:1551): Unable to seize' } : undefined) });
    await createCkpt(s.admin, ns, 'happy', { podName: 'web-1' });
    const done = await waitForOutcome(s.admin, ns, 'happy');
    assert.deepEqual(conditionsOf(done), { Ready: 'True/CheckpointCompleted', Succeeded: 'True/CheckpointCompleted' }, JSON.stringify(done.status));
    const st = done.status;
    const pod = pods.get('node-1');
    assert.ok(st !== undefined && pod !== undefined);
    assert.equal(st.nodeName, 'node-1');
    assert.equal(st.sourcePodUID, pod.metadata?.uid);
    assert.deepEqual(st.containers?.map((c) => [c.name, c.containerID]), pod.status?.containerStatuses?.map((c) => [c.name, c.containerID]));
    assert.ok((st.containers ?? []).every((c) => c.archive !== undefined));
    assert.equal(st.agent?.identity, node1.identity);
    assert.ok(st.startTime !== undefined && st.completionTime !== undefined && st.durationMillis !== undefined);
    assert.equal(done.metadata.labels?.[nodeLabel], 'node-1');
    assert.ok(done.metadata.finalizers?.includes(archiveFinalizer));
    const uid = done.metadata.uid ?? '';
    assert.equal(node1.claimsOf(uid), 1);
    const handed = await waitForEvent(s.admin, ns, 'happy', 'HandedToAgent');
    assert.equal(handed.type, 'Normal');
    assert.match(handed.note ?? '', /node-1: app, sidecar/);
    assert.deepEqual(history.of(uid).map((o) => o.step), ['created', 'routed', 'handed-off', 'claimed', 'progress', 'progress', 'finished'], history.describe(uid));
    const port = await metricsPort(controller);
    await waitFor('the controller to count the success', async () => (metricSum(await scrape(port), 'ckpt_checkpoints_total', { result: 'succeeded' }) === 1 ? true : undefined), 30_000);
  });

  it('keeps the agent\'s own failure as the outcome', async () => {
    await createCkpt(s.admin, ns, 'agent-fails', { podName: 'web-1' });
    const done = await waitForOutcome(s.admin, ns, 'agent-fails');
    assert.equal(failedReason(done), 'CriuFailed');
    assert.match(done.status?.containers?.[0]?.message ?? '', /Unable to seize/);
    assert.deepEqual(history.violations(done.metadata.uid ?? ''), []);
  });

  it('fails AgentLost when the agent falls silent after claiming', async () => {
    const silent = await double({ nodeName: 'node-2', mode: 'silent-after-claim', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 });
    await createCkpt(s.admin, ns, 'lost', { podName: 'web-2' });
    const claimed = await waitForCkpt(s.admin, ns, 'lost', 'claimed', (c) => c.status?.agent !== undefined);
    assert.equal(claimed.status?.agent?.identity, silent.identity);
    const done = await waitForOutcome(s.admin, ns, 'lost', 60_000);
    assert.equal(failedReason(done), 'AgentLost', JSON.stringify(done.status));
    assert.match(done.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '', new RegExp(`${silent.identity}.*stopped renewing`));
    assert.equal(silent.claimsOf(done.metadata.uid ?? ''), 1);
    assert.equal(silent.counts.succeeded + silent.counts.failed, 0);
    // Declared lost only once the Lease ran out: 3 s after its last renewal, at or after the claim.
    const lostAfter = new Date(done.status?.completionTime ?? 0).getTime() - new Date(claimed.status.agent.claimTime).getTime();
    assert.ok(lostAfter >= 2000, `AgentLost ${lostAfter} ms after the claim, before the Lease could run out`);
    const ev = await waitForEvent(s.admin, ns, 'lost', 'AgentLost');
    assert.equal(ev.type, 'Warning');
  });

  it('fails DeadlineExceeded when the agent outlives timeoutSeconds, and refuses its late result', async () => {
    const slow = await double({ nodeName: 'node-3', mode: 'slow', workMs: 10_000 });
    await createCkpt(s.admin, ns, 'slow', { podName: 'web-3', timeoutSeconds: 2 });
    const done = await waitForOutcome(s.admin, ns, 'slow', 60_000);
    assert.equal(failedReason(done), 'DeadlineExceeded', JSON.stringify(done.status));
    assert.match(done.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '', /timeoutSeconds \(2\)/);
    await waitForEvent(s.admin, ns, 'slow', 'DeadlineExceeded');
    // The agent's code refuses to write over the controller's verdict.
    await waitFor('the late result to be refused', () => Promise.resolve(slow.counts.refused === 1 ? true : undefined), 60_000);
    const after = await getCkpt(s.admin, ns, 'slow');
    assert.equal(after === undefined ? undefined : failedReason(after), 'DeadlineExceeded');
    assert.deepEqual(history.violations(done.metadata.uid ?? ''), []);
  });

  it('deletes finished checkpoints after ttlSecondsAfterFinished, through the agent when it has an archive', async () => {
    await createCkpt(s.admin, ns, 'ttl-ok', { podName: 'web-1', ttlSecondsAfterFinished: 2 });
    await createCkpt(s.admin, ns, 'ttl-refused', { podName: 'ghost', ttlSecondsAfterFinished: 1 });
    const ok = await waitForOutcome(s.admin, ns, 'ttl-ok');
    assert.equal(failedReason(ok), undefined);
    await Promise.all([waitForGone(s.admin, ns, 'ttl-ok'), waitForGone(s.admin, ns, 'ttl-refused')]);
    const uid = ok.metadata.uid ?? '';
    // The agent let the finalizer go: that removal is the deletion itself.
    assert.deepEqual(history.of(uid).slice(-2).map((o) => o.step), ['deleting', 'deleted'], history.describe(uid));
    await waitFor('the agent to release the finalizer', () => Promise.resolve(node1.counts.finalizersRemoved === 1 ? true : undefined), 10_000);
    const gone = history.of(uid).at(-1)?.at ?? 0;
    const completed = new Date(ok.status?.completionTime ?? 0).getTime();
    assert.ok(gone - completed >= 1000, `deleted ${gone - completed} ms after completion, before its TTL`);
  });

  it('deletes a checkpoint that was never handed off at once', async () => {
    // node-4 has no agent: the checkpoint waits, Pending, for one.
    await createCkpt(s.admin, ns, 'never-waiting', { podName: 'web-4' });
    await waitForCkpt(s.admin, ns, 'never-waiting', 'waiting for an agent', (c) => conditionsOf(c).Ready === 'False/Pending');
    // As if the controller died between adding the finalizer and the hand-off.
    await createCkpt(s.admin, ns, 'never-refused', { podName: 'ghost' }, { finalizers: [archiveFinalizer] });
    await waitForOutcome(s.admin, ns, 'never-refused');
    for (const name of ['never-waiting', 'never-refused']) {
      await s.admin.delete(resources.containerCheckpoints, name, ns);
      await waitForGone(s.admin, ns, name, 30_000);
    }
  });

  it('deletes a handed-off checkpoint no agent claimed without waiting for an agent', async () => {
    // One slot, taken by a slow checkpoint: the next one is handed off and waits unclaimed.
    const busy = await double({ nodeName: 'node-4', mode: 'slow', workMs: 30_000, maxConcurrent: 1 });
    await createCkpt(s.admin, ns, 'busy', { podName: 'web-4', timeoutSeconds: 600 });
    await waitForCkpt(s.admin, ns, 'busy', 'claimed', (c) => c.status?.agent !== undefined);
    await createCkpt(s.admin, ns, 'queued', { podName: 'web-4' });
    await waitForCkpt(s.admin, ns, 'queued', 'handed off', (c) => c.status?.nodeName === 'node-4');
    await sleep(1000);
    const queued = await getCkpt(s.admin, ns, 'queued');
    assert.equal(queued?.status?.agent, undefined, 'the busy agent claimed it anyway');
    assert.ok(queued?.metadata.finalizers?.includes(archiveFinalizer));
    // The agent could let it go too; silenced, only the controller can.
    busy.silence();
    await s.admin.delete(resources.containerCheckpoints, 'queued', ns);
    await waitForGone(s.admin, ns, 'queued', 30_000);
    assert.equal(busy.claimsOf(queued?.metadata.uid ?? ''), 0);
  });

  it('keeps a claimed checkpoint until its agent has removed the archive', async () => {
    let agent = await double({ nodeName: 'node-5' });
    await createCkpt(s.admin, ns, 'archived', { podName: 'web-5' });
    const done = await waitForOutcome(s.admin, ns, 'archived');
    assert.equal(failedReason(done), undefined);
    await agent.stop();
    await s.admin.delete(resources.containerCheckpoints, 'archived', ns);
    await sleep(5000);
    const held = await getCkpt(s.admin, ns, 'archived');
    assert.ok(held?.metadata.deletionTimestamp !== undefined, 'the checkpoint went without its agent');
    agent = await double({ nodeName: 'node-5' });
    await waitForGone(s.admin, ns, 'archived', 60_000);
    const successor = agent;
    await waitFor('the new agent to release the finalizer', () => Promise.resolve(successor.counts.finalizersRemoved === 1 ? true : undefined), 10_000);
  });

  it('releases the finalizer itself when the node is gone', async () => {
    const agent = await double({ nodeName: 'node-6' });
    await createCkpt(s.admin, ns, 'orphan', { podName: 'web-6' });
    const done = await waitForOutcome(s.admin, ns, 'orphan');
    assert.equal(failedReason(done), undefined);
    await agent.stop();
    await s.admin.delete(resources.containerCheckpoints, 'orphan', ns);
    // Longer than --agent-wait, the last requeue the hand-off left: from here
    // only the node's deletion can wake the checkpoint.
    await sleep(6000);
    assert.ok((await getCkpt(s.admin, ns, 'orphan')) !== undefined, 'released before the node went');
    await deleteNode(s.admin, 'node-6');
    await waitForGone(s.admin, ns, 'orphan', 60_000);
    assert.equal(agent.counts.finalizersRemoved, 0);
  });

  it('wrote every step once', () => {
    assert.deepEqual(history.allViolations(), []);
    const total = doubles.reduce((a, d) => a + d.counts.claims, 0);
    const claimedUids = new Set(doubles.flatMap((d) => d.claims.map((c) => c.uid)));
    assert.equal(claimedUids.size, total, 'a checkpoint was claimed twice');
  });
});
