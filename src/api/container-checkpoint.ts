// ContainerCheckpoint: a request to checkpoint the containers of one pod in
// the same namespace, and what came of it. A checkpoint is an event, not a
// desired state, so the spec cannot change after creation.
import Type, { type Static } from 'typebox';
import { ArchiveSpec, CheckpointOptions, TimeoutSeconds, TtlSecondsAfterFinished, compressions } from './checkpoint-options.ts';
import { ByteCount, Conditions, ContainerName, ContainerNames, ObjectName, StringEnum, Timestamp } from './fields.ts';
import type { ObjectMeta } from './meta.ts';
import { withRules } from './rules.ts';

export const ContainerCheckpointSpec = withRules(Type.Object({
  podName: ObjectName('Name of the pod to checkpoint. It must be in the namespace of this ContainerCheckpoint.'),
  containerNames: Type.Optional(ContainerNames('Containers of the pod to checkpoint. Empty: every running container of the pod.')),
  options: Type.Optional(CheckpointOptions),
  archive: Type.Optional(ArchiveSpec),
  timeoutSeconds: Type.Optional(TimeoutSeconds),
  ttlSecondsAfterFinished: Type.Optional(TtlSecondsAfterFinished),
}, { description: 'What to checkpoint and how. Immutable: create a new ContainerCheckpoint for another checkpoint.' }), [{
  rule: 'self == oldSelf',
  message: 'spec is immutable: a checkpoint is an event; create a new ContainerCheckpoint instead',
  transition: true,
  check: (s, old) => old === undefined || JSON.stringify(s) === JSON.stringify(old),
}]);
export type ContainerCheckpointSpec = Static<typeof ContainerCheckpointSpec>;

export const ArchiveStatus = Type.Object({
  path: Type.String({ description: "Path of the archive on the node, relative to the agent's archive root.", maxLength: 4096 }),
  sizeBytes: ByteCount('Size of the archive file in bytes, as a decimal string.'),
  sha256: Type.String({ description: 'SHA-256 digest of the archive file, hex.', pattern: '^[0-9a-f]{64}$' }),
  compression: StringEnum(compressions, { description: 'Compression the archive was written with.' }),
}, { description: 'The archive that holds this container\'s checkpoint.' });
export type ArchiveStatus = Static<typeof ArchiveStatus>;

const micros = (what: string) => Type.Integer({ description: `${what}, in microseconds (CRIU statistics).`, minimum: 0, format: 'int64' });
const pages = (what: string) => Type.Integer({ description: `${what} (4 KiB pages, CRIU statistics).`, minimum: 0, format: 'int64' });

export const CriuStatistics = Type.Object({
  freezingTimeMicros: micros('Time to freeze the container'),
  frozenTimeMicros: micros('Time the container stayed frozen'),
  memdumpTimeMicros: micros('Time to collect the memory pages'),
  memwriteTimeMicros: micros('Time to write the memory pages'),
  pagesScanned: pages('Memory pages scanned'),
  pagesWritten: pages('Memory pages written'),
  pagesSkippedParent: pages('Memory pages skipped because the parent checkpoint has them'),
}, { description: 'Statistics CRIU reported for the dump (its stats-dump file).' });
export type CriuStatistics = Static<typeof CriuStatistics>;

export const ContainerCheckpointResult = Type.Object({
  name: ContainerName('Name of the container in the pod.'),
  containerID: Type.String({ description: 'Runtime container ID with its scheme, as in the pod status (containerd://..., cri-o://...).', maxLength: 256 }),
  archive: Type.Optional(ArchiveStatus),
  statistics: Type.Optional(CriuStatistics),
  durationMillis: Type.Optional(Type.Integer({ description: 'Wall time of this container\'s checkpoint, dump and archive, in milliseconds.', minimum: 0, format: 'int64' })),
  reason: Type.Optional(Type.String({ description: 'Why this container\'s checkpoint failed, in CamelCase.', maxLength: 128 })),
  message: Type.Optional(Type.String({ description: 'Details of the failure, including the tail of CRIU\'s log.', maxLength: 8192 })),
}, { description: 'The checkpoint of one container.' });
export type ContainerCheckpointResult = Static<typeof ContainerCheckpointResult>;

export const AgentClaim = Type.Object({
  identity: Type.String({ description: 'Identity of the agent instance that claimed the checkpoint; it matches the holder of the node\'s agent Lease while that agent is alive.', maxLength: 256 }),
  claimTime: Timestamp('When the agent claimed the checkpoint.'),
}, { description: 'The agent that runs this checkpoint. Written once; a checkpoint never runs twice.' });
export type AgentClaim = Static<typeof AgentClaim>;

export const ContainerCheckpointStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ description: 'The .metadata.generation the status was written for.', minimum: 0, format: 'int64' })),
  conditions: Type.Optional(Conditions('Ready summarizes progress (reasons Pending, CheckpointInProgress, CheckpointCompleted, CheckpointFailed, as in KEP-5823 PodCheckpoint); Succeeded or Failed is True once the checkpoint is over, Failed with the specific reason.')),
  nodeName: Type.Optional(Type.String({ description: 'Node the pod runs on, whose agent makes the checkpoint.', maxLength: 253 })),
  sourcePodUID: Type.Optional(Type.String({ description: 'UID of the pod instance being checkpointed; a pod recreated under the same name fails the checkpoint (SourcePodReplaced).', maxLength: 64 })),
  agent: Type.Optional(AgentClaim),
  startTime: Type.Optional(Timestamp('When the agent started the checkpoint.')),
  completionTime: Type.Optional(Timestamp('When the checkpoint succeeded or failed.')),
  durationMillis: Type.Optional(Type.Integer({ description: 'Wall time from the agent\'s claim to completion, in milliseconds.', minimum: 0, format: 'int64' })),
  frozenTimeMicros: Type.Optional(Type.Integer({ description: 'Longest time any container stayed frozen, in microseconds.', minimum: 0, format: 'int64' })),
  totalSizeBytes: Type.Optional(ByteCount('Total size of the archives in bytes, as a decimal string.')),
  containers: Type.Optional(Type.Unsafe<ContainerCheckpointResult[]>({
    type: 'array', description: 'One entry per container to checkpoint, filled in as the checkpoint proceeds.',
    items: ContainerCheckpointResult, maxItems: 64, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
  })),
}, { description: 'What happened to the checkpoint. Written by the controller and the node agent only.' });
export type ContainerCheckpointStatus = Static<typeof ContainerCheckpointStatus>;

export interface ContainerCheckpoint {
  apiVersion: 'ckpt.dev/v1alpha1';
  kind: 'ContainerCheckpoint';
  metadata: ObjectMeta;
  spec: ContainerCheckpointSpec;
  status?: ContainerCheckpointStatus;
}
