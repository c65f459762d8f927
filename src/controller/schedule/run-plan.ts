// What one run creates: a ContainerCheckpoint per selected pod, from the
// schedule's template, and which pods (or containers) it leaves out and why,
// for events. The plan is complete and ordered; the reconciler creates it in
// bounded batches and, since names are deterministic, treats AlreadyExists
// as created.
import type { CheckpointTemplate } from '../../api/checkpoint-schedule.ts';
import { failureReasons } from '../../api/conditions.ts';
import type { ContainerCheckpoint, ContainerCheckpointSpec } from '../../api/container-checkpoint.ts';
import type { OwnerReference } from '../../api/meta.ts';
import { apiVersion, scheduledTimeAnnotation, scheduleKindLabel, scheduleLabel, scheduleRunLabel } from '../../api/names.ts';
import { checkpointName, runId, scheduleLabelValue, type ScheduleKind } from './checkpoint-name.ts';
import { scheduleEventReasons } from './reasons.ts';
import { runSizeAnnotation } from '../../api/names.ts';


export interface PodContainerRecord {
  name: string;
  /** state.running is set in the pod status. */
  running: boolean;
  /** Not consulted: a running container can be checkpointed whether or not it passes its readiness probe. */
  ready?: boolean | undefined;
}

export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  /** status.phase */
  phase: string;
  labels?: Readonly<Record<string, string>> | undefined;
  /** metadata.deletionTimestamp is set. */
  terminating?: boolean | undefined;
  /** spec.containers with their status; init and ephemeral containers are not checkpointed. */
  containers: readonly PodContainerRecord[];
}

export interface ScheduleRef {
  kind: ScheduleKind;
  name: string;
  /** The schedule's namespace; unset for ClusterCheckpointSchedule. */
  namespace?: string | undefined;
  uid: string;
}

export interface RunPlanInput {
  schedule: ScheduleRef;
  scheduledTime: Date;
  /** The pods the selectors chose. */
  pods: readonly PodRecord[];
  /** spec.containerNames; empty or unset: every running container. */
  containerNames?: readonly string[] | undefined;
  template?: CheckpointTemplate | undefined;
}

export interface SkippedPod {
  namespace: string;
  name: string;
  reason: string;
  message: string;
}

/** Containers left out of a pod's checkpoint while the pod's other containers are checkpointed. */
export interface SkippedContainers {
  namespace: string;
  pod: string;
  containers: string[];
  reason: string;
  message: string;
}

export interface RunPlan {
  /** The ckpt.dev/run value. */
  run: string;
  /** To create, ordered by namespace and pod name. */
  checkpoints: ContainerCheckpoint[];
  skippedPods: SkippedPod[];
  skippedContainers: SkippedContainers[];
}

export function planRun(input: RunPlanInput): RunPlan {
  const { schedule, scheduledTime } = input;
  const run = runId(scheduledTime);
  const plan: RunPlan = { run, checkpoints: [], skippedPods: [], skippedContainers: [] };
  const requested = [...new Set(input.containerNames ?? [])];
  const ownerReference: OwnerReference = {
    apiVersion, kind: schedule.kind, name: schedule.name, uid: schedule.uid, controller: true, blockOwnerDeletion: true,
  };

  for (const pod of uniqueSorted(input.pods)) {
    const skip = (reason: string, message: string) => plan.skippedPods.push({ namespace: pod.namespace, name: pod.name, reason, message });
    // An owner reference cannot cross namespaces to a namespaced owner; a
    // cluster-scoped owner can own objects in any namespace.
    if (schedule.kind === 'CheckpointSchedule' && pod.namespace !== schedule.namespace) {
      skip(scheduleEventReasons.podInOtherNamespace, `Pod ${pod.namespace}/${pod.name} is not in the schedule's namespace ${schedule.namespace ?? ''}`);
      continue;
    }
    if (pod.terminating === true) {
      skip(scheduleEventReasons.podTerminating, `Pod ${pod.namespace}/${pod.name} is being deleted`);
      continue;
    }
    if (pod.phase !== 'Running') {
      skip(failureReasons.podNotRunning, `Pod ${pod.namespace}/${pod.name} is ${pod.phase}, not Running`);
      continue;
    }
    const containers = chooseContainers(pod, requested);
    for (const left of containers.left) plan.skippedContainers.push({ namespace: pod.namespace, pod: pod.name, ...left });
    if (containers.chosen.length === 0) {
      const unknownOnly = containers.left.length === 1 && containers.left[0]?.reason === failureReasons.unknownContainer;
      skip(
        unknownOnly ? failureReasons.unknownContainer : failureReasons.containerNotRunning,
        unknownOnly
          ? `Pod ${pod.namespace}/${pod.name} has none of the containers ${requested.join(', ')}`
          : `Pod ${pod.namespace}/${pod.name} has no running container${requested.length > 0 ? ` among ${requested.join(', ')}` : ''}`,
      );
      continue;
    }
    plan.checkpoints.push(checkpointFor(input, run, pod, containers.chosen, ownerReference));
  }
  const size = String(plan.checkpoints.length);
  for (const c of plan.checkpoints) c.metadata.annotations = { ...c.metadata.annotations, [runSizeAnnotation]: size };
  return plan;
}

function uniqueSorted(pods: readonly PodRecord[]): PodRecord[] {
  const byKey = new Map<string, PodRecord>();
  for (const pod of pods) byKey.set(`${pod.namespace}/${pod.name}`, pod);
  return [...byKey.values()].sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type LeftOut = Omit<SkippedContainers, 'namespace' | 'pod'>;

// The checkpoint names its containers explicitly even when the schedule
// says "every running container": the run decides once which containers it
// covers, and retention groups checkpoints by them.
function chooseContainers(pod: PodRecord, requested: readonly string[]): { chosen: string[]; left: LeftOut[] } {
  if (requested.length === 0) {
    return { chosen: pod.containers.filter((c) => c.running).map((c) => c.name), left: [] };
  }
  const byName = new Map(pod.containers.map((c) => [c.name, c]));
  const unknown = requested.filter((n) => !byName.has(n));
  const notRunning = requested.filter((n) => byName.get(n)?.running === false);
  const left: LeftOut[] = [];
  if (unknown.length > 0) {
    left.push({ containers: unknown, reason: failureReasons.unknownContainer, message: `Pod ${pod.namespace}/${pod.name} has no container ${unknown.join(', ')}` });
  }
  if (notRunning.length > 0) {
    left.push({ containers: notRunning, reason: failureReasons.containerNotRunning, message: `Container ${notRunning.join(', ')} of pod ${pod.namespace}/${pod.name} is not running` });
  }
  return { chosen: requested.filter((n) => byName.get(n)?.running === true), left };
}

function checkpointFor(input: RunPlanInput, run: string, pod: PodRecord, containerNames: string[], owner: OwnerReference): ContainerCheckpoint {
  const { schedule, template } = input;
  const spec: ContainerCheckpointSpec = {
    ...structuredClone(template?.spec ?? {}),
    podName: pod.name,
    containerNames,
  };
  return {
    apiVersion,
    kind: 'ContainerCheckpoint',
    metadata: {
      name: checkpointName({
        scheduleKind: schedule.kind, scheduleNamespace: schedule.namespace, scheduleName: schedule.name,
        run, podNamespace: pod.namespace, podName: pod.name,
      }),
      namespace: pod.namespace,
      // The schedule's own labels come last so that a template cannot pass
      // a checkpoint off as another schedule's.
      labels: {
        ...template?.metadata?.labels,
        [scheduleLabel]: scheduleLabelValue(schedule.name),
        [scheduleKindLabel]: schedule.kind,
        [scheduleRunLabel]: run,
      },
      annotations: {
        ...template?.metadata?.annotations,
        [scheduledTimeAnnotation]: input.scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      ownerReferences: [{ ...owner }],
    },
    spec,
  };
}
