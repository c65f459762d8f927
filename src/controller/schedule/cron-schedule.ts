// Evaluating spec.schedule in spec.timeZone: the instants a schedule fires at.
//
// Daylight saving time follows Kubernetes CronJob, which evaluates with
// robfig/cron's SpecSchedule.Next in the zone. Next walks wall-clock fields
// forward with absolute-time arithmetic, so:
//   - a wall time inside a spring-forward gap does not exist and is skipped:
//     "30 2 * * *" in Europe/Berlin does not fire on 2027-03-28 (02:00 CET
//     jumps to 03:00 CEST) and fires again at 02:30 on 2027-03-29;
//   - a wall time inside a fall-back overlap exists twice and fires twice:
//     "30 2 * * *" fires at 02:30 CEST (00:30Z) and at 02:30 CET (01:30Z) on
//     2027-10-31;
//   - so an hourly schedule fires every real hour through both changes
//     (01:00 CET then 03:00 CEST in spring; 02:00 CEST then 02:00 CET in fall).
// croner, the evaluator, splits schedules into "fixed-time" jobs (one value
// in each of seconds, minutes and hours), which it runs after a gap and once
// in an overlap as Vixie cron does, and "interval" jobs, which it runs the
// robfig/cron way. Every schedule is made an interval job here by writing its
// seconds field as the step 0-59/60, which still means second 0 only: croner
// classifies by the syntax (a step) rather than by the values.
import { Cron } from 'croner';
import { scheduleValidReasons } from './reasons.ts';
import { parseCronSyntax, type CronFields } from './cron-syntax.ts';
import { isIanaTimeZone } from './time-zone.ts';

/** The seconds field croner sees: second 0, written so that croner runs every schedule as an interval job. */
const intervalSecondZero = '0-59/60';

/** A schedule that can be evaluated. Instants are whole minutes; inputs may have any precision. */
export interface CronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  /** The first instant strictly after `after`, or undefined if the schedule never fires again. */
  next(after: Date): Date | undefined;
  /** The last instant at or before `atOrBefore`, or undefined if there is none. */
  previous(atOrBefore: Date): Date | undefined;
  /**
   * The instants t with after < t <= until, oldest first, at most `limit` of
   * them; `more` says whether further instants were left out.
   */
  between(after: Date, until: Date, limit: number): { times: Date[]; more: boolean };
}

export type ScheduleFailureReason = typeof scheduleValidReasons.unknownTimeZone | typeof scheduleValidReasons.invalidSchedule;

export type ScheduleEvaluation =
  | { ok: true; schedule: CronSchedule }
  | { ok: false; reason: ScheduleFailureReason; message: string };

export interface ScheduleOptions {
  /** Zone for a schedule without spec.timeZone: the controller's configured zone. Default UTC. */
  defaultTimeZone?: string | undefined;
}

// A fixed instant to ask "does this ever fire?": a cron expression has no
// year field, so one that fires at all fires within any eight years (leap
// days skip 2100), and the answer does not depend on the clock.
const neverFiresProbe = new Date(Date.UTC(2000, 0, 1));

/**
 * Parses spec.schedule in spec.timeZone. A failure carries the reason and
 * message of a False ScheduleValid condition.
 */
export function parseSchedule(
  spec: { schedule: string; timeZone?: string | undefined },
  options: ScheduleOptions = {},
): ScheduleEvaluation {
  const timeZone = spec.timeZone ?? options.defaultTimeZone ?? 'UTC';
  if (!isIanaTimeZone(timeZone)) {
    const whose = spec.timeZone === undefined ? "the controller's default time zone" : 'time zone';
    return {
      ok: false, reason: scheduleValidReasons.unknownTimeZone,
      message: `${whose} ${JSON.stringify(timeZone)} is not in the IANA time zone database; use a name such as Europe/Berlin or UTC`,
    };
  }
  const syntax = parseCronSyntax(spec.schedule);
  if (!syntax.ok) {
    return { ok: false, reason: scheduleValidReasons.invalidSchedule, message: `invalid schedule ${JSON.stringify(spec.schedule)}: ${syntax.message}` };
  }
  let cron: Cron;
  try {
    cron = newCron(syntax.fields, timeZone);
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    return { ok: false, reason: scheduleValidReasons.invalidSchedule, message: `invalid schedule ${JSON.stringify(spec.schedule)}: ${detail}` };
  }
  const schedule = cronSchedule(cron, spec.schedule, timeZone);
  if (schedule.next(neverFiresProbe) === undefined) {
    return {
      ok: false, reason: scheduleValidReasons.invalidSchedule,
      message: `invalid schedule ${JSON.stringify(spec.schedule)}: it never fires (no such date, e.g. February 30)`,
    };
  }
  return { ok: true, schedule };
}

function newCron(fields: CronFields, timeZone: string): Cron {
  const [, , dom, , dow] = fields;
  // robfig/cron (like Vixie cron) matches day of month OR day of week, unless
  // either field starts with * or ?, in which case both must match; croner
  // looks at an exact * only, so say which one applies.
  const starred = (f: string) => f.startsWith('*') || f.startsWith('?');
  return new Cron(`${intervalSecondZero} ${fields.join(' ')}`, {
    timezone: timeZone,
    mode: '6-part',
    paused: true,
    // "5/15" (from 5 to the end, every 15) is standard in robfig/cron.
    sloppyRanges: true,
    domAndDow: starred(dom) || starred(dow),
  });
}

function cronSchedule(cron: Cron, expression: string, timeZone: string): CronSchedule {
  const next = (after: Date): Date | undefined => cron.nextRun(after) ?? undefined;
  return {
    expression,
    timeZone,
    next,
    // croner's previousRuns looks strictly before its reference; instants are
    // whole seconds, so one millisecond later makes it "at or before".
    previous: (atOrBefore) => cron.previousRuns(1, new Date(atOrBefore.getTime() + 1))[0],
    between(after, until, limit) {
      const times: Date[] = [];
      for (let t = next(after); t !== undefined && t <= until; t = next(t)) {
        if (times.length >= limit) return { times, more: true };
        times.push(t);
      }
      return { times, more: false };
    },
  };
}
