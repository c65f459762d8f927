import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedule, type CronSchedule } from '../../../src/controller/schedule/cron-schedule.ts';

function mustParse(schedule: string, timeZone?: string): CronSchedule {
  const r = parseSchedule({ schedule, timeZone });
  if (!r.ok) assert.fail(`${schedule} in ${timeZone ?? 'default'}: ${r.reason}: ${r.message}`);
  return r.schedule;
}

function runs(s: CronSchedule, from: string, until: string): string[] {
  const { times, more } = s.between(new Date(from), new Date(until), 1000);
  assert.equal(more, false);
  return times.map((t) => t.toISOString());
}

describe('parseSchedule', () => {
  it('fires at the right instants in UTC by default', () => {
    const s = mustParse('*/15 9-10 * * MON-FRI');
    assert.equal(s.timeZone, 'UTC');
    // 2027-01-01 is a Friday.
    assert.deepEqual(runs(s, '2027-01-01T09:20:00Z', '2027-01-04T09:20:00Z'), [
      '2027-01-01T09:30:00.000Z', '2027-01-01T09:45:00.000Z',
      '2027-01-01T10:00:00.000Z', '2027-01-01T10:15:00.000Z', '2027-01-01T10:30:00.000Z', '2027-01-01T10:45:00.000Z',
      '2027-01-04T09:00:00.000Z', '2027-01-04T09:15:00.000Z',
    ]);
  });

  it('uses the configured controller zone when spec.timeZone is unset', () => {
    const r = parseSchedule({ schedule: '0 9 * * *' }, { defaultTimeZone: 'Asia/Tokyo' });
    assert.ok(r.ok);
    assert.equal(r.schedule.timeZone, 'Asia/Tokyo');
    assert.equal(r.schedule.next(new Date('2027-06-01T00:00:00Z'))?.toISOString(), '2027-06-02T00:00:00.000Z');
  });

  it('evaluates in the named zone', () => {
    const s = mustParse('0 9 * * *', 'America/New_York');
    assert.equal(s.next(new Date('2027-07-01T00:00:00Z'))?.toISOString(), '2027-07-01T13:00:00.000Z');
    assert.equal(s.next(new Date('2027-12-01T00:00:00Z'))?.toISOString(), '2027-12-01T14:00:00.000Z');
  });

  it('next is strictly after, previous is at or before', () => {
    const s = mustParse('@hourly');
    const t = new Date('2027-01-01T05:00:00Z');
    assert.equal(s.next(t)?.toISOString(), '2027-01-01T06:00:00.000Z');
    assert.equal(s.next(new Date(t.getTime() - 1))?.toISOString(), '2027-01-01T05:00:00.000Z');
    assert.equal(s.previous(t)?.toISOString(), '2027-01-01T05:00:00.000Z');
    assert.equal(s.previous(new Date(t.getTime() - 1))?.toISOString(), '2027-01-01T04:00:00.000Z');
  });

  it('between is bounded and says when it left instants out', () => {
    const s = mustParse('* * * * *');
    const r = s.between(new Date('2027-01-01T00:00:00Z'), new Date('2027-12-31T00:00:00Z'), 3);
    assert.deepEqual(r.times.map((t) => t.toISOString()), ['2027-01-01T00:01:00.000Z', '2027-01-01T00:02:00.000Z', '2027-01-01T00:03:00.000Z']);
    assert.equal(r.more, true);
    const exact = s.between(new Date('2027-01-01T00:00:00Z'), new Date('2027-01-01T00:03:00Z'), 3);
    assert.equal(exact.times.length, 3);
    assert.equal(exact.more, false);
  });

  it('expands the macros the CRD allows', () => {
    const from = new Date('2027-03-10T10:30:00Z');
    const next = (m: string) => mustParse(m).next(from)?.toISOString();
    assert.equal(next('@hourly'), '2027-03-10T11:00:00.000Z');
    assert.equal(next('@daily'), '2027-03-11T00:00:00.000Z');
    assert.equal(next('@midnight'), '2027-03-11T00:00:00.000Z');
    assert.equal(next('@weekly'), '2027-03-14T00:00:00.000Z'); // a Sunday
    assert.equal(next('@monthly'), '2027-04-01T00:00:00.000Z');
    assert.equal(next('@yearly'), '2028-01-01T00:00:00.000Z');
    assert.equal(next('@annually'), '2028-01-01T00:00:00.000Z');
  });

  it('matches day of month OR day of week, unless one starts with * (robfig/cron)', () => {
    // 1st and 15th, and every Monday.
    const or = mustParse('0 0 1,15 * MON');
    assert.deepEqual(runs(or, '2027-01-01T00:00:00Z', '2027-01-19T00:00:00Z'),
      ['2027-01-04T00:00:00.000Z', '2027-01-11T00:00:00.000Z', '2027-01-15T00:00:00.000Z', '2027-01-18T00:00:00.000Z']);
    // Odd days that are Mondays.
    const and = mustParse('0 0 */2 * MON');
    assert.deepEqual(runs(and, '2027-01-01T00:00:00Z', '2027-02-02T00:00:00Z'),
      ['2027-01-11T00:00:00.000Z', '2027-01-25T00:00:00.000Z', '2027-02-01T00:00:00.000Z']);
  });

  it('reads N/step as N to the end of the field, names case-insensitively, and 7 as Sunday', () => {
    assert.deepEqual(runs(mustParse('50/5 0 * * *'), '2027-01-01T00:00:00Z', '2027-01-01T01:00:00Z'),
      ['2027-01-01T00:50:00.000Z', '2027-01-01T00:55:00.000Z']);
    assert.equal(mustParse('0 0 * feb sun').next(new Date('2027-01-01T00:00:00Z'))?.toISOString(), '2027-02-07T00:00:00.000Z');
    assert.equal(mustParse('0 0 * * 7').next(new Date('2027-01-01T00:00:00Z'))?.toISOString(), '2027-01-03T00:00:00.000Z');
  });

  it('fires on leap days only', () => {
    assert.equal(mustParse('0 0 29 2 *').next(new Date('2027-01-01T00:00:00Z'))?.toISOString(), '2028-02-29T00:00:00.000Z');
  });

  it('uses the fixed instants it is given, never the clock', () => {
    const s = mustParse('0 0 1 1 *');
    assert.equal(s.next(new Date('1990-06-01T00:00:00Z'))?.toISOString(), '1991-01-01T00:00:00.000Z');
    assert.equal(s.previous(new Date('1990-06-01T00:00:00Z'))?.toISOString(), '1990-01-01T00:00:00.000Z');
  });
});

describe('parseSchedule refuses', () => {
  const invalid: Array<[string, RegExp]> = [
    ['61 * * * *', /minute field "61": 61 is out of range 0-59/],
    ['* 24 * * *', /hour field "24": 24 is out of range 0-23/],
    ['0 0 0 * *', /day of month field "0": 0 is out of range 1-31/],
    ['0 0 32 * *', /out of range 1-31/],
    ['0 0 * 13 *', /month field "13": 13 is out of range 1-12/],
    ['0 0 * * 8', /day of week field "8": 8 is out of range 0-7/],
    ['0 0 * JANUARY *', /not a number or a month name/],
    ['0 0 * * FUNDAY', /not a number or a day name/],
    ['0 0 L * *', /L, W and # of other cron dialects are not supported/],
    ['0 0 15W * *', /not supported/],
    ['0 0 10-1 * *', /range 10-1 starts after it ends/],
    ['*/0 * * * *', /step 0 must be a positive number/],
    ['*/61 * * * *', /step 61 is longer than the minute field/],
    ['0 0 31 2 *', /never fires/],
    ['0 0 30 2 *', /never fires/],
    ['0 * * * * *', /has 6 fields: seconds and year fields are not supported/],
    ['0 0 * * * * 2027', /has 7 fields/],
    ['* * * *', /malformed cron expression/],
    ['@reboot', /unknown macro @reboot/],
    ['@every 5m', /unknown macro/],
    ['CRON_TZ=UTC 0 * * * *', /use spec.timeZone/],
    ['', /malformed/],
  ];
  for (const [schedule, message] of invalid) {
    it(`${JSON.stringify(schedule)} as InvalidSchedule`, () => {
      const r = parseSchedule({ schedule, timeZone: 'UTC' });
      assert.ok(!r.ok);
      assert.equal(r.reason, 'InvalidSchedule');
      assert.match(r.message, message);
      assert.ok(r.message.startsWith(`invalid schedule ${JSON.stringify(schedule)}: `), r.message);
    });
  }

  for (const timeZone of ['Mars/Olympus_Mons', 'Local', '+01:00', '+0100', '-05', 'Z', '']) {
    it(`time zone ${JSON.stringify(timeZone)} as UnknownTimeZone`, () => {
      const r = parseSchedule({ schedule: '0 * * * *', timeZone });
      assert.ok(!r.ok);
      assert.equal(r.reason, 'UnknownTimeZone');
      assert.match(r.message, /is not in the IANA time zone database/);
    });
  }

  it('an unknown default zone, naming it as the controller default', () => {
    const r = parseSchedule({ schedule: '0 * * * *' }, { defaultTimeZone: 'Nowhere/Special' });
    assert.ok(!r.ok);
    assert.equal(r.reason, 'UnknownTimeZone');
    assert.match(r.message, /controller's default time zone "Nowhere\/Special"/);
  });

  it('but takes IANA links and UTC spellings', () => {
    for (const timeZone of ['UTC', 'Etc/UTC', 'US/Eastern', 'Europe/Kyiv', 'Etc/GMT+5']) {
      assert.ok(parseSchedule({ schedule: '0 * * * *', timeZone }).ok, timeZone);
    }
  });

  it('checks the time zone before the schedule', () => {
    const r = parseSchedule({ schedule: '61 * * * *', timeZone: 'Nowhere/Special' });
    assert.ok(!r.ok);
    assert.equal(r.reason, 'UnknownTimeZone');
  });
});

// Daylight saving time, as Kubernetes CronJob (robfig/cron Next in the zone)
// does it: a wall time that does not exist is skipped, one that exists twice
// fires twice, and an hourly schedule fires every real hour.
describe('daylight saving time', () => {
  describe('Europe/Berlin spring forward, 2027-03-28 02:00 CET -> 03:00 CEST', () => {
    it('a 02:30 daily run is skipped that day', () => {
      const s = mustParse('30 2 * * *', 'Europe/Berlin');
      assert.deepEqual(runs(s, '2027-03-26T12:00:00Z', '2027-03-30T12:00:00Z'), [
        '2027-03-27T01:30:00.000Z', // 02:30 CET
        '2027-03-29T00:30:00.000Z', // 02:30 CEST; nothing on the 28th
        '2027-03-30T00:30:00.000Z',
      ]);
    });

    it('an hourly run fires every real hour: 01:00 CET, then 03:00 CEST', () => {
      const s = mustParse('0 * * * *', 'Europe/Berlin');
      assert.deepEqual(runs(s, '2027-03-27T23:30:00Z', '2027-03-28T03:00:00Z'), [
        '2027-03-28T00:00:00.000Z', // 01:00 CET
        '2027-03-28T01:00:00.000Z', // 03:00 CEST
        '2027-03-28T02:00:00.000Z', // 04:00 CEST
        '2027-03-28T03:00:00.000Z',
      ]);
    });

    it('a run at 03:00, just after the gap, fires once', () => {
      const s = mustParse('0 3 * * *', 'Europe/Berlin');
      assert.deepEqual(runs(s, '2027-03-27T12:00:00Z', '2027-03-28T12:00:00Z'), ['2027-03-28T01:00:00.000Z']);
    });

    it('previous agrees with next across the gap', () => {
      const s = mustParse('30 2 * * *', 'Europe/Berlin');
      assert.equal(s.previous(new Date('2027-03-29T00:00:00Z'))?.toISOString(), '2027-03-27T01:30:00.000Z');
    });
  });

  describe('Europe/Berlin fall back, 2027-10-31 03:00 CEST -> 02:00 CET', () => {
    it('a 02:30 daily run fires twice that day, at 02:30 CEST and 02:30 CET', () => {
      const s = mustParse('30 2 * * *', 'Europe/Berlin');
      assert.deepEqual(runs(s, '2027-10-29T12:00:00Z', '2027-11-01T12:00:00Z'), [
        '2027-10-30T00:30:00.000Z',
        '2027-10-31T00:30:00.000Z', // 02:30 CEST
        '2027-10-31T01:30:00.000Z', // 02:30 CET, an hour later
        '2027-11-01T01:30:00.000Z',
      ]);
    });

    it('an hourly run fires every real hour: 02:00 CEST, 02:00 CET, 03:00 CET', () => {
      const s = mustParse('@hourly', 'Europe/Berlin');
      assert.deepEqual(runs(s, '2027-10-30T23:30:00Z', '2027-10-31T02:00:00Z'), [
        '2027-10-31T00:00:00.000Z', // 02:00 CEST
        '2027-10-31T01:00:00.000Z', // 02:00 CET
        '2027-10-31T02:00:00.000Z', // 03:00 CET
      ]);
    });

    it('previous sees both occurrences', () => {
      const s = mustParse('30 2 * * *', 'Europe/Berlin');
      assert.equal(s.previous(new Date('2027-10-31T01:29:59Z'))?.toISOString(), '2027-10-31T00:30:00.000Z');
      assert.equal(s.previous(new Date('2027-10-31T12:00:00Z'))?.toISOString(), '2027-10-31T01:30:00.000Z');
    });

    it('a daily midnight run is unaffected', () => {
      const s = mustParse('@daily', 'Europe/Berlin');
      assert.deepEqual(runs(s, '2027-10-30T12:00:00Z', '2027-11-01T12:00:00Z'), ['2027-10-30T22:00:00.000Z', '2027-10-31T23:00:00.000Z']);
    });
  });

  describe('America/New_York', () => {
    it('spring forward 2027-03-14: 02:30 is skipped', () => {
      const s = mustParse('30 2 * * *', 'America/New_York');
      assert.deepEqual(runs(s, '2027-03-13T00:00:00Z', '2027-03-15T12:00:00Z'),
        ['2027-03-13T07:30:00.000Z', '2027-03-15T06:30:00.000Z']);
    });

    it('fall back 2027-11-07: 01:30 fires at EDT and again at EST', () => {
      const s = mustParse('30 1 * * *', 'America/New_York');
      assert.deepEqual(runs(s, '2027-11-06T00:00:00Z', '2027-11-08T12:00:00Z'),
        ['2027-11-06T05:30:00.000Z', '2027-11-07T05:30:00.000Z', '2027-11-07T06:30:00.000Z', '2027-11-08T06:30:00.000Z']);
    });

    it('an every-30-minutes run keeps a 30 minute real interval through both changes', () => {
      const s = mustParse('*/30 * * * *', 'America/New_York');
      for (const [from, until] of [['2027-03-14T05:00:00Z', '2027-03-14T09:00:00Z'], ['2027-11-07T04:00:00Z', '2027-11-07T08:00:00Z']] as const) {
        const times = runs(s, from, until).map((t) => Date.parse(t));
        assert.equal(times.length, 8);
        for (let i = 1; i < times.length; i++) assert.equal((times[i] ?? 0) - (times[i - 1] ?? 0), 30 * 60_000);
      }
    });
  });
});
