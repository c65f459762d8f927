import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedule, type CronSchedule } from '../../../src/controller/schedule/cron-schedule.ts';
import { decideDueRun, type DueRunInput } from '../../../src/controller/schedule/due-run.ts';

function schedule(expr: string, timeZone = 'UTC'): CronSchedule {
  const r = parseSchedule({ schedule: expr, timeZone });
  assert.ok(r.ok);
  return r.schedule;
}

const at = (s: string) => new Date(s);
const iso = (d: Date | undefined) => d?.toISOString();

const hourly = schedule('0 * * * *');
const created = at('2027-05-01T10:00:30Z');

function decide(input: Partial<DueRunInput> & { now: Date }) {
  return decideDueRun({ schedule: hourly, creationTime: created, ...input });
}

describe('decideDueRun', () => {
  it('starts nothing before the first instant and says when to come back', () => {
    const d = decide({ now: at('2027-05-01T10:30:00Z') });
    assert.equal(d.run, undefined);
    assert.equal(d.missed, 0);
    assert.equal(iso(d.nextScheduleTime), '2027-05-01T11:00:00.000Z');
    assert.equal(d.requeueAfterMs, 30 * 60_000);
  });

  it('starts the run that just came due', () => {
    const d = decide({ now: at('2027-05-01T11:00:00.200Z') });
    assert.equal(iso(d.run), '2027-05-01T11:00:00.000Z');
    assert.equal(d.missed, 0);
    assert.equal(d.skippedPastDeadline, undefined);
    assert.equal(iso(d.nextScheduleTime), '2027-05-01T12:00:00.000Z');
    assert.equal(d.requeueAfterMs, 3600_000 - 200);
  });

  it('starts a run due exactly now', () => {
    assert.equal(iso(decide({ now: at('2027-05-01T11:00:00Z') }).run), '2027-05-01T11:00:00.000Z');
  });

  it('does not start a run again once lastScheduleTime records it', () => {
    const d = decide({ lastScheduleTime: at('2027-05-01T11:00:00Z'), now: at('2027-05-01T11:00:05Z') });
    assert.equal(d.run, undefined);
    assert.equal(d.missed, 0);
    assert.equal(iso(d.nextScheduleTime), '2027-05-01T12:00:00.000Z');
  });

  it('does not fire the creation instant itself', () => {
    const d = decideDueRun({ schedule: hourly, creationTime: at('2027-05-01T11:00:00Z'), now: at('2027-05-01T11:00:00Z') });
    assert.equal(d.run, undefined);
  });

  describe('after a controller outage', () => {
    const lastScheduleTime = at('2027-05-01T11:00:00Z');

    it('without a deadline, catches up with one run, the most recent, and counts the others as missed', () => {
      const d = decide({ lastScheduleTime, now: at('2027-05-01T15:20:00Z') });
      assert.equal(iso(d.run), '2027-05-01T15:00:00.000Z');
      assert.equal(d.missed, 3); // 12:00, 13:00, 14:00
      assert.equal(d.skippedPastDeadline, undefined);
      assert.equal(d.tooManyMissed, false);
      assert.equal(iso(d.nextScheduleTime), '2027-05-01T16:00:00.000Z');
    });

    it('inside startingDeadlineSeconds, catches up with one run', () => {
      const d = decide({ lastScheduleTime, startingDeadlineSeconds: 600, now: at('2027-05-01T15:05:00Z') });
      assert.equal(iso(d.run), '2027-05-01T15:00:00.000Z');
      assert.equal(d.missed, 3);
      assert.equal(d.skippedPastDeadline, undefined);
    });

    it('exactly at the deadline, still runs', () => {
      const d = decide({ lastScheduleTime, startingDeadlineSeconds: 600, now: at('2027-05-01T15:10:00Z') });
      assert.equal(iso(d.run), '2027-05-01T15:00:00.000Z');
    });

    it('past the deadline, runs nothing and reports the skipped instant', () => {
      const d = decide({ lastScheduleTime, startingDeadlineSeconds: 600, now: at('2027-05-01T15:10:01Z') });
      assert.equal(d.run, undefined);
      assert.equal(iso(d.skippedPastDeadline), '2027-05-01T15:00:00.000Z');
      assert.equal(d.missed, 4);
      assert.equal(iso(d.nextScheduleTime), '2027-05-01T16:00:00.000Z');
      assert.equal(d.requeueAfterMs, 50 * 60_000 - 1000);
    });

    it('with a zero deadline, any delay is too late (as CronJob)', () => {
      const d = decide({ lastScheduleTime, startingDeadlineSeconds: 0, now: at('2027-05-01T12:00:01Z') });
      assert.equal(d.run, undefined);
      assert.equal(iso(d.skippedPastDeadline), '2027-05-01T12:00:00.000Z');
    });
  });

  describe('suspend', () => {
    it('starts nothing and has no next schedule time while suspended', () => {
      const d = decide({ suspend: true, lastScheduleTime: at('2027-05-01T11:00:00Z'), now: at('2027-05-01T15:20:00Z') });
      assert.deepEqual(d, { run: undefined, missed: 0, tooManyMissed: false, skippedPastDeadline: undefined, nextScheduleTime: undefined, requeueAfterMs: undefined });
    });

    it('on resume without a deadline, starts the most recent instant missed while suspended', () => {
      const d = decide({ suspend: false, lastScheduleTime: at('2027-05-01T11:00:00Z'), now: at('2027-05-01T15:20:00Z') });
      assert.equal(iso(d.run), '2027-05-01T15:00:00.000Z');
    });

    it('on resume with a deadline, skips instants past it and waits for the next', () => {
      const d = decide({ suspend: false, startingDeadlineSeconds: 60, lastScheduleTime: at('2027-05-01T11:00:00Z'), now: at('2027-05-01T15:20:00Z') });
      assert.equal(d.run, undefined);
      assert.equal(iso(d.skippedPastDeadline), '2027-05-01T15:00:00.000Z');
      assert.equal(iso(d.nextScheduleTime), '2027-05-01T16:00:00.000Z');
    });
  });

  describe('many missed instants', () => {
    const everyMinute = schedule('* * * * *');
    const lastScheduleTime = at('2027-05-01T00:00:00Z');

    it('exactly 100 is not too many', () => {
      const d = decideDueRun({ schedule: everyMinute, creationTime: created, lastScheduleTime, now: at('2027-05-01T01:40:00Z') });
      assert.equal(d.tooManyMissed, false);
      assert.equal(iso(d.run), '2027-05-01T01:40:00.000Z');
      assert.equal(d.missed, 99);
    });

    it('101 is too many, as CronJob', () => {
      const d = decideDueRun({ schedule: everyMinute, creationTime: created, lastScheduleTime, now: at('2027-05-01T01:41:00Z') });
      assert.equal(d.tooManyMissed, true);
      assert.equal(iso(d.run), '2027-05-01T01:41:00.000Z');
      assert.equal(d.missed, 100);
    });

    it('decades behind (a wrong clock), still finds the most recent instant quickly', () => {
      const started = performance.now();
      const d = decideDueRun({ schedule: everyMinute, creationTime: at('1990-01-01T00:00:00Z'), now: at('2027-05-01T12:34:56Z') });
      const took = performance.now() - started;
      assert.equal(d.tooManyMissed, true);
      assert.equal(iso(d.run), '2027-05-01T12:34:00.000Z');
      assert.equal(d.missed, 100);
      assert.equal(iso(d.nextScheduleTime), '2027-05-01T12:35:00.000Z');
      assert.ok(took < 1000, `took ${took} ms`);
    });

    it('decades behind with a deadline, skips and reports', () => {
      const d = decideDueRun({ schedule: hourly, creationTime: at('1990-01-01T00:00:00Z'), startingDeadlineSeconds: 60, now: at('2027-05-01T12:34:56Z') });
      assert.equal(d.tooManyMissed, true);
      assert.equal(d.run, undefined);
      assert.equal(iso(d.skippedPastDeadline), '2027-05-01T12:00:00.000Z');
      assert.equal(d.missed, 101);
    });
  });

  it('a lastScheduleTime ahead of the clock (clock stepped back) fires nothing until after it', () => {
    const d = decide({ lastScheduleTime: at('2027-05-01T14:00:00Z'), now: at('2027-05-01T12:30:00Z') });
    assert.equal(d.run, undefined);
    assert.equal(d.missed, 0);
    assert.equal(iso(d.nextScheduleTime), '2027-05-01T15:00:00.000Z');
  });

  it('a schedule that never fires again has no next time and no requeue', () => {
    const never: CronSchedule = {
      expression: 'never', timeZone: 'UTC',
      next: () => undefined, previous: () => undefined, between: () => ({ times: [], more: false }),
    };
    const d = decideDueRun({ schedule: never, creationTime: created, now: at('2027-05-01T12:00:00Z') });
    assert.equal(d.run, undefined);
    assert.equal(d.nextScheduleTime, undefined);
    assert.equal(d.requeueAfterMs, undefined);
  });

  describe('across daylight saving time in Europe/Berlin', () => {
    const daily = schedule('30 2 * * *', 'Europe/Berlin');
    const creationTime = at('2027-01-01T00:00:00Z');

    it('spring forward: nothing is due on 2027-03-28, the next run is 02:30 CEST on the 29th', () => {
      const d = decideDueRun({ schedule: daily, creationTime, lastScheduleTime: at('2027-03-27T01:30:00Z'), now: at('2027-03-28T12:00:00Z') });
      assert.equal(d.run, undefined);
      assert.equal(d.missed, 0);
      assert.equal(iso(d.nextScheduleTime), '2027-03-29T00:30:00.000Z');
    });

    it('fall back: after the 02:30 CEST run, the 02:30 CET run is due an hour later', () => {
      const first = decideDueRun({ schedule: daily, creationTime, lastScheduleTime: at('2027-10-30T00:30:00Z'), now: at('2027-10-31T00:30:02Z') });
      assert.equal(iso(first.run), '2027-10-31T00:30:00.000Z');
      assert.equal(iso(first.nextScheduleTime), '2027-10-31T01:30:00.000Z');
      const second = decideDueRun({ schedule: daily, creationTime, lastScheduleTime: at('2027-10-31T00:30:00Z'), now: at('2027-10-31T01:30:02Z') });
      assert.equal(iso(second.run), '2027-10-31T01:30:00.000Z');
      assert.equal(iso(second.nextScheduleTime), '2027-11-01T01:30:00.000Z');
    });
  });
});
