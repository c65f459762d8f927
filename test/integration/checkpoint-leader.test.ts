// Controller replicas on a real control plane, each a process under the
// controller's ServiceAccount: exactly one leads (the Lease holder, and the
// only one whose leader_election_master_status is 1); followers write
// nothing (their rest_client_requests_total counts no write, their
// reconcile_total stays 0); when the leader is killed (SIGKILL, so no
// graceful hand-over) a follower takes over within the lease duration plus
// a retry period, and no checkpoint is handed off, claimed or finished twice.
// Lease 8 s, renew deadline 6 s, retry 1 s: short, yet long enough that a
// leader on a machine loaded by other test runs does not lose its lease.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFinished } from '../../src/api/checkpoint-state.ts';
import type { Lease } from '../../src/runtime/leader/lease-lock.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import type { KubeEvent } from '../../src/runtime/events/event-recorder.ts';
import { AgentDouble } from '../support/agent-double.ts';
import { createApiPods, createNamespace, ensureNode } from '../support/api-pods.ts';
import { CheckpointHistory } from '../support/checkpoint-history.ts';
import { identityOf, metricSum, metricsPort, scrape } from '../support/metrics.ts';
import type { OperatorProcess } from '../support/operator.ts';
import {
  createCkpts, failedReason, killController, listCkpts, sleep, startQuickController, startSuite, type Suite, waitFor,
} from './checkpoint-support.ts';

const leaseMs = 8000;
const retryMs = 1000;
const electionArgs = ['--lease-duration=8s', '--renew-deadline=6s', '--retry-period=1s'];
// Scheduling and request latency on a loaded test machine.
const slackMs = 4000;
const nodes = ['node-1', 'node-2', 'node-3'];
const ns = 'shop';

interface Replica {
  proc: OperatorProcess;
  identity: string;
  port: number;
}

describe('checkpoint controller replicas', () => {
  let s: Suite;
  let history: CheckpointHistory;
  const doubles: AgentDouble[] = [];
  const replicas: Replica[] = [];

  async function replica(): Promise<Replica> {
    const proc = await startQuickController(s, electionArgs);
    const r = { proc, identity: identityOf(proc), port: await metricsPort(proc) };
    replicas.push(r);
    return r;
  }

  async function holder(): Promise<string> {
    const l = await s.admin.get<Lease>(coreResources.leases, 'ckpt-controller', 'ckpt-system');
    return l.spec?.holderIdentity ?? '';
  }

  async function leading(r: Replica): Promise<number> {
    return metricSum(await scrape(r.port), 'leader_election_master_status', { name: 'ckpt-controller' });
  }

  /** Requests that change something, as the replica's own client counted them. */
  async function writes(r: Replica): Promise<number> {
    return metricSum(await scrape(r.port), 'rest_client_requests_total', {}, { method: 'GET' });
  }

  async function reconciles(r: Replica): Promise<number> {
    return metricSum(await scrape(r.port), 'controller_runtime_reconcile_total', { controller: 'containercheckpoint' });
  }

  async function allFinished(count: number): Promise<void> {
    await waitFor(`${count} checkpoints to finish`, async () => {
      const all = await listCkpts(s.admin, ns);
      return all.length === count && all.every(isFinished) ? true : undefined;
    }, 300_000, 500);
  }

  before(async () => {
    s = await startSuite();
    await createNamespace(s.admin, ns);
    for (const n of nodes) await ensureNode(s.admin, n);
    await createApiPods(s.admin, nodes.flatMap((nodeName) => [0, 1, 2].map((i) => ({ namespace: ns, name: `web-${nodeName}-${i}`, nodeName, containers: [{ name: 'app' }] }))));
    history = await CheckpointHistory.start(s.adminConfig);
    for (const nodeName of nodes) doubles.push(await AgentDouble.start({ nodeName, kubeconfig: s.agentConfig, mode: 'slow', workMs: 500, maxConcurrent: 4 }));
  });
  after(async () => {
    await Promise.allSettled([...replicas.map((r) => r.proc.stop()), ...doubles.map((d) => d.stop()), history.stop()]);
    await s.stop();
  });

  const batch = (from: number, n: number): { namespace: string; name: string; spec: { podName: string } }[] =>
    Array.from({ length: n }, (_, k) => ({ namespace: ns, name: `ck-${from + k}`, spec: { podName: `web-${nodes[k % 3] ?? ''}-${k % 3}` } }));

  let first: Replica;
  let second: Replica;

  it('elects exactly one leader; the follower writes nothing', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const lead = await waitFor('a leader', async () => {
      const h = await holder().catch(() => '');
      return [a, b].find((r) => r.identity === h);
    }, 60_000, 100);
    first = lead;
    second = lead === a ? b : a;
    await waitFor('the leader to report itself', async () => ((await leading(first)) === 1 ? true : undefined), 30_000, 100);
    await createCkpts(s.admin, batch(0, 30));
    // Over several lease periods, exactly one replica leads at every look.
    const until = Date.now() + 3 * leaseMs;
    while (Date.now() < until) {
      assert.deepEqual([await leading(first), await leading(second)], [1, 0]);
      assert.equal(await holder(), first.identity);
      await sleep(250);
    }
    await allFinished(30);
    assert.equal(await writes(second), 0, 'the follower wrote to the API server');
    assert.equal(await reconciles(second), 0, 'the follower reconciled');
    assert.ok((await reconciles(first)) >= 30);
  });

  it('fails over within the lease duration when the leader is killed, without double writes', async () => {
    await createCkpts(s.admin, batch(30, 30));
    await waitFor('some hand-offs', async () => ((await listCkpts(s.admin, ns)).filter((c) => c.status?.nodeName !== undefined).length >= 40 ? true : undefined), 60_000, 50);
    const writesBefore = await writes(second);
    assert.equal(writesBefore, 0);
    await killController(first.proc);
    const killed = Date.now();
    await waitFor('the follower to take the lease', async () => ((await holder()) === second.identity ? true : undefined), 60_000, 50);
    const took = Date.now() - killed;
    const bound = leaseMs + retryMs * 1.2 + slackMs;
    assert.ok(took <= bound, `failover took ${took} ms, more than lease duration + retry period (+ ${slackMs} ms slack) = ${bound} ms`);
    await waitFor('the new leader to report itself', async () => ((await leading(second)) === 1 ? true : undefined), 30_000, 100);
    // A new follower joins; it must stay silent while the survivor leads.
    const third = await replica();
    await createCkpts(s.admin, batch(60, 20));
    await allFinished(80);
    const all = await listCkpts(s.admin, ns);
    assert.deepEqual(all.filter((c) => failedReason(c) !== undefined).map((c) => c.metadata.name), []);
    const claims = doubles.flatMap((d) => d.claims);
    assert.equal(claims.length, 80);
    assert.equal(new Set(claims.map((c) => c.uid)).size, 80, 'a checkpoint was claimed twice');
    assert.deepEqual(history.allViolations(), []);
    for (const c of all) assert.equal(history.count(c.metadata.uid ?? '', 'handed-off'), 1, history.describe(c.metadata.uid ?? ''));
    assert.equal(await writes(third), 0, 'the new follower wrote to the API server');
    assert.equal(await reconciles(third), 0, 'the new follower reconciled');
    assert.equal(await leading(third), 0);
    // Events come from the replicas that led, never from a follower.
    const evs = await s.admin.list<KubeEvent>(coreResources.events, { namespace: ns });
    const reporters = new Set(evs.items.filter((e) => e.reportingController === 'ckpt.dev/controller').map((e) => e.reportingInstance));
    assert.ok(!reporters.has(third.identity), 'the follower recorded events');
    assert.ok([...reporters].every((r) => r === first.identity || r === second.identity), [...reporters].join(', '));
  });
});
