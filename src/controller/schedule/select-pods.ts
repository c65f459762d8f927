// The pods a run covers, read from the shared caches: for a
// CheckpointSchedule the pods of its namespace that match podSelector; for a
// ClusterCheckpointSchedule, first the namespaces that match
// namespaceSelector, then their pods that match podSelector.
import type { V1Pod } from '@kubernetes/client-node';
import type { CacheReader } from '../../runtime/informer/object-cache.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import type { CompiledLabelSelector } from './label-selector.ts';
import type { PodRecord } from './run-plan.ts';

export type CachedPod = V1Pod & KubeObject;

export interface PodSelection {
  pods: CacheReader<CachedPod>;
  namespaces: CacheReader<KubeObject>;
  podSelector: CompiledLabelSelector;
  /** The schedule's namespace (CheckpointSchedule). */
  namespace?: string | undefined;
  /** ClusterCheckpointSchedule. */
  namespaceSelector?: CompiledLabelSelector | undefined;
}

export function selectPods(sel: PodSelection): PodRecord[] {
  const namespaces = sel.namespace !== undefined
    ? [sel.namespace]
    : sel.namespaces.list()
      .filter((n) => sel.namespaceSelector?.matches(n.metadata?.labels) ?? true)
      .map((n) => n.metadata?.name ?? '');
  const out: PodRecord[] = [];
  for (const ns of namespaces) {
    for (const p of sel.pods.list(ns)) {
      if (sel.podSelector.matches(p.metadata?.labels)) out.push(podRecordOf(p));
    }
  }
  return out;
}

export function podRecordOf(p: CachedPod): PodRecord {
  const statuses = new Map((p.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    phase: p.status?.phase ?? 'Unknown',
    labels: p.metadata?.labels,
    terminating: p.metadata?.deletionTimestamp !== undefined,
    containers: (p.spec?.containers ?? []).map((c) => {
      const s = statuses.get(c.name);
      return { name: c.name, running: s?.state?.running !== undefined, ready: s?.ready };
    }),
  };
}
