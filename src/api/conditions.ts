// Condition types and reasons of the resources. The ContainerCheckpoint Ready
// condition and its progress reasons follow KEP-5823's PodCheckpoint, so that
// tools written for Kubernetes' own checkpoint API read ours the same way;
// Succeeded/Failed mark the end as Job's Complete/Failed do.
export const conditionTypes = {
  ready: 'Ready',
  succeeded: 'Succeeded',
  failed: 'Failed',
  /** Schedules: whether the schedule and time zone can be evaluated. */
  scheduleValid: 'ScheduleValid',
} as const;

/** Reasons of the Ready condition (KEP-5823). */
export const readyReasons = {
  pending: 'Pending',
  inProgress: 'CheckpointInProgress',
  completed: 'CheckpointCompleted',
  failed: 'CheckpointFailed',
} as const;

/** Reasons a checkpoint fails with, on its Failed condition and per container. */
export const failureReasons = {
  podNotFound: 'PodNotFound',
  podNotScheduled: 'PodNotScheduled',
  podNotRunning: 'PodNotRunning',
  sourcePodReplaced: 'SourcePodReplaced',
  unknownContainer: 'UnknownContainer',
  containerNotRunning: 'ContainerNotRunning',
  unsupportedRuntime: 'UnsupportedRuntime',
  noReadyAgent: 'NoReadyAgent',
  notPermitted: 'NotPermitted',
  invalidSpec: 'InvalidSpec',
  parentNotFound: 'ParentCheckpointNotFound',
  agentLost: 'AgentLost',
  agentRestarted: 'AgentRestarted',
  deadlineExceeded: 'DeadlineExceeded',
  containerChanged: 'ContainerChanged',
  containerGone: 'ContainerGone',
  pidReused: 'PidReused',
  containerCreated: 'ContainerCreated',
  pageServerNotAllowed: 'PageServerNotAllowed',
  pageServerUnreachable: 'PageServerUnreachable',
  memoryTrackingUnavailable: 'MemoryTrackingUnavailable',
  criuFailed: 'CriuFailed',
  criuTimeout: 'CriuTimeout',
  archiveFailed: 'ArchiveFailed',
  diskFull: 'DiskFull',
  pathEscape: 'PathEscape',
} as const;
export type FailureReason = (typeof failureReasons)[keyof typeof failureReasons];

export const succeededReason = 'CheckpointCompleted';
