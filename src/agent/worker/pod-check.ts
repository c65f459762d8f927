// The agent's own check, right before each dump, that the container it is
// about to dump is the one the controller resolved: a pod bound to this node,
// the same pod instance, the same runtime container, still running. Guards
// against a stale or forged hand-off (and a pod replaced in between).
import type { V1Pod } from '@kubernetes/client-node';
import { failureReasons, type FailureReason } from '../../api/conditions.ts';

export type PodCheck = { ok: true } | { ok: false; reason: FailureReason; message: string };

export function checkPod(pod: V1Pod | undefined, want: { nodeName: string; podName: string; podUID: string | undefined; container: string; containerID: string }): PodCheck {
  if (pod === undefined) return { ok: false, reason: failureReasons.podNotFound, message: `pod ${want.podName} no longer exists` };
  if (pod.spec?.nodeName !== want.nodeName) {
    return { ok: false, reason: failureReasons.notPermitted, message: `pod ${want.podName} is bound to ${pod.spec?.nodeName ?? 'no node'}, not this agent's node ${want.nodeName}` };
  }
  if (want.podUID !== undefined && want.podUID !== '' && pod.metadata?.uid !== want.podUID) {
    return { ok: false, reason: failureReasons.sourcePodReplaced, message: `pod ${want.podName} was replaced (UID ${pod.metadata?.uid ?? '?'}, expected ${want.podUID})` };
  }
  const st = pod.status?.containerStatuses?.find((s) => s.name === want.container);
  if (st?.containerID !== want.containerID) {
    return { ok: false, reason: failureReasons.containerChanged, message: `container ${want.container} is now ${st?.containerID ?? 'gone'}, not ${want.containerID}` };
  }
  if (st.state?.running === undefined) {
    return { ok: false, reason: failureReasons.containerNotRunning, message: `container ${want.container} is no longer running` };
  }
  return { ok: true };
}
