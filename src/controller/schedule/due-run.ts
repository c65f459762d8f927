// Which run is due now, modelled on CronJob's mostRecentScheduleTime and
// syncCronJob: of all the instants the schedule fired at since the last run
// started (or since the schedule was created), only the most recent one runs,
// and only if it is not later than startingDeadlineSeconds; the older ones
// are missed. A suspended schedule starts nothing, and its missed instants
// are handled as any others on resume (CronJob: "executions that are
// suspended during their scheduled time count as missed jobs").
import type { CronSchedule } from './cron-schedule.ts';

/**
 * CronJob's bound: past 100 unmet instants it stops listing them and warns,
 * since that many usually means a wrong clock rather than a long outage.
 */
export const tooManyMissedThreshold = 100;

export interface DueRunInput {
  schedule: CronSchedule;
  /** metadata.creationTimestamp of the schedule: where counting starts before the first run. */
  creationTime: Date;
  /** status.lastScheduleTime: the scheduled instant of the last run that started. */
  lastScheduleTime?: Date | undefined;
  startingDeadlineSeconds?: number | undefined;
  suspend?: boolean | undefined;
  now: Date;
}

export interface DueRunDecision {
  /** The scheduled instant to start a run for now (status.lastScheduleTime once started), if any. */
  run: Date | undefined;
  /**
   * Instants since the last run that get no run: the older ones behind `run`,
   * and the most recent too when it is past the deadline. Counted up to
   * tooManyMissedThreshold + 1 instants; see tooManyMissed.
   */
  missed: number;
  /**
   * More than tooManyMissedThreshold instants came due since the last run
   * (CronJob's TooManyMissedTimes); `missed` is then a lower bound. CronJob
   * counts only inside the startingDeadlineSeconds window; this counts the
   * whole gap, which is what the warning is about, at the same bounded cost.
   */
  tooManyMissed: boolean;
  /** The most recent due instant, when it is skipped for being past startingDeadlineSeconds (a MissedSchedule event). */
  skippedPastDeadline: Date | undefined;
  /** When the next run is due (status.nextScheduleTime); undefined when suspended or when the schedule never fires again. */
  nextScheduleTime: Date | undefined;
  /** Milliseconds from now to nextScheduleTime, for the reconciler's requeue; undefined when there is nothing to wait for. */
  requeueAfterMs: number | undefined;
}

export function decideDueRun(input: DueRunInput): DueRunDecision {
  const { schedule, now } = input;
  if (input.suspend === true) {
    return { run: undefined, missed: 0, tooManyMissed: false, skippedPastDeadline: undefined, nextScheduleTime: undefined, requeueAfterMs: undefined };
  }
  // As CronJob: the last run's instant, else the creation time. An instant
  // equal to either is not due again.
  const since = input.lastScheduleTime ?? input.creationTime;
  const { times, more } = schedule.between(since, now, tooManyMissedThreshold);
  // Past the bound the most recent instant comes from one backward search
  // rather than from walking every missed one (decades, with a bad clock).
  const mostRecent = more ? schedule.previous(now) : times.at(-1);

  let run: Date | undefined;
  let skippedPastDeadline: Date | undefined;
  if (mostRecent !== undefined) {
    const deadline = input.startingDeadlineSeconds;
    if (deadline !== undefined && mostRecent.getTime() + deadline * 1000 < now.getTime()) skippedPastDeadline = mostRecent;
    else run = mostRecent;
  }

  // A lastScheduleTime ahead of the clock (clock stepped back) must not fire
  // the instants between now and it a second time.
  const nextScheduleTime = schedule.next(since > now ? since : now);
  const unmet = more ? tooManyMissedThreshold + 1 : times.length;
  return {
    run,
    missed: unmet - (run === undefined ? 0 : 1),
    tooManyMissed: more,
    skippedPastDeadline,
    nextScheduleTime,
    requeueAfterMs: nextScheduleTime === undefined ? undefined : nextScheduleTime.getTime() - now.getTime(),
  };
}
