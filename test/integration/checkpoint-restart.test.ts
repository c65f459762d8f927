// Restarts in the middle of work, on a real control plane: the controller
// killed with SIGKILL (twice) while checkpoints are at every step, and the
// kube-apiserver restarted under a running controller and agents. Every
// checkpoint ends, none is claimed twice, no step is written twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFinished } from '../../src/api/checkpoint-state.ts';
import { AgentDouble, type AgentDoubleOptions } from '../support/agent-double.ts';
import { createApiPods, createNamespace, ensureNode } from '../support/api-pods.ts';
import { CheckpointHistory } from '../support/checkpoint-history.ts';
import type { OperatorProcess } from '../support/operator.ts';
import {
  type Ckpt, createCkpt, createCkpts, failedReason, killController, listCkpts, sleep, startQuickController, startSuite, stopController, type Suite, waitFor, waitForCkpt, waitForOutcome,
} from './checkpoint-support.ts';

const nodes = ['node-1', 'node-2', 'node-3'];

async function allFinished(s: Suite, namespace: string, count: number, timeoutMs: number): Promise<Ckpt[]> {
  try {
    return await waitFor(`${count} checkpoints in ${namespace} to finish`, async () => {
      const all = await listCkpts(s.admin, namespace);
      return all.length === count && all.every(isFinished) ? all : undefined;
    }, timeoutMs, 500);
  } catch (err) {
    const open = (await listCkpts(s.admin, namespace)).filter((c) => !isFinished(c));
    throw new Error(`${(err as Error).message}; unfinished:\n${open.map((c) => `${c.metadata.name ?? ''} ${JSON.stringify(c.status ?? {})}`).join('\n')}`, { cause: err });
  }
}

function assertExactlyOnce(doubles: AgentDouble[], history: CheckpointHistory, all: Ckpt[]): void {
  const claims = doubles.flatMap((d) => d.claims);
  const uids = new Set(claims.map((c) => c.uid));
  assert.equal(uids.size, claims.length, `claimed twice: ${claims.filter((c, i) => claims.findIndex((x) => x.uid === c.uid) !== i).map((c) => c.key).join(', ')}`);
  for (const c of all) assert.ok(uids.has(c.metadata.uid ?? ''), `${c.metadata.name ?? ''} was never claimed`);
  assert.deepEqual(all.flatMap((c) => history.violations(c.metadata.uid ?? '')), []);
}

describe('checkpoint controller restarts', () => {
  let s: Suite;
  let history: CheckpointHistory;
  const doubles: AgentDouble[] = [];
  const processes: OperatorProcess[] = [];

  async function double(o: Omit<AgentDoubleOptions, 'kubeconfig'>): Promise<AgentDouble> {
    const d = await AgentDouble.start({ ...o, kubeconfig: s.agentConfig });
    doubles.push(d);
    return d;
  }

  async function controller(args: string[] = []): Promise<OperatorProcess> {
    const p = await startQuickController(s, args);
    processes.push(p);
    return p;
  }

  before(async () => {
    s = await startSuite();
    for (const ns of ['killed', 'outage']) await createNamespace(s.admin, ns);
    for (const n of [...nodes, 'node-4']) await ensureNode(s.admin, n);
    await createApiPods(s.admin, ['killed', 'outage'].flatMap((namespace) => [...nodes, 'node-4'].flatMap((nodeName) =>
      [0, 1, 2, 3].map((i) => ({ namespace, name: `web-${nodeName}-${i}`, nodeName, containers: [{ name: 'app' }] })))));
    history = await CheckpointHistory.start(s.adminConfig);
  });
  after(async () => {
    await Promise.allSettled([...processes.map((p) => p.stop()), ...doubles.map((d) => d.stop()), history.stop()]);
    await s.stop();
  });

  it('ends every checkpoint, each claimed once, when the controller is killed mid-flight and restarted', async () => {
    const ns = 'killed';
    const agents = await Promise.all(nodes.map((nodeName) => double({ nodeName, mode: 'slow', workMs: 1500, maxConcurrent: 2 })));
    // An agent that dies after its claim, around the time the controller does.
    const dying = await double({ nodeName: 'node-4', mode: 'silent-after-claim', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 });
    let c = await controller();
    await createCkpt(s.admin, ns, 'orphaned', { podName: 'web-node-4-0' });
    await waitForCkpt(s.admin, ns, 'orphaned', 'claimed', (x) => x.status?.agent !== undefined);
    const items = Array.from({ length: 60 }, (_, i) => ({ namespace: ns, name: `ck-${i}`, spec: { podName: `web-${nodes[i % 3] ?? ''}-${i % 4}`, timeoutSeconds: 600 } }));
    await createCkpts(s.admin, items.slice(0, 30));
    await waitFor('a few hand-offs', async () => ((await listCkpts(s.admin, ns)).filter((x) => x.status?.nodeName !== undefined).length >= 6 ? true : undefined), 60_000, 100);
    await killController(c);
    await createCkpts(s.admin, items.slice(30));
    await sleep(1000);
    c = await controller();
    await waitFor('more hand-offs', async () => ((await listCkpts(s.admin, ns)).filter((x) => x.status?.nodeName !== undefined).length >= 40 ? true : undefined), 120_000, 100);
    await killController(c);
    await sleep(4000);
    await controller();
    const all = await allFinished(s, ns, 61, 300_000);
    const failed = all.filter((x) => failedReason(x) !== undefined).map((x) => `${x.metadata.name ?? ''}: ${failedReason(x) ?? ''}`);
    assert.deepEqual(failed, ['orphaned: AgentLost']);
    assertExactlyOnce([...agents, dying], history, all);
    assert.equal(agents.reduce((a, d) => a + d.counts.succeeded, 0), 60);
    // Twenty checkpoints queued per node, two workers racing for two slots.
    for (const a of agents) assert.ok(a.counts.peakRunning <= 2, `an agent ran ${String(a.counts.peakRunning)} checkpoints at once with 2 slots`);
  });

  it('resumes its watches and loses nothing when the kube-apiserver restarts', async () => {
    const ns = 'outage';
    for (const p of processes) await stopController(p);
    for (const d of doubles) await d.stop();
    doubles.length = 0;
    // Timings that ride out the outage: the point is the watches, not the
    // leases (a leader that cannot renew for its renew deadline stops, by design).
    const patient = { leaseDurationMs: 60_000, renewDeadlineMs: 45_000, retryPeriodMs: 2_000 };
    const agents = await Promise.all(nodes.map((nodeName) => double({ nodeName, mode: 'slow', workMs: 1000, maxConcurrent: 2, ...patient })));
    const c = await controller(['--lease-duration=60s', '--renew-deadline=45s', '--retry-period=2s', '--agent-wait=120s']);
    const items = Array.from({ length: 60 }, (_, i) => ({ namespace: ns, name: `ck-${i}`, spec: { podName: `web-${nodes[i % 3] ?? ''}-${i % 4}`, timeoutSeconds: 600 } }));
    await createCkpts(s.admin, items.slice(0, 30));
    await waitFor('a few hand-offs', async () => ((await listCkpts(s.admin, ns)).filter((x) => x.status?.nodeName !== undefined).length >= 6 ? true : undefined), 60_000, 100);
    await s.cluster.restartApiServer(3000);
    await createCkpts(s.admin, items.slice(30));
    const all = await allFinished(s, ns, 60, 300_000);
    assert.deepEqual(all.filter((x) => failedReason(x) !== undefined).map((x) => `${x.metadata.name ?? ''}: ${failedReason(x) ?? ''}`), []);
    assertExactlyOnce(agents, history, all);
    assert.ok(!c.exited, 'the controller exited');
    assert.ok(agents.every((a) => a.isLeading()), 'an agent lost its Lease');
    // One more after the dust settled: the watches are live, not just relisted once.
    await createCkpt(s.admin, ns, 'after', { podName: 'web-node-1-0' });
    assert.equal(failedReason(await waitForOutcome(s.admin, ns, 'after')), undefined);
  });
});
