// The install manifests as kustomize renders them: the demo applies these to
// its control plane and runs the pods of their Deployment and DaemonSet
// itself (there is no kubelet), so the settings it runs with are the ones
// that ship.
import type { V1DaemonSet, V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

export interface Workload {
  kind: 'Deployment' | 'DaemonSet';
  name: string;
  namespace: string;
  replicas: number;
  podSpec: V1PodSpec;
}

export function findWorkload(objects: Manifest[], kind: Workload['kind'], name: string): Workload {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`the manifests have no ${kind} ${name}`);
  const w = o as unknown as V1Deployment | V1DaemonSet;
  const podSpec = w.spec?.template.spec;
  if (podSpec === undefined) throw new Error(`${kind} ${name} has no pod template`);
  const replicas = kind === 'Deployment' ? (o as unknown as V1Deployment).spec?.replicas ?? 1 : 1;
  return { kind, name, namespace: o.metadata.namespace ?? 'default', replicas, podSpec };
}
