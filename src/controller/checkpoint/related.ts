// Which checkpoints a change of a pod, an agent Lease, a node or a namespace
// concerns. The checkpoint controller watches those through these mappings,
// which read indexes of the shared caches: with 10,000 checkpoints no single
// change may scan them all, and an agent renewing its Lease every few seconds
// must not wake every checkpoint of its node.
import type { V1Pod } from '@kubernetes/client-node';
import { isFinished } from '../../api/checkpoint-state.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import type { CacheReader, IndexFunc } from '../../runtime/informer/object-cache.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import { agentLeasePrefix, agentPresence, type AgentLease } from './agent-lease.ts';

type Ckpt = ContainerCheckpoint & KubeObject;
type Pod = V1Pod & KubeObject;

const handedTo = (c: ContainerCheckpoint): string => c.status?.nodeName ?? '';

/** Indexes of the checkpoint cache: by the pod it names (namespace/pod), by the node it was handed to. */
export const checkpointIndexers: Record<'pod' | 'node', IndexFunc<Ckpt>> = {
  pod: (c) => [`${c.metadata.namespace ?? ''}/${c.spec.podName}`],
  node: (c) => (handedTo(c) === '' ? [] : [handedTo(c)]),
};

/** Index of the pod cache: by the node a pod is bound to. */
export const podIndexers: Record<'node', IndexFunc<Pod>> = {
  node: (p) => (p.spec?.nodeName === undefined || p.spec.nodeName === '' ? [] : [p.spec.nodeName]),
};

export function checkpointKey(c: Ckpt): string {
  return `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
}

const keys = (cs: Iterable<Ckpt>): string[] => [...cs].map(checkpointKey);
const open = (c: Ckpt): boolean => !isFinished(c) && c.metadata.deletionTimestamp === undefined;

/** Checkpoints still to act on that name this pod. */
export function checkpointsOfPod(checkpoints: CacheReader<Ckpt>, pod: KubeObject): string[] {
  return keys(checkpoints.byIndex('pod', `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`).filter(open));
}

/** The node whose agent holds this Lease, or undefined for another Lease (the leader's own). */
export function agentLeaseNode(l: KubeObject): string | undefined {
  const name = l.metadata?.name ?? '';
  return name.startsWith(agentLeasePrefix) ? name.slice(agentLeasePrefix.length) : undefined;
}

/**
 * Whether a Lease change says something new about the node's agent: one
 * appeared, vanished, or another took over. Renewals by the same live holder
 * do not; expiry shows no change at all, so checkpoints that depend on an
 * agent requeue themselves for the moment its Lease runs out.
 */
export function agentChanged(old: AgentLease | undefined, lease: AgentLease, now: Date): boolean {
  if (old === undefined) return true;
  return agentPresence(old, now)?.identity !== agentPresence(lease, now)?.identity;
}

/**
 * Open checkpoints an agent of this node matters to: those handed to it, and
 * those not handed off yet whose pod runs there (they may be waiting for it).
 */
export function checkpointsOfNode(checkpoints: CacheReader<Ckpt>, pods: CacheReader<Pod>, node: string): string[] {
  const out = new Set(keys(checkpoints.byIndex('node', node).filter(open)));
  for (const p of pods.byIndex('node', node)) {
    for (const c of checkpoints.byIndex('pod', `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`)) {
      if (open(c) && handedTo(c) === '') out.add(checkpointKey(c));
    }
  }
  return [...out];
}

/** Checkpoints handed to this node that are being deleted: the node going releases their finalizer. */
export function deletingOnNode(checkpoints: CacheReader<Ckpt>, node: string): string[] {
  return keys(checkpoints.byIndex('node', node).filter((c) => c.metadata.deletionTimestamp !== undefined));
}

/** Open checkpoints of a namespace not handed off yet: its opt-in label decides them. */
export function undecidedInNamespace(checkpoints: CacheReader<Ckpt>, namespace: string): string[] {
  return keys(checkpoints.list(namespace).filter((c) => open(c) && handedTo(c) === ''));
}
