// What the controller keeps of a pod in its cache: only what its reconcilers
// read (node, containers and their runtime IDs and states, phase, labels for
// opt-in and selectors). A cluster's pods outnumber everything else the
// controller watches, so every field kept here is paid ten thousand times.
// Nothing is ever written back from these objects.
import type { V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { KubeObject } from '../runtime/kube/object.ts';

export type CachedPod = V1Pod & KubeObject;

/** A container's state as the reconcilers read it: which one, the waiting/terminated reason, the exit code. */
function slimState(s: V1ContainerState | undefined): V1ContainerState {
  if (s?.running !== undefined) return { running: {} };
  if (s?.waiting !== undefined) return { waiting: s.waiting.reason !== undefined ? { reason: s.waiting.reason } : {} };
  if (s?.terminated !== undefined) {
    return { terminated: { exitCode: s.terminated.exitCode, ...(s.terminated.reason !== undefined ? { reason: s.terminated.reason } : {}) } };
  }
  return {};
}

function slimStatus(s: V1ContainerStatus): V1ContainerStatus {
  // image and imageID are required by the type but read by nobody here.
  return {
    name: s.name, ready: s.ready, restartCount: 0, image: '', imageID: '',
    ...(s.containerID !== undefined ? { containerID: s.containerID } : {}),
    state: slimState(s.state),
  };
}

export function slimPod(p: CachedPod): CachedPod {
  const m = p.metadata ?? {};
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.labels !== undefined && Object.keys(m.labels).length > 0 ? { labels: m.labels } : {}),
      ...(m.deletionTimestamp !== undefined ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    spec: {
      ...(p.spec?.nodeName !== undefined ? { nodeName: p.spec.nodeName } : {}),
      containers: (p.spec?.containers ?? []).map((c) => ({ name: c.name })),
    },
    status: {
      ...(p.status?.phase !== undefined ? { phase: p.status.phase } : {}),
      containerStatuses: (p.status?.containerStatuses ?? []).map(slimStatus),
    },
  };
}
