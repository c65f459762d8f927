// When schedules fire, on a FakeClock against a real control plane: each
// instant and none in between, across a daylight-saving change in a named
// zone, suspend and resume, missed runs after a controller outage, and
// schedules that cannot be evaluated. The controller runs in-process as its
// ServiceAccount; admin only arranges fixtures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resources, scheduledTimeAnnotation, scheduleKindLabel, scheduleLabel, scheduleRunLabel } from '../../src/api/names.ts';
import { runSizeAnnotation } from '../../src/api/names.ts';
import { FakeClock } from '../../src/runtime/fake-clock.ts';
import { advanceTo, eventually, minute, nextInstant, runOf, schedule, iso, scheduleSuite, type Sched } from '../support/schedule-env.ts';

function condition(s: Sched, type: string) {
  return s.status?.conditions?.find((c) => c.type === type);
}

// An oracle for wall-clock times that does not share code with the
// controller: Intl's own view of the zone, probed every half hour.
function wall(t: number, timeZone: string): { month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
  }).formatToParts(new Date(t));
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute') };
}

function utcOffsetMinutes(t: number, timeZone: string): number {
  const w = wall(t, timeZone);
  const y = new Date(t).getUTCFullYear();
  let asUtc = Date.UTC(y, w.month - 1, w.day, w.hour, w.minute);
  // Around New Year the wall date is in the neighbouring year.
  if (asUtc - t > 2 * 86_400_000) asUtc = Date.UTC(y - 1, w.month - 1, w.day, w.hour, w.minute);
  if (t - asUtc > 2 * 86_400_000) asUtc = Date.UTC(y + 1, w.month - 1, w.day, w.hour, w.minute);
  return Math.round((asUtc - Math.floor(t / minute) * minute) / minute);
}

/** The first instant after `after` at which the zone's UTC offset changes. */
function nextOffsetChange(after: number, timeZone: string): number {
  const hour = 60 * minute;
  const start = utcOffsetMinutes(after, timeZone);
  for (let t = Math.ceil(after / hour) * hour; t < after + 400 * 86_400_000; t += hour) {
    if (utcOffsetMinutes(t, timeZone) !== start) return t;
  }
  throw new Error(`${timeZone} does not change its offset within 400 days`);
}

describe('schedule timing', () => {
  const e = scheduleSuite();

  it('fires at each instant of its cron expression and not in between', async () => {
    const ns = 'timing-basic';
    await e().namespace(ns);
    await e().pods(ns, ['web-0', 'web-1'], { labels: { app: 'web' } });
    await e().pods(ns, ['db-0'], { labels: { app: 'db' } });
    const c = await e().startController();
    const created = await e().createSchedule(schedule(ns, 'every5', { schedule: '*/5 * * * *', timeZone: 'UTC', podSelector: { matchLabels: { app: 'web' } } }));
    const t1 = nextInstant(c.clock.now(), 5);
    const t2 = new Date(t1.getTime() + 5 * minute);

    const first = await eventually('the schedule to be seen', async () => {
      const s = await e().getSchedule(ns, 'every5');
      return s.status?.nextScheduleTime === iso(t1) ? s : undefined;
    });
    assert.equal(first.status?.observedGeneration, 1);
    assert.deepEqual(
      { status: condition(first, 'ScheduleValid')?.status, reason: condition(first, 'ScheduleValid')?.reason },
      { status: 'True', reason: 'Valid' },
    );
    assert.equal(first.status.lastScheduleTime, undefined);

    await c.advanceTo(t1.getTime() - 1000);
    await c.advanceTo(t1);
    const run1 = await eventually('the first run', async () => {
      const list = await e().checkpoints({ namespace: ns, schedule: 'every5' });
      return list.length === 2 ? list : undefined;
    });
    assert.deepEqual(run1.map((x) => x.spec.podName).sort(), ['web-0', 'web-1']);
    for (const x of run1) {
      assert.equal(x.metadata.labels?.[scheduleLabel], 'every5');
      assert.equal(x.metadata.labels[scheduleKindLabel], 'CheckpointSchedule');
      assert.equal(x.metadata.labels[scheduleRunLabel], runOf(t1));
      assert.equal(x.metadata.annotations?.[scheduledTimeAnnotation], iso(t1));
      assert.equal(x.metadata.annotations[runSizeAnnotation], '2');
      assert.deepEqual(x.metadata.ownerReferences, [{
        apiVersion: 'ckpt.dev/v1alpha1', kind: 'CheckpointSchedule', name: 'every5', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true,
      }]);
      assert.deepEqual(x.spec.containerNames, ['app']);
      assert.equal(x.spec.timeoutSeconds, 3600);
    }
    const afterRun1 = await eventually('status after the first run', async () => {
      const s = await e().getSchedule(ns, 'every5');
      return s.status?.nextScheduleTime === iso(t2) ? s : undefined;
    });
    assert.equal(afterRun1.status?.lastScheduleTime, iso(t1));
    assert.deepEqual(afterRun1.status.active?.map((a) => a.name).sort(), run1.map((x) => x.metadata.name).sort());

    await c.advanceTo(t2.getTime() - 1000);
    await c.advanceTo(t2);
    await eventually('the second run', async () => (await e().runs(ns, 'every5')).length === 2);
    assert.deepEqual(await e().runs(ns, 'every5'), [runOf(t1), runOf(t2)]);
    const events = await eventually('a SuccessfulCreate event per run', async () => {
      const list = (await e().events(ns, 'every5')).filter((x) => x.reason === 'SuccessfulCreate');
      return list.length === 2 ? list : undefined;
    });
    assert.match(events[0]?.note ?? '', new RegExp(`Run ${runOf(t1)} \\(scheduled ${iso(t1)}\\): 2 ContainerCheckpoints`));
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_total', { kind: 'CheckpointSchedule', result: 'started' }), 2);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_checkpoints_created_total', { kind: 'CheckpointSchedule' }), 4);
    await c.stop();
  });

  it('fires at the wall-clock times of its zone across both daylight-saving changes, as CronJob does', async () => {
    const ns = 'timing-dst';
    const zone = 'Europe/Berlin';
    await e().namespace(ns);
    await e().pods(ns, ['web-0']);
    const c = await e().startController();
    // The next two changes after now, one each way: "30 1-3" on that day
    // names a wall time that is skipped (spring) or repeated (autumn).
    const first = nextOffsetChange(c.clock.now(), zone);
    const changes = [first, nextOffsetChange(first + 60 * minute, zone)];
    const plans = changes.map((change, n) => {
      const day = wall(change, zone);
      const expected: number[] = [];
      for (let t = change - 36 * 60 * minute; t <= change + 36 * 60 * minute; t += 30 * minute) {
        const w = wall(t, zone);
        if (w.month === day.month && w.day === day.day && w.minute === 30 && w.hour >= 1 && w.hour <= 3) expected.push(t);
      }
      return { name: `dst-${String(n)}`, change, day, expected };
    });
    // Spring forward leaves 01:30 and 03:30; fall back gives 02:30 twice.
    assert.deepEqual(plans.map((p) => p.expected.length).sort(), [2, 4], plans.map((p) => p.expected.map(iso).join(' ')).join('; '));
    for (const p of plans) await e().createSchedule(schedule(ns, p.name, { schedule: `30 1-3 ${String(p.day.day)} ${String(p.day.month)} *`, timeZone: zone }));

    for (const p of plans) {
      for (const [i, t] of p.expected.entries()) {
        await eventually(`${p.name}: nextScheduleTime ${iso(t)}`, async () => (await e().getSchedule(ns, p.name)).status?.nextScheduleTime === iso(t));
        await c.advanceTo(t - 1000);
        await c.advanceTo(t);
        await eventually(`${p.name}: the run at ${iso(t)}`, async () => (await e().runs(ns, p.name)).length === i + 1);
      }
      const last = iso(p.expected.at(-1) ?? 0);
      const s = await eventually(`${p.name}: the status after the last run`, async () => {
        const x = await e().getSchedule(ns, p.name);
        return x.status?.lastScheduleTime === last && x.status.nextScheduleTime !== last ? x : undefined;
      });
      // Next year's day.
      assert.ok(Date.parse(s.status?.nextScheduleTime ?? '') > p.change + 300 * 86_400_000, s.status?.nextScheduleTime);
      assert.deepEqual(await e().runs(ns, p.name), p.expected.map((t) => runOf(new Date(t))));
    }
    await c.stop();
  });

  it('starts nothing while suspended, and on resume runs the most recent missed instant once', async () => {
    const ns = 'timing-suspend';
    await e().namespace(ns);
    await e().pods(ns, ['web-0']);
    const c = await e().startController();
    await e().createSchedule(schedule(ns, 'paused', { schedule: '*/5 * * * *', suspend: true }));
    const t1 = nextInstant(c.clock.now(), 5);
    const s0 = await eventually('the suspended schedule to be seen', async () => {
      const x = await e().getSchedule(ns, 'paused');
      return x.status?.observedGeneration === 1 ? x : undefined;
    });
    assert.equal(s0.status?.nextScheduleTime, undefined);
    assert.equal(condition(s0, 'ScheduleValid')?.status, 'True');

    // Three instants pass while suspended.
    await c.advanceTo(t1);
    await c.advanceTo(t1.getTime() + 10 * minute + 30_000);
    await e().admin.patch(resources.checkpointSchedules, 'paused', ns, { spec: { suspend: false } }, { type: 'merge' });
    const t3 = new Date(t1.getTime() + 10 * minute);
    const resumed = await eventually('the catch-up run on resume', async () => {
      const x = await e().getSchedule(ns, 'paused');
      return x.status?.observedGeneration === 2 && x.status.lastScheduleTime !== undefined ? x : undefined;
    });
    assert.equal(resumed.status?.lastScheduleTime, iso(t3));
    assert.equal(resumed.status.nextScheduleTime, iso(t3.getTime() + 5 * minute));
    assert.deepEqual(await e().runs(ns, 'paused'), [runOf(t3)]);

    // Then on schedule again.
    await c.advanceTo(t3.getTime() + 5 * minute);
    await eventually('the next run', async () => (await e().runs(ns, 'paused')).length === 2);
    assert.deepEqual(await e().runs(ns, 'paused'), [runOf(t3), runOf(new Date(t3.getTime() + 5 * minute))]);

    // Suspending again removes nextScheduleTime and stops the runs.
    await e().admin.patch(resources.checkpointSchedules, 'paused', ns, { spec: { suspend: true } }, { type: 'merge' });
    await eventually('nextScheduleTime to go', async () => {
      const x = await e().getSchedule(ns, 'paused');
      return x.status?.observedGeneration === 3 && x.status.nextScheduleTime === undefined;
    });
    await c.advanceTo(t3.getTime() + 20 * minute);
    await c.stop();
    assert.equal((await e().runs(ns, 'paused')).length, 2);
  });

  it('after a controller outage, runs the most recent missed instant once inside startingDeadlineSeconds, and none past it', async () => {
    const ns = 'timing-outage';
    await e().namespace(ns);
    await e().pods(ns, ['web-0', 'web-1']);
    const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    const a = await e().startController({ clock });
    await e().createSchedule(schedule(ns, 'outage', { schedule: '*/10 * * * *', startingDeadlineSeconds: 120 }));
    const base = nextInstant(clock.now(), 10).getTime();
    const t = (n: number): Date => new Date(base + (n - 1) * 10 * minute);
    const t1 = t(1);
    const t4 = t(4);
    const t6 = t(6);
    await eventually('the schedule to be seen', async () => (await e().getSchedule(ns, 'outage')).status?.nextScheduleTime === iso(t1));
    await a.advanceTo(t1);
    await eventually('the first run', async () => (await e().checkpoints({ namespace: ns, schedule: 'outage' })).length === 2);
    await eventually('lastScheduleTime t1', async () => (await e().getSchedule(ns, 'outage')).status?.lastScheduleTime === iso(t1));
    await a.stop();

    // Down over t2, t3 and t4 (nothing runs to race the jump); back 90 s after t4, inside the 120 s deadline.
    advanceTo(clock, t4.getTime() + 90_000);
    const b = await e().startController({ clock });
    await eventually('the catch-up run', async () => (await e().getSchedule(ns, 'outage')).status?.lastScheduleTime === iso(t4));
    assert.deepEqual(await e().runs(ns, 'outage'), [runOf(t1), runOf(t4)]);
    const caughtUp = (await e().checkpoints({ namespace: ns, schedule: 'outage' })).filter((x) => x.metadata.labels?.[scheduleRunLabel] === runOf(t4));
    assert.equal(caughtUp.length, 2);
    assert.ok(caughtUp.every((x) => x.metadata.annotations?.[scheduledTimeAnnotation] === iso(t4)));
    assert.equal((await e().getSchedule(ns, 'outage')).status?.nextScheduleTime, iso(t(5)));
    await b.stop();

    // Down over t5 and t6; back 300 s after t6, past the deadline.
    advanceTo(clock, t6.getTime() + 300_000);
    const c = await e().startController({ clock });
    const missed = await eventually('the MissedSchedule event', async () => {
      const list = (await e().events(ns, 'outage')).filter((x) => x.reason === 'MissedSchedule');
      return list.length === 1 ? list[0] : undefined;
    });
    assert.equal(missed.type, 'Warning');
    assert.match(missed.note ?? '', new RegExp(`Missed the run scheduled for ${iso(t6)}: it is 300s late, past startingDeadlineSeconds \\(120\\); 2 runs skipped`));
    const s = await eventually('nextScheduleTime t7', async () => {
      const x = await e().getSchedule(ns, 'outage');
      return x.status?.nextScheduleTime === iso(t(7)) ? x : undefined;
    });
    assert.equal(s.status?.lastScheduleTime, iso(t4));
    assert.deepEqual(await e().runs(ns, 'outage'), [runOf(t1), runOf(t4)]);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_total', { result: 'missed' }), 1);

    // And on schedule again at t7.
    await c.advanceTo(t(7));
    await eventually('the run at t7', async () => (await e().runs(ns, 'outage')).length === 3);
    await c.stop();
  });

  it('shows an unknown time zone or an unusable schedule as ScheduleValid False, and recovers when fixed', async () => {
    const ns = 'timing-invalid';
    await e().namespace(ns);
    await e().pods(ns, ['web-0']);
    const c = await e().startController();
    await e().createSchedule(schedule(ns, 'mars', { schedule: '*/5 * * * *', timeZone: 'Mars/Olympus_Mons' }));
    await e().createSchedule(schedule(ns, 'minute61', { schedule: '61 * * * *' }));
    await e().createSchedule(schedule(ns, 'feb30', { schedule: '0 0 30 2 *' }));
    const invalid = async (name: string) => eventually(`${name}: ScheduleValid False`, async () => {
      const x = await e().getSchedule(ns, name);
      const cond = condition(x, 'ScheduleValid');
      return cond?.status === 'False' ? { s: x, cond } : undefined;
    });
    const mars = await invalid('mars');
    assert.equal(mars.cond.reason, 'UnknownTimeZone');
    assert.match(mars.cond.message, /time zone "Mars\/Olympus_Mons" is not in the IANA time zone database/);
    assert.equal(mars.s.status?.nextScheduleTime, undefined);
    const m61 = await invalid('minute61');
    assert.equal(m61.cond.reason, 'InvalidSchedule');
    assert.match(m61.cond.message, /invalid schedule "61 \* \* \* \*"/);
    const feb30 = await invalid('feb30');
    assert.equal(feb30.cond.reason, 'InvalidSchedule');
    assert.match(feb30.cond.message, /never fires/);
    const warning = await eventually('the UnknownTimeZone event', async () => (await e().events(ns, 'mars')).find((x) => x.reason === 'UnknownTimeZone'));
    assert.equal(warning.type, 'Warning');

    // Nothing runs, however much time passes.
    await c.advanceTo(c.clock.now() + 60 * minute);
    await eventually('the controller to see the time', async () => {
      const x = await e().getSchedule(ns, 'mars');
      return x.status?.observedGeneration === 1;
    });
    assert.deepEqual(await e().checkpoints({ namespace: ns }), []);

    await e().admin.patch(resources.checkpointSchedules, 'mars', ns, { spec: { timeZone: 'Europe/Berlin' } }, { type: 'merge' });
    const fixed = await eventually('mars: ScheduleValid True', async () => {
      const x = await e().getSchedule(ns, 'mars');
      return condition(x, 'ScheduleValid')?.status === 'True' ? x : undefined;
    });
    assert.equal(condition(fixed, 'ScheduleValid')?.reason, 'Valid');
    assert.equal(fixed.status?.observedGeneration, 2);
    assert.equal(condition(fixed, 'ScheduleValid')?.observedGeneration, 2);
    // As after suspend: the most recent instant it could not evaluate runs once now.
    const due = nextInstant(c.clock.now() - 5 * minute, 5);
    assert.equal(fixed.status.lastScheduleTime, iso(due));
    assert.equal(fixed.status.nextScheduleTime, iso(due.getTime() + 5 * minute));
    assert.deepEqual(await e().runs(ns, 'mars'), [runOf(due)]);
    await c.stop();
  });
});
