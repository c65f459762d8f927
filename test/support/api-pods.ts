// Pods, nodes and namespaces as API objects only, with no kubelet behind
// them: the status a kubelet would report is written through the pods/status
// subresource, in the shape the kubelet gives it (see pods.ts for the same
// shape over real containers). Enough for the controller, which reads only
// the API; the agent double never touches a container either.
import { randomBytes } from 'node:crypto';
import type { V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound } from '../../src/runtime/kube/api-error.ts';
import type { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';

/**
 * What the kubelet shows for a container. 'created' is CRI's
 * CONTAINER_CREATED: the kubelet reports it as waiting with no reason, yet
 * with a container ID (runc refuses to checkpoint it too).
 */
export type ApiContainerState = 'running' | 'created' | 'waiting' | 'terminated';

export interface ApiContainer {
  name: string;
  /** Default running. */
  state?: ApiContainerState;
  /** Scheme of the container ID (default containerd). */
  runtime?: string;
  /** Omit the container from status.containerStatuses (not reported yet). */
  unreported?: boolean;
}

export interface ApiPodOptions {
  namespace: string;
  name: string;
  /** Unset: the pod is not scheduled (phase Pending, no container statuses). */
  nodeName?: string;
  /** Default Running for a scheduled pod. */
  phase?: string;
  containers: ApiContainer[];
  labels?: Record<string, string>;
}

export type Pod = V1Pod & KubeObject;

const image = 'registry.example/app:1';

function containerState(s: ApiContainerState, startedAt: string): V1ContainerState {
  switch (s) {
    case 'running': return { running: { startedAt: new Date(startedAt) } };
    case 'created': return { waiting: {} };
    case 'waiting': return { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } };
    case 'terminated': return { terminated: { exitCode: 0, reason: 'Completed', startedAt: new Date(startedAt), finishedAt: new Date(startedAt) } };
  }
}

/** Status as the kubelet would write it for these containers. */
export function podStatus(o: ApiPodOptions): Record<string, unknown> {
  const now = new Date().toISOString();
  if (o.nodeName === undefined) return { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: now }] };
  const statuses: V1ContainerStatus[] = o.containers.filter((c) => c.unreported !== true).map((c) => {
    const state = c.state ?? 'running';
    return {
      name: c.name, image, imageID: `${image}@sha256:${'0'.repeat(64)}`,
      containerID: `${c.runtime ?? 'containerd'}://${randomBytes(32).toString('hex')}`,
      ready: state === 'running', started: state === 'running', restartCount: state === 'waiting' ? 3 : 0,
      state: containerState(state, now),
    };
  });
  return { phase: o.phase ?? 'Running', startTime: now, containerStatuses: statuses };
}

/** Creates the pod and writes its status through pods/status, as the kubelet does. */
export async function createApiPod(admin: KubeClient, o: ApiPodOptions): Promise<Pod> {
  const created = await admin.create<Pod>(coreResources.pods, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels ?? {} },
    spec: { ...(o.nodeName !== undefined ? { nodeName: o.nodeName } : {}), containers: o.containers.map((c) => ({ name: c.name, image })) },
  });
  return setPodStatus(admin, created, podStatus(o));
}

export function setPodStatus(admin: KubeClient, pod: Pod, status: Record<string, unknown>): Promise<Pod> {
  return admin.patch<Pod>(coreResources.pods, pod.metadata?.name ?? '', pod.metadata?.namespace, { status }, { type: 'merge', subresource: 'status' });
}

/** Creates many pods, a bounded number at a time. */
export async function createApiPods(admin: KubeClient, pods: ApiPodOptions[], concurrency = 32): Promise<Pod[]> {
  const out: Pod[] = new Array<Pod>(pods.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, pods.length) }, async () => {
    for (let i = next++; i < pods.length; i = next++) {
      const p = pods[i];
      if (p !== undefined) out[i] = await createApiPod(admin, p);
    }
  }));
  return out;
}

export async function ensureNode(admin: KubeClient, name: string): Promise<void> {
  try {
    await admin.create(coreResources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

export async function deleteNode(admin: KubeClient, name: string): Promise<void> {
  try {
    await admin.delete(coreResources.nodes, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** A namespace, opted in to checkpoints (label ckpt.dev/checkpoints=enabled) unless told otherwise. */
export async function createNamespace(admin: KubeClient, name: string, optIn = true): Promise<void> {
  await admin.create(coreResources.namespaces, {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name, labels: optIn ? { 'ckpt.dev/checkpoints': 'enabled' } : {} },
  });
}
