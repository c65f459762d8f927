// From a checkpoint's spec and the pod it names to the node and the runtime
// container IDs to dump, or to the reason it cannot be done. Pure: the pod is
// whatever the cache holds.
import type { V1Pod } from '@kubernetes/client-node';
import type { ContainerCheckpointSpec } from '../../api/container-checkpoint.ts';
import { failureReasons, type FailureReason } from '../../api/conditions.ts';

export interface Target {
  name: string;
  /** With its scheme, as the pod status has it (containerd://..., cri-o://...). */
  containerID: string;
}

export type Resolution =
  | { ok: true; nodeName: string; podUID: string; targets: Target[] }
  | { ok: false; reason: FailureReason; message: string };

/** Runtimes whose containers the agent can map to runc containers. */
export const supportedRuntimes = ['containerd', 'cri-o'] as const;

const refuse = (reason: FailureReason, message: string): Resolution => ({ ok: false, reason, message });

export function runtimeOf(containerID: string): string {
  const i = containerID.indexOf('://');
  return i < 0 ? '' : containerID.slice(0, i);
}

export function resolveTargets(spec: ContainerCheckpointSpec, namespace: string, pod: V1Pod | undefined): Resolution {
  if (pod === undefined) return refuse(failureReasons.podNotFound, `pod ${namespace}/${spec.podName} not found`);
  const nodeName = pod.spec?.nodeName;
  if (nodeName === undefined || nodeName === '') {
    return refuse(failureReasons.podNotScheduled, `pod ${spec.podName} is not scheduled to a node yet`);
  }
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase !== 'Running') return refuse(failureReasons.podNotRunning, `pod ${spec.podName} is ${phase}, not Running`);
  const declared = (pod.spec?.containers ?? []).map((c) => c.name);
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const wanted = spec.containerNames !== undefined && spec.containerNames.length > 0
    ? spec.containerNames
    : declared.filter((n) => statuses.get(n)?.state?.running !== undefined);
  if (wanted.length === 0) return refuse(failureReasons.containerNotRunning, `pod ${spec.podName} has no running container`);
  const targets: Target[] = [];
  for (const name of wanted) {
    if (!declared.includes(name)) {
      return refuse(failureReasons.unknownContainer, `pod ${spec.podName} has no container named ${name} (it has ${declared.join(', ')})`);
    }
    const st = statuses.get(name);
    const state = st?.state;
    if (st === undefined || state?.running === undefined) {
      // CRI's CONTAINER_CREATED shows as waiting without a reason; runc refuses to checkpoint it too.
      const what = state?.waiting !== undefined ? ((state.waiting.reason ?? '') === '' ? 'created' : `waiting (${state.waiting.reason ?? ''})`)
        : state?.terminated !== undefined ? `terminated (${state.terminated.reason ?? `exit ${state.terminated.exitCode}`})`
          : 'not started';
      return refuse(failureReasons.containerNotRunning, `container ${name} is ${what}, not running`);
    }
    const containerID = st.containerID ?? '';
    if (containerID === '') return refuse(failureReasons.containerNotRunning, `container ${name} has no container ID yet`);
    const runtime = runtimeOf(containerID);
    if (!(supportedRuntimes as readonly string[]).includes(runtime)) {
      return refuse(failureReasons.unsupportedRuntime, `container ${name} runs on ${runtime === '' ? 'an unknown runtime' : runtime}; supported: ${supportedRuntimes.join(', ')}`);
    }
    targets.push({ name, containerID });
  }
  return { ok: true, nodeName, podUID: pod.metadata?.uid ?? '', targets };
}
