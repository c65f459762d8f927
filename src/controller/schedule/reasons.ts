// Condition and event reasons of the schedule reconcilers, CamelCase as the
// API conventions want. Where CronJob has a counterpart its word is kept, so
// that people who know `kubectl describe cronjob` read these the same way.

/** Reasons of the ScheduleValid condition. */
export const scheduleValidReasons = {
  valid: 'Valid',
  unknownTimeZone: 'UnknownTimeZone',
  invalidSchedule: 'InvalidSchedule',
  /** podSelector or namespaceSelector has a key or value the API server would refuse in a query. */
  invalidSelector: 'InvalidSelector',
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
  /** A run created its checkpoints (CronJob: SuccessfulCreate). */
  successfulCreate: 'SuccessfulCreate',
  /** A run found no pod matching its selectors. */
  noPodsSelected: 'NoPodsSelected',
  /** The API server refused a checkpoint of a run (CronJob: FailedCreate). */
  failedCreate: 'FailedCreate',
  /** Every checkpoint of a run succeeded. */
  runSucceeded: 'RunSucceeded',
  /** Every checkpoint of a run finished, and at least one failed. */
  runFailed: 'RunFailed',
  /** Retention deleted checkpoints (CronJob: SuccessfulDelete). */
  successfulDelete: 'SuccessfulDelete',
  /** A retention value cannot be applied, or a budget cannot be met. */
  retentionNotApplied: 'RetentionNotApplied',
} as const;
