// The CheckpointSchedule and ClusterCheckpointSchedule controllers
// (registerScheduleControllers), and their decisions as plain functions over
// plain data with the clock passed in: when runs are due, whether they start,
// what they create, what retention deletes, and which objects the selectors
// choose.
export { registerScheduleControllers, type ScheduleControllerDeps, type ScheduleControllers } from './register.ts';
export { ScheduleReconciler, type ScheduleConfig, type ScheduleReconcilerDeps } from './schedule-reconciler.ts';
export { parseSchedule, type CronSchedule, type ScheduleEvaluation, type ScheduleFailureReason, type ScheduleOptions } from './cron-schedule.ts';
export { parseCronSyntax, type CronFields, type CronSyntax } from './cron-syntax.ts';
export { isIanaTimeZone } from './time-zone.ts';
export { decideDueRun, tooManyMissedThreshold, type DueRunDecision, type DueRunInput } from './due-run.ts';
export { decideConcurrency, type ActiveCheckpoint, type ConcurrencyDecision } from './concurrency.ts';
export { checkpointName, runId, scheduleLabelValue, type CheckpointIdentity, type ScheduleKind } from './checkpoint-name.ts';
export {
  planRun,
  type PodContainerRecord, type PodRecord, type RunPlan, type RunPlanInput, type ScheduleRef, type SkippedContainers, type SkippedPod,
} from './run-plan.ts';
export { parseGoDuration } from './duration.ts';
export {
  defaultFailedHistoryLimit, defaultSuccessfulHistoryLimit, effectiveSuccessfulHistoryLimit, planRetention, retentionPolicyOf,
  type RetainedCheckpoint, type RetentionDeletion, type RetentionPlan, type RetentionPolicy, type RetentionRule,
} from './retention.ts';
export { compileLabelSelector, type CompiledLabelSelector, type LabelSelectorCompilation } from './label-selector.ts';
export { scheduleEventReasons, scheduleValidReasons } from './reasons.ts';
export { activeCheckpoints, checkpointTime, lastSuccessfulTime, retainedCheckpoints, runsOf, runState, type RunState } from './run-state.ts';
export { nextStatus, statusDiffers, type StatusInput, type Validity } from './schedule-status.ts';
export { podRecordOf, selectPods, type CachedPod, type PodSelection } from './select-pods.ts';
export { createInBatches, type CreateOutcome, type Refusal } from './create-batches.ts';
export { owningSchedule, scheduleKey, type Checkpoint, type Owner, type Schedule } from './schedule-object.ts';
