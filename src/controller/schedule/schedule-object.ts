// The two schedule kinds as the reconcilers handle them: one shape, told
// apart by kind, and the way from a checkpoint back to the schedule that owns
// it.
import type { CheckpointSchedule, ClusterCheckpointSchedule } from '../../api/checkpoint-schedule.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import type { LabelSelector } from '../../api/fields.ts';
import { group, resources } from '../../api/names.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import type { ResourceType } from '../../runtime/kube/resource.ts';
import type { ScheduleKind } from './checkpoint-name.ts';
import type { ScheduleRef } from './run-plan.ts';

export type Schedule = (CheckpointSchedule | ClusterCheckpointSchedule) & KubeObject;
export type Checkpoint = ContainerCheckpoint & KubeObject;

export const scheduleResources: Readonly<Record<ScheduleKind, ResourceType>> = {
  CheckpointSchedule: resources.checkpointSchedules,
  ClusterCheckpointSchedule: resources.clusterCheckpointSchedules,
};

export function scheduleRefOf(kind: ScheduleKind, s: Schedule): ScheduleRef {
  return {
    kind, name: s.metadata.name ?? '', uid: s.metadata.uid ?? '',
    ...(kind === 'CheckpointSchedule' ? { namespace: s.metadata.namespace } : {}),
  };
}

/** The cache key of a schedule: "namespace/name", or "name" for the cluster-scoped kind. */
export function scheduleKey(kind: ScheduleKind, namespace: string | undefined, name: string): string {
  return kind === 'CheckpointSchedule' ? `${namespace ?? ''}/${name}` : name;
}

export function namespaceSelectorOf(s: Schedule): LabelSelector | undefined {
  return 'namespaceSelector' in s.spec ? s.spec.namespaceSelector : undefined;
}

export interface Owner {
  kind: ScheduleKind;
  key: string;
  uid: string;
}

/**
 * The schedule that controls a checkpoint, from its controller owner
 * reference (what planRun writes). Labels alone are not enough: a schedule
 * deleted and created again under the same name is another schedule, and
 * the old one's checkpoints, until the garbage collector takes them, are not
 * its own.
 */
export function owningSchedule(c: Checkpoint): Owner | undefined {
  for (const ref of c.metadata.ownerReferences ?? []) {
    if (ref.controller !== true || !ref.apiVersion.startsWith(`${group}/`)) continue;
    if (ref.kind === 'CheckpointSchedule') {
      return { kind: ref.kind, key: scheduleKey(ref.kind, c.metadata.namespace, ref.name), uid: ref.uid };
    }
    if (ref.kind === 'ClusterCheckpointSchedule') return { kind: ref.kind, key: ref.name, uid: ref.uid };
  }
  return undefined;
}
