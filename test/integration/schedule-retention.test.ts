// Retention and history against a real control plane: what a schedule deletes
// once its checkpoints have finished (the test finishes them, as an agent
// would, with archive sizes), in which order, what it never deletes, and what
// happens to its checkpoints when the schedule itself is deleted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resources, scheduleRunLabel } from '../../src/api/names.ts';
import { eventually, minute, nextInstant, runOf, schedule, iso, scheduleSuite, type Ckpt, type RunningController } from '../support/schedule-env.ts';

describe('schedule retention', () => {
  const e = scheduleSuite();

  /** Moves to t and waits for each schedule's run there; returns its checkpoints by schedule. */
  async function runAt(c: RunningController, ns: string, t: Date, schedules: Record<string, number>): Promise<Record<string, Ckpt[]>> {
    await c.advanceTo(t);
    const out: Record<string, Ckpt[]> = {};
    for (const [name, pods] of Object.entries(schedules)) {
      out[name] = await eventually(`${name}: the run at ${iso(t)}`, async () => {
        const list = (await e().checkpoints({ namespace: ns, schedule: name })).filter((x) => x.metadata.labels?.[scheduleRunLabel] === runOf(t));
        return list.length === pods ? list : undefined;
      });
    }
    return out;
  }

  it('deletes the oldest first, by keepLast and then maxAge, and never a pinned checkpoint', async () => {
    const ns = 'ret-keep';
    await e().namespace(ns);
    await e().pods(ns, ['web-0']);
    const c = await e().startController();
    await e().createSchedule(schedule(ns, 'keep', { schedule: '*/5 * * * *', retention: { keepLast: 2 } }));
    const t1 = nextInstant(c.clock.now(), 5);
    const t = (n: number): Date => new Date(t1.getTime() + (n - 1) * 5 * minute);
    await eventually('the schedule to be seen', async () => (await e().getSchedule(ns, 'keep')).status?.nextScheduleTime === iso(t1));

    const names: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const [ckpt] = (await runAt(c, ns, t(n), { keep: 1 })).keep ?? [];
      assert.ok(ckpt !== undefined);
      names.push(ckpt.metadata.name ?? '');
      if (n === 2) {
        await e().admin.patch(resources.containerCheckpoints, ckpt.metadata.name ?? '', ns, { metadata: { labels: { 'ckpt.dev/pinned': 'true' } } }, { type: 'merge' });
      }
      // Each archive is bigger than the last, so the freed bytes say which went.
      await e().finish(ckpt, { sizeBytes: n * 1000, at: new Date(t(n).getTime() + 30_000) });
    }
    const [n1, n2, n3, n4, n5] = names;
    const remaining = async (): Promise<string[]> => (await e().checkpoints({ namespace: ns, schedule: 'keep' })).map((x) => x.metadata.name ?? '').sort();
    await eventually('keepLast 2 to leave the pinned one and the newest two', async () => JSON.stringify(await remaining()) === JSON.stringify([n2, n4, n5].sort()));
    const deletes = await eventually('two SuccessfulDelete events', async () => {
      const list = (await e().events(ns, 'keep')).filter((x) => x.reason === 'SuccessfulDelete');
      return list.length === 2 ? list : undefined;
    });
    assert.match(deletes[0]?.note ?? '', new RegExp(`^Deleted 1 ContainerCheckpoint \\(${ns}/${n1 ?? ''}\\), oldest first, by keepLast; 1000 bytes of archives$`));
    assert.match(deletes[1]?.note ?? '', new RegExp(`^Deleted 1 ContainerCheckpoint \\(${ns}/${n3 ?? ''}\\), oldest first, by keepLast; 3000 bytes of archives$`));
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_deletions_total', { rule: 'keepLast' }), 2);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_freed_bytes_total', { kind: 'CheckpointSchedule' }), 4000);
    const s = await eventually('lastSuccessfulTime of the fifth run', async () => {
      const x = await e().getSchedule(ns, 'keep');
      return x.status?.lastSuccessfulTime === iso(t(5).getTime() + 30_000) ? x : undefined;
    });
    assert.equal(s.status?.active, undefined);
    const succeeded = (await e().events(ns, 'keep')).filter((x) => x.reason === 'RunSucceeded');
    assert.equal(succeeded.length, 5);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_finished_total', { result: 'succeeded' }), 5);

    // Suspended (no more runs), and with maxAge: the kept ones go as they
    // pass 10 minutes, each when its time comes, the pinned one never.
    await e().admin.patch(resources.checkpointSchedules, 'keep', ns, { spec: { suspend: true, retention: { keepLast: 2, maxAge: '10m' } } }, { type: 'merge' });
    await eventually('the new spec to be seen', async () => (await e().getSchedule(ns, 'keep')).status?.observedGeneration === 2);
    await c.advanceTo(t(4).getTime() + 10 * minute + 1000);
    await eventually('maxAge to delete the fourth run', async () => JSON.stringify(await remaining()) === JSON.stringify([n2, n5].sort()));
    await c.advanceTo(t(5).getTime() + 10 * minute + 1000);
    await eventually('maxAge to delete the fifth run', async () => JSON.stringify(await remaining()) === JSON.stringify([n2]));
    await c.advanceTo(t(5).getTime() + 1000 * minute);
    assert.deepEqual(await remaining(), [n2]);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_deletions_total', { rule: 'maxAge' }), 2);
  });

  it('keeps 3 successful runs by default, lets a retention block decide alone, keeps the newest failed ones, and a byte budget', async () => {
    const ns = 'ret-history';
    await e().namespace(ns);
    await e().pods(ns, ['a-0', 'a-1'], { labels: { app: 'a' } });
    await e().pods(ns, ['b-0'], { labels: { app: 'b' } });
    await e().pods(ns, ['c-0'], { labels: { app: 'c' } });
    await e().pods(ns, ['d-0'], { labels: { app: 'd' } });
    const c = await e().startController();
    const every5 = '*/5 * * * *';
    // Without successfulHistoryLimit or a retention rule: 3 runs (of 2 pods each).
    await e().createSchedule(schedule(ns, 'plain', { schedule: every5, podSelector: { matchLabels: { app: 'a' } } }));
    // keepLast 5 and no successfulHistoryLimit: 5, not capped at 3.
    await e().createSchedule(schedule(ns, 'keep5', { schedule: every5, podSelector: { matchLabels: { app: 'b' } }, retention: { keepLast: 5 } }));
    await e().createSchedule(schedule(ns, 'failing', { schedule: every5, podSelector: { matchLabels: { app: 'c' } }, failedHistoryLimit: 2 }));
    await e().createSchedule(schedule(ns, 'budget', { schedule: every5, podSelector: { matchLabels: { app: 'd' } }, retention: { maxTotalBytes: '2500' } }));
    const t1 = nextInstant(c.clock.now(), 5);
    for (const name of ['plain', 'keep5', 'failing', 'budget']) {
      await eventually(`${name} to be seen`, async () => (await e().getSchedule(ns, name)).status?.nextScheduleTime === iso(t1));
    }
    const runs: string[] = [];
    let lastSuccess = '';
    for (let n = 0; n < 6; n++) {
      const t = new Date(t1.getTime() + n * 5 * minute);
      runs.push(runOf(t));
      const made = await runAt(c, ns, t, { plain: 2, keep5: 1, failing: 1, budget: 1 });
      const at = new Date(t.getTime() + 60_000);
      for (const x of [...(made.plain ?? []), ...(made.keep5 ?? []), ...(made.budget ?? [])]) await e().finish(x, { sizeBytes: 1000, at });
      for (const x of made.failing ?? []) await e().finish(x, { outcome: 'Failed', at });
      lastSuccess = iso(at);
    }
    const runsOf = async (name: string): Promise<string[]> => e().runs(ns, name);
    await eventually('plain to keep 3 runs', async () => JSON.stringify(await runsOf('plain')) === JSON.stringify(runs.slice(3)));
    assert.equal((await e().checkpoints({ namespace: ns, schedule: 'plain' })).length, 6);
    await eventually('keep5 to keep 5 runs', async () => JSON.stringify(await runsOf('keep5')) === JSON.stringify(runs.slice(1)));
    await eventually('failing to keep its 2 newest failed runs', async () => JSON.stringify(await runsOf('failing')) === JSON.stringify(runs.slice(4)));
    await eventually('budget to keep what fits 2500 bytes', async () => JSON.stringify(await runsOf('budget')) === JSON.stringify(runs.slice(4)));

    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_deletions_total', { rule: 'successfulHistoryLimit' }), 6);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_deletions_total', { rule: 'keepLast' }), 1);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_deletions_total', { rule: 'failedHistoryLimit' }), 4);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_deletions_total', { rule: 'maxTotalBytes' }), 4);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_retention_freed_bytes_total', {}), (6 + 1 + 4) * 1000);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_finished_total', { result: 'failed' }), 6);

    // A failed run never counts as a success, whatever retention deleted since.
    const failing = await e().getSchedule(ns, 'failing');
    assert.equal(failing.status?.lastSuccessfulTime, undefined);
    assert.equal((await e().getSchedule(ns, 'plain')).status?.lastSuccessfulTime, lastSuccess);
    const failed = (await e().events(ns, 'failing')).filter((x) => x.reason === 'RunFailed');
    assert.equal(failed.length, 6);
    assert.equal(failed[0]?.type, 'Warning');
    assert.match(failed[0].note ?? '', /: 1 of 1 checkpoint failed by .*\(CriuFailed\)$/);
  });

  it('a deleted schedule takes its checkpoints with it (owner references, garbage collector)', async () => {
    const ns = 'ret-gc';
    await e().namespace(ns);
    await e().pods(ns, ['web-0', 'web-1']);
    const c = await e().startController();
    await e().createSchedule(schedule(ns, 'doomed', { schedule: '*/5 * * * *' }));
    await e().createSchedule(schedule(ns, 'bystander', { schedule: '*/5 * * * *' }));
    const t1 = nextInstant(c.clock.now(), 5);
    await eventually('doomed to be seen', async () => (await e().getSchedule(ns, 'doomed')).status?.nextScheduleTime === iso(t1));
    await eventually('bystander to be seen', async () => (await e().getSchedule(ns, 'bystander')).status?.nextScheduleTime === iso(t1));
    const first = await runAt(c, ns, t1, { doomed: 2, bystander: 2 });
    // One finished, one still in progress: both go.
    const [done] = first.doomed ?? [];
    assert.ok(done !== undefined);
    await e().finish(done, { sizeBytes: 10, at: new Date(c.clock.now()) });
    await runAt(c, ns, new Date(t1.getTime() + 5 * minute), { doomed: 2, bystander: 2 });

    await e().cluster.kubectlOk(['delete', 'checkpointschedule', 'doomed', '-n', ns, '--wait=false']);
    await eventually('the garbage collector to delete its checkpoints', async () => (await e().checkpoints({ namespace: ns, schedule: 'doomed' })).length === 0, 60_000);
    assert.equal((await e().checkpoints({ namespace: ns, schedule: 'bystander' })).length, 4);
  });
});
