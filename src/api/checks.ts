// Whole-object validation entry points for the three kinds.
import { ContainerCheckpointSpec, type ContainerCheckpoint } from './container-checkpoint.ts';
import { CheckpointScheduleSpec, ClusterCheckpointScheduleSpec, type CheckpointSchedule, type ClusterCheckpointSchedule } from './checkpoint-schedule.ts';
import { validate, type FieldError } from './validate.ts';

type Manifest = ContainerCheckpoint | CheckpointSchedule | ClusterCheckpointSchedule;

const specSchemas = {
  ContainerCheckpoint: ContainerCheckpointSpec,
  CheckpointSchedule: CheckpointScheduleSpec,
  ClusterCheckpointSchedule: ClusterCheckpointScheduleSpec,
};

/** What kube-apiserver would refuse in the spec of this object (old: the stored object, on update). */
export function specErrors(obj: Manifest, old?: Manifest): FieldError[] {
  const raw = obj as { kind?: unknown; spec?: unknown };
  const schema = specSchemas[raw.kind as Manifest['kind']] as typeof specSchemas[Manifest['kind']] | undefined;
  if (schema === undefined) return [{ field: 'kind', message: `unknown kind ${String(raw.kind)}` }];
  if (raw.spec === undefined) return [{ field: 'spec', message: 'Required value' }];
  return validate(schema, raw.spec, 'spec', old?.spec);
}
