// concurrencyPolicy against a real control plane: what a due run does while
// checkpoints of the previous run are still in progress. No agent runs, so
// checkpoints stay in progress until the test finishes them as an agent
// would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scheduleRunLabel } from '../../src/api/names.ts';
import { eventually, minute, nextInstant, runOf, schedule, iso, scheduleSuite } from '../support/schedule-env.ts';

describe('schedule concurrencyPolicy', () => {
  const e = scheduleSuite();

  /** A schedule every 5 minutes over the namespace's pods, and its first two instants. */
  async function setUp(ns: string, pods: string[], policy: 'Allow' | 'Forbid' | 'Replace' | undefined) {
    await e().namespace(ns);
    await e().pods(ns, pods);
    const c = await e().startController();
    await e().createSchedule(schedule(ns, 'every5', { schedule: '*/5 * * * *', ...(policy !== undefined ? { concurrencyPolicy: policy } : {}) }));
    const t1 = nextInstant(c.clock.now(), 5);
    const t2 = new Date(t1.getTime() + 5 * minute);
    await eventually('the schedule to be seen', async () => (await e().getSchedule(ns, 'every5')).status?.nextScheduleTime === iso(t1));
    await c.advanceTo(t1);
    await eventually('the first run', async () => (await e().checkpoints({ namespace: ns })).length === pods.length);
    await eventually('status after the first run', async () => (await e().getSchedule(ns, 'every5')).status?.lastScheduleTime === iso(t1));
    return { c, t1, t2 };
  }

  it('Allow (the default) starts a run while the previous one is in progress', async () => {
    const ns = 'conc-allow';
    const { c, t1, t2 } = await setUp(ns, ['web-0', 'web-1'], undefined);
    await c.advanceTo(t2);
    const s = await eventually('the second run in status', async () => {
      const x = await e().getSchedule(ns, 'every5');
      return x.status?.lastScheduleTime === iso(t2) && x.status.active?.length === 4 ? x : undefined;
    });
    assert.deepEqual(await e().runs(ns, 'every5'), [runOf(t1), runOf(t2)]);
    assert.deepEqual(
      s.status?.active?.map((a) => a.name).sort(),
      (await e().checkpoints({ namespace: ns })).map((x) => x.metadata.name).sort(),
    );
  });

  it('Forbid skips a run while the previous one is in progress, and starts it when that one ends in time', async () => {
    const ns = 'conc-forbid';
    const { c, t1, t2 } = await setUp(ns, ['web-0'], 'Forbid');
    await c.advanceTo(t2);
    const skipped = await eventually('the RunAlreadyActive event', async () => (await e().events(ns, 'every5')).find((x) => x.reason === 'RunAlreadyActive'));
    assert.equal(skipped.type, 'Normal');
    assert.match(skipped.note ?? '', new RegExp(`Not starting run ${runOf(t2)}: concurrencyPolicy is Forbid and checkpoint ${ns}/every5-${runOf(t1)}-web-0-[0-9a-f]{8} of an earlier run is still in progress`));
    const held = await eventually('status to show the skip', async () => {
      const x = await e().getSchedule(ns, 'every5');
      return x.status?.nextScheduleTime === iso(t2.getTime() + 5 * minute) ? x : undefined;
    });
    // lastScheduleTime stays at the run that started, so the skipped one is still due.
    assert.equal(held.status?.lastScheduleTime, iso(t1));
    assert.deepEqual(await e().runs(ns, 'every5'), [runOf(t1)]);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_total', { result: 'forbidden' }), 1);

    // The first run ends before the next instant: the held run starts, without the clock moving.
    const [first] = await e().checkpoints({ namespace: ns });
    assert.ok(first !== undefined);
    await e().finish(first, { sizeBytes: 1000, at: new Date(c.clock.now()) });
    await eventually('the held run to start', async () => (await e().runs(ns, 'every5')).length === 2);
    assert.deepEqual(await e().runs(ns, 'every5'), [runOf(t1), runOf(t2)]);
    const s = await eventually('status after the held run', async () => {
      const x = await e().getSchedule(ns, 'every5');
      return x.status?.lastScheduleTime === iso(t2) ? x : undefined;
    });
    assert.equal(s.status?.lastSuccessfulTime, iso(c.clock.now()));
  });

  it('Replace deletes the unfinished checkpoints of the previous run, then starts the new one', async () => {
    const ns = 'conc-replace';
    const { c, t1, t2 } = await setUp(ns, ['web-0', 'web-1'], 'Replace');
    // One checkpoint of the first run finishes; only the other is still in progress.
    const run1 = await e().checkpoints({ namespace: ns });
    const done = run1.find((x) => x.spec.podName === 'web-0');
    const busy = run1.find((x) => x.spec.podName === 'web-1');
    assert.ok(done !== undefined && busy !== undefined);
    await e().finish(done, { sizeBytes: 1000, at: new Date(c.clock.now()) });
    await eventually('status to see it finish', async () => (await e().getSchedule(ns, 'every5')).status?.active?.length === 1);

    await c.advanceTo(t2);
    const left = await eventually('the replacement', async () => {
      const list = await e().checkpoints({ namespace: ns });
      return list.length === 3 && !list.some((x) => x.metadata.name === busy.metadata.name) ? list : undefined;
    });
    assert.deepEqual(left.map((x) => `${x.metadata.labels?.[scheduleRunLabel] ?? ''}/${x.spec.podName}`).sort(), [
      `${runOf(t1)}/web-0`, `${runOf(t2)}/web-0`, `${runOf(t2)}/web-1`,
    ]);
    const replaced = await eventually('the ReplacingActiveRun event', async () => (await e().events(ns, 'every5')).find((x) => x.reason === 'ReplacingActiveRun'));
    assert.match(replaced.note ?? '', new RegExp(`Deleting checkpoint ${ns}/${busy.metadata.name ?? ''} of an earlier run, still in progress, before starting run ${runOf(t2)}`));
    const s = await eventually('status after the replacement', async () => {
      const x = await e().getSchedule(ns, 'every5');
      return x.status?.lastScheduleTime === iso(t2) && x.status.active?.length === 2 ? x : undefined;
    });
    assert.ok(s.status?.active?.every((a) => a.name.includes(`-${runOf(t2)}-`)));
  });
});
