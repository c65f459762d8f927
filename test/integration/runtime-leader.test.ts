// Leader election on a real coordination.k8s.io/v1 Lease, with candidates
// running as a ServiceAccount allowed only get/create/update on leases.
// Timing is shortened (lease 4 s, renew deadline 3 s, retry 0.5 s); the bounds
// asserted are correctness bounds derived from those, not performance.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import { formatMicroTime, parseTime } from '../../src/runtime/kube/micro-time.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import { LeaderElector, type LeadershipEnd } from '../../src/runtime/leader/leader-elector.ts';
import type { Lease } from '../../src/runtime/leader/lease-lock.ts';
import { createLogger } from '../../src/runtime/logging/logger.ts';
import { runtimeMetrics } from '../../src/runtime/metrics/runtime-metrics.ts';
import { TestCluster } from '../support/cluster.ts';
import { clientFor, identityWithRules, sleep, TcpProxy, throughProxy, waitUntil } from './runtime-support.ts';

const leaseMs = 4000;
const renewDeadlineMs = 3000;
const retryMs = 500;
// The elector waits retry * (1 + 0.2 * random) between attempts.
const maxRetryMs = retryMs * 1.2;
// Scheduling and request latency on a loaded test machine.
const slackMs = 750;

const logger = createLogger({ level: process.env.CKPT_TEST_VERBOSE !== undefined ? 'debug' : 'silent' });

interface Candidate {
  identity: string;
  elector: LeaderElector;
  registry: Registry;
  client: KubeClient;
  writes: number;
  startedAt: number | undefined;
  signalAbortedAt: number | undefined;
  stoppedAt: number | undefined;
  stop: AbortController;
  end: Promise<LeadershipEnd> | undefined;
}

describe('LeaderElector on a real Lease', () => {
  let cluster: TestCluster | undefined;
  let admin: KubeClient;
  let candidateConfig: KubeConfig;
  const ns = 'leader-test';
  const started: Candidate[] = [];

  const c = (): TestCluster => {
    if (cluster === undefined) throw new Error('the control plane did not start');
    return cluster;
  };

  function candidate(identity: string, lease: string, kc: KubeConfig = candidateConfig): Candidate {
    const cand: Candidate = {
      identity, registry: new Registry(), writes: 0, startedAt: undefined, signalAbortedAt: undefined, stoppedAt: undefined,
      stop: new AbortController(), end: undefined,
      client: clientFor(kc, { onResponse: (r) => { if (r.method !== 'GET') cand.writes++; } }),
      elector: undefined as unknown as LeaderElector,
    };
    cand.elector = new LeaderElector({
      client: cand.client, namespace: ns, name: lease, identity, logger,
      leaseDurationMs: leaseMs, renewDeadlineMs, retryPeriodMs: retryMs,
      metrics: runtimeMetrics(cand.registry).leaderElection,
      onStartedLeading: (signal) => {
        cand.startedAt = Date.now();
        signal.addEventListener('abort', () => { cand.signalAbortedAt = Date.now(); }, { once: true });
      },
      onStoppedLeading: () => { cand.stoppedAt = Date.now(); },
    });
    return cand;
  }

  function run(cand: Candidate): Candidate {
    cand.end = cand.elector.run(cand.stop.signal);
    started.push(cand);
    return cand;
  }

  async function holder(lease: string): Promise<Lease> {
    return admin.get<Lease>(coreResources.leases, lease, ns);
  }

  async function masterStatus(cand: Candidate): Promise<number | undefined> {
    const m = (await cand.registry.getMetricsAsJSON()).find((x) => x.name === 'leader_election_master_status');
    return m?.values[0]?.value;
  }

  before(async () => {
    cluster = await TestCluster.start({ installCrds: false });
    admin = clientFor(cluster.adminConfig());
    await cluster.kubectlOk(['create', 'namespace', ns]);
    candidateConfig = await identityWithRules(cluster, ns, 'elector', [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
  });

  after(async () => {
    for (const cand of started) cand.stop.abort();
    await Promise.all(started.map((s) => s.end ?? Promise.resolve()));
    for (const cand of started) cand.client.close();
    (admin as KubeClient | undefined)?.close(); // unset if the control plane never started
    await cluster?.stop();
  });

  it('elects exactly one of two candidates, and the follower writes nothing', async () => {
    const a = run(candidate('a', 'one-leader'));
    const b = run(candidate('b', 'one-leader'));
    await waitUntil('a leader', () => a.elector.isLeader() || b.elector.isLeader(), 10_000);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    const followerWrites = follower.writes;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      assert.equal(Number(a.elector.isLeader()) + Number(b.elector.isLeader()), 1, 'exactly one leader at every moment');
      await sleep(50);
    }
    assert.equal((await holder('one-leader')).spec?.holderIdentity, leader.identity);
    assert.equal(follower.writes, followerWrites, 'a follower only reads the lease');
    assert.ok(leader.writes >= 4, `the leader renewed every retry period (${leader.writes} writes)`);
    assert.equal(follower.elector.getLeader(), leader.identity);
    assert.equal(await masterStatus(leader), 1);
    assert.equal(await masterStatus(follower), 0);
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.end, b.end]);
  });

  it('fails over within the lease duration when the leader cannot renew, and the old leader stops first', async () => {
    const proxy = await TcpProxy.start(c().info.server);
    const a = run(candidate('partitioned', 'failover', throughProxy(candidateConfig, proxy)));
    await waitUntil('a to lead', () => a.elector.isLeader(), 10_000);
    const b = run(candidate('standby', 'failover'));
    await sleep(1000);
    assert.equal(b.elector.isLeader(), false);

    // Cut the leader off from the API server: its renewals hang.
    proxy.blackhole(true);
    proxy.freeze();
    await sleep(100);
    const lastRenew = parseTime((await holder('failover')).spec?.renewTime ?? undefined);
    assert.ok(lastRenew !== undefined);

    assert.equal(await a.end, 'lost');
    await waitUntil('b to take over', () => b.elector.isLeader(), 15_000);
    const aStopped = a.signalAbortedAt ?? Number.NaN;
    const bStarted = b.startedAt ?? Number.NaN;
    assert.ok(aStopped <= lastRenew + renewDeadlineMs + slackMs,
      `the old leader stopped ${aStopped - lastRenew} ms after its last renewal (renew deadline ${renewDeadlineMs} ms)`);
    assert.ok(bStarted - lastRenew <= leaseMs + 2 * maxRetryMs + slackMs,
      `failover ${bStarted - lastRenew} ms after the last renewal (lease ${leaseMs} ms + retry)`);
    assert.ok(aStopped < bStarted, 'no moment with two leaders');
    assert.equal((await holder('failover')).spec?.holderIdentity, 'standby');
    assert.equal((await holder('failover')).spec?.leaseTransitions, 1);
    b.stop.abort();
    await b.end;
    await proxy.close();
  });

  it('stops leading at once when it finds its lease taken, and does not take it back', async () => {
    const a = run(candidate('usurped', 'takeover'));
    await waitUntil('a to lead', () => a.elector.isLeader(), 10_000);
    const lease = await holder('takeover');
    const now = formatMicroTime(Date.now());
    await admin.update<Lease>(coreResources.leases, {
      ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: now, acquireTime: now, leaseDurationSeconds: 60 },
    });
    const takenAt = Date.now();
    assert.equal(await a.end, 'lost');
    const stoppedAfter = (a.signalAbortedAt ?? Number.NaN) - takenAt;
    assert.ok(stoppedAfter <= maxRetryMs + slackMs && stoppedAfter < renewDeadlineMs,
      `stopped ${stoppedAfter} ms after the takeover: at its next renewal, not at the renew deadline`);
    await sleep(2 * retryMs);
    assert.equal((await holder('takeover')).spec?.holderIdentity, 'intruder', 'the lease was not written back');
  });

  it('releases the lease on graceful shutdown so that a follower takes over at once', async () => {
    const a = run(candidate('leaving', 'release'));
    await waitUntil('a to lead', () => a.elector.isLeader(), 10_000);
    const b = run(candidate('successor', 'release'));
    await sleep(1000);
    a.stop.abort();
    assert.equal(await a.end, 'shutdown');
    const released = await holder('release');
    assert.ok(released.spec?.holderIdentity === '' || released.spec?.holderIdentity === 'successor', 'released (or already taken by the successor)');
    await waitUntil('b to take over', () => b.elector.isLeader(), 10_000);
    const gap = (b.startedAt ?? Number.NaN) - (a.stoppedAt ?? Number.NaN);
    assert.ok(gap >= 0 && gap <= maxRetryMs + slackMs, `the successor took over ${gap} ms after the release, without waiting for the lease (${leaseMs} ms) to expire`);
    b.stop.abort();
    await b.end;
  });

  it('releases the lease on shutdown when it changed since the last renewal', async () => {
    // As when a renewal cut short by the shutdown lands after all: the
    // version the leader last saw is stale, and the release must not give up.
    const a = run(candidate('stale-view', 'stale'));
    await waitUntil('a to lead', () => a.elector.isLeader(), 10_000);
    const lease = await holder('stale');
    await admin.update<Lease>(coreResources.leases, { ...lease, metadata: { ...lease.metadata, annotations: { touched: 'yes' } } });
    a.stop.abort();
    assert.equal(await a.end, 'shutdown');
    assert.equal((await holder('stale')).spec?.holderIdentity, '', 'the lease was not released');
  });
});
