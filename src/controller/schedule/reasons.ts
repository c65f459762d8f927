// Condition and event reasons of the schedule reconcilers, CamelCase as the
// API conventions want. Where CronJob has a counterpart its word is kept, so
// that people who know `kubectl describe cronjob` read these the same way.

/** Reasons of the ScheduleValid condition. */
export const scheduleValidReasons = {
  valid: 'Valid',
  unknownTimeZone: 'UnknownTimeZone',
  invalidSchedule: 'InvalidSchedule',
} as const;

/** Reasons of the events a schedule records. */
export const scheduleEventReasons = {
  /** A run was due but is past startingDeadlineSeconds and is skipped (CronJob: MissSchedule). */
  missedSchedule: 'MissedSchedule',
  /** More than 100 runs were missed (CronJob: TooManyMissedTimes). */
  tooManyMissed: 'TooManyMissedTimes',
  /** concurrencyPolicy Forbid skipped a run (CronJob: JobAlreadyActive). */
  runAlreadyActive: 'RunAlreadyActive',
  /** concurrencyPolicy Replace deletes the checkpoints of an earlier run. */
  replacingActiveRun: 'ReplacingActiveRun',
  /** A selected pod is being deleted, so the run leaves it out. */
  podTerminating: 'PodTerminating',
  /** A namespaced schedule was handed a pod of another namespace; it cannot own a checkpoint there. */
  podInOtherNamespace: 'PodInOtherNamespace',
} as const;
