// Names the API defines: group, version, kinds, labels, finalizers.
export const group = 'ckpt.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;

export const kinds = {
  containerCheckpoint: { kind: 'ContainerCheckpoint', plural: 'containercheckpoints', singular: 'containercheckpoint', shortNames: ['ckpt'] },
  checkpointSchedule: { kind: 'CheckpointSchedule', plural: 'checkpointschedules', singular: 'checkpointschedule', shortNames: ['ckptsched'] },
  clusterCheckpointSchedule: { kind: 'ClusterCheckpointSchedule', plural: 'clustercheckpointschedules', singular: 'clustercheckpointschedule', shortNames: ['cckptsched'] },
} as const;

/**
 * `kubectl get ckpt-operator` lists all three kinds. Not "ckpt": kubectl
 * expands a category before a short name, so a category named like the
 * short name would break `kubectl get ckpt NAME`.
 */
export const category = 'ckpt-operator';

/** Set by the controller when it hands a checkpoint to a node; agents watch by it. */
export const nodeLabel = 'ckpt.dev/node';
/** Set on checkpoints a schedule created. */
export const scheduleLabel = 'ckpt.dev/schedule';
export const scheduleKindLabel = 'ckpt.dev/schedule-kind';
export const scheduleRunLabel = 'ckpt.dev/run';
/** The scheduled instant of the run, RFC 3339, on each checkpoint a schedule created (CronJob: batch.kubernetes.io/cronjob-scheduled-timestamp). */
export const scheduledTimeAnnotation = 'ckpt.dev/scheduled-time';
/** How many checkpoints the run that made this one created: a run is over when that many have finished. */
export const runSizeAnnotation = 'ckpt.dev/run-size';
/** Default label that exempts a checkpoint from retention (value "true"). */
export const defaultPinLabel = 'ckpt.dev/pinned';
/** Held until the node's agent has deleted the checkpoint's archives. */
export const archiveFinalizer = 'ckpt.dev/archive';

/** REST coordinates of the three kinds (structurally a runtime ResourceType). */
export const resources = {
  containerCheckpoints: { group, version, plural: kinds.containerCheckpoint.plural, kind: kinds.containerCheckpoint.kind, namespaced: true },
  checkpointSchedules: { group, version, plural: kinds.checkpointSchedule.plural, kind: kinds.checkpointSchedule.kind, namespaced: true },
  clusterCheckpointSchedules: { group, version, plural: kinds.clusterCheckpointSchedule.plural, kind: kinds.clusterCheckpointSchedule.kind, namespaced: false },
} as const;
