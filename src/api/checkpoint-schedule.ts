// CheckpointSchedule (namespaced) and ClusterCheckpointSchedule (cluster-wide,
// with a namespace selector): CronJob for checkpoints. Each run creates one
// ContainerCheckpoint per selected pod from the template; retention deletes old
// ones, whose archives the node agents then remove.
import Type, { type Static } from 'typebox';
import { ArchiveSpec, CheckpointOptions, TimeoutSeconds, TtlSecondsAfterFinished } from './checkpoint-options.ts';
import { ByteQuantity, Conditions, ContainerNames, LabelSelector, StringEnum, StringMap, Timestamp } from './fields.ts';
import type { ObjectMeta } from './meta.ts';
import { defaultPinLabel } from './names.ts';
import { withRules } from './rules.ts';

// Five fields (minute hour day-of-month month day-of-week) of numbers, names,
// ranges, steps and lists, or a predefined macro: what CronJob accepts.
const cronField = '(\\*|\\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?';
const cronList = `${cronField}(,${cronField})*`;
export const cronPattern = `^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|${cronList}( +${cronList}){4})$`;
const cronRegExp = new RegExp(cronPattern);

export function isCronSyntax(s: string): boolean {
  return cronRegExp.test(s.trim());
}

const Schedule = withRules(Type.String({
  description: 'When to run, in cron format: five fields (minute hour day-of-month month day-of-week) or a macro such as @hourly. Evaluated in timeZone.',
  minLength: 1, maxLength: 128,
}), [{
  rule: "!self.contains('TZ=')",
  message: 'must not set a time zone with TZ= or CRON_TZ=; use spec.timeZone',
  check: (s) => !s.includes('TZ='),
}, {
  rule: `self.trim().matches('${cronPattern.replaceAll('\\', '\\\\')}')`,
  messageExpression: "'malformed cron expression ' + self + ': want five fields (minute hour day-of-month month day-of-week) or a macro such as @hourly'",
  check: (s) => isCronSyntax(s) || `malformed cron expression ${s}: want five fields (minute hour day-of-month month day-of-week) or a macro such as @hourly`,
}]);

const Duration = (description: string) => Type.String({
  description, maxLength: 32, pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$',
});

export const Retention = Type.Object({
  keepLast: Type.Optional(Type.Integer({ description: 'Keep at most this many checkpoints per container; the oldest go first.', minimum: 1, maximum: 10000 })),
  maxAge: Type.Optional(Duration('Delete checkpoints older than this Go duration (e.g. 168h).')),
  maxTotalBytes: Type.Optional(ByteQuantity('Keep the archives of each container below this size in total (a quantity such as 10Gi), deleting the oldest first.')),
  pinLabel: Type.Optional(Type.String({
    description: `A checkpoint labelled with this key and the value "true" is never deleted by retention. Default ${defaultPinLabel}.`,
    default: defaultPinLabel, maxLength: 317, minLength: 1,
  })),
}, { description: 'Which checkpoints of this schedule to keep. Failed checkpoints follow failedHistoryLimit instead.', default: {} });
export type Retention = Static<typeof Retention>;

export const CheckpointTemplate = Type.Object({
  metadata: Type.Optional(Type.Object({
    labels: Type.Optional(StringMap('Labels to put on each ContainerCheckpoint.')),
    annotations: Type.Optional(StringMap('Annotations to put on each ContainerCheckpoint.')),
  }, { description: 'Labels and annotations for the ContainerCheckpoints a run creates.' })),
  spec: Type.Optional(Type.Object({
    options: Type.Optional(CheckpointOptions),
    archive: Type.Optional(ArchiveSpec),
    timeoutSeconds: Type.Optional(TimeoutSeconds),
    ttlSecondsAfterFinished: Type.Optional(TtlSecondsAfterFinished),
  }, { description: 'The ContainerCheckpoint spec without podName and containerNames, which each run fills in.', default: {} })),
}, { description: 'What each ContainerCheckpoint of a run looks like.', default: {} });
export type CheckpointTemplate = Static<typeof CheckpointTemplate>;

export const concurrencyPolicies = ['Allow', 'Forbid', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof concurrencyPolicies)[number];

const scheduleFields = {
  schedule: Schedule,
  timeZone: Type.Optional(Type.String({
    description: 'IANA time zone of the schedule (e.g. Europe/Berlin). Default: the controller\'s time zone, UTC in the shipped image. An unknown zone shows as the ScheduleValid condition.',
    maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$',
  })),
  suspend: Type.Optional(Type.Boolean({ description: 'Stop starting new runs; runs already started go on.', default: false })),
  concurrencyPolicy: Type.Optional(StringEnum(concurrencyPolicies, {
    description: 'What to do when a run is due while checkpoints of an earlier run are still in progress: Allow, Forbid (skip the new run) or Replace (delete the running ones first).',
    default: 'Allow',
  })),
  startingDeadlineSeconds: Type.Optional(Type.Integer({
    description: 'A run missed (e.g. while the controller was down) by more than this many seconds is skipped. Unset: no deadline.',
    minimum: 0, format: 'int64',
  })),
  successfulHistoryLimit: Type.Optional(Type.Integer({
    description: 'Succeeded runs to keep, counted by run (one run over many pods counts once), applied with retention. Unset: 3 when retention sets none of keepLast, maxAge and maxTotalBytes, otherwise no limit, so that retention alone decides.',
    minimum: 0, maximum: 1000,
  })),
  failedHistoryLimit: Type.Optional(Type.Integer({ description: 'Failed checkpoints to keep. Default 1.', minimum: 0, maximum: 1000, default: 1 })),
  podSelector: LabelSelector('Pods to checkpoint on each run. An empty selector selects every pod.'),
  containerNames: Type.Optional(ContainerNames('Containers of each pod to checkpoint. Empty: every running container.')),
  template: Type.Optional(CheckpointTemplate),
  retention: Type.Optional(Retention),
};

export const CheckpointScheduleSpec = Type.Object(scheduleFields, {
  description: 'When to checkpoint which pods of this namespace, and how many checkpoints to keep.',
});
export type CheckpointScheduleSpec = Static<typeof CheckpointScheduleSpec>;

export const ClusterCheckpointScheduleSpec = Type.Object({
  ...scheduleFields,
  namespaceSelector: LabelSelector('Namespaces whose pods the podSelector applies to. An empty selector selects every namespace.'),
}, { description: 'When to checkpoint which pods across namespaces, and how many checkpoints to keep.' });
export type ClusterCheckpointScheduleSpec = Static<typeof ClusterCheckpointScheduleSpec>;

export const ActiveCheckpoint = Type.Object({
  namespace: Type.String({ description: 'Namespace of the ContainerCheckpoint.', maxLength: 63 }),
  name: Type.String({ description: 'Name of the ContainerCheckpoint.', maxLength: 253 }),
}, { description: 'A ContainerCheckpoint of this schedule that has not finished.' });

export const CheckpointScheduleStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ description: 'The .metadata.generation the status was written for.', minimum: 0, format: 'int64' })),
  conditions: Type.Optional(Conditions('ScheduleValid is False, with a reason, when the schedule or time zone cannot be evaluated.')),
  lastScheduleTime: Type.Optional(Timestamp('The scheduled time of the last run that started.')),
  lastSuccessfulTime: Type.Optional(Timestamp('When the last run whose checkpoints all succeeded finished.')),
  nextScheduleTime: Type.Optional(Timestamp('When the next run is due.')),
  active: Type.Optional(Type.Array(ActiveCheckpoint, { description: 'Checkpoints of this schedule that have not finished.', maxItems: 10000 })),
}, { description: 'What the schedule has done. Written by the controller.' });
export type CheckpointScheduleStatus = Static<typeof CheckpointScheduleStatus>;

export interface CheckpointSchedule {
  apiVersion: 'ckpt.dev/v1alpha1';
  kind: 'CheckpointSchedule';
  metadata: ObjectMeta;
  spec: CheckpointScheduleSpec;
  status?: CheckpointScheduleStatus;
}

export interface ClusterCheckpointSchedule {
  apiVersion: 'ckpt.dev/v1alpha1';
  kind: 'ClusterCheckpointSchedule';
  metadata: ObjectMeta;
  spec: ClusterCheckpointScheduleSpec;
  status?: CheckpointScheduleStatus;
}
