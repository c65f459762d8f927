// Creating ContainerCheckpoints and waiting for their outcome, as a user
// would with kubectl (admin identity: the user is not what is under test).
import { stringify } from 'yaml';
import { outcomeOf } from '../../src/api/checkpoint-state.ts';
import type { ContainerCheckpoint, ContainerCheckpointSpec } from '../../src/api/container-checkpoint.ts';
import { waitFor } from '../env/run.ts';
import type { TestCluster } from './cluster.ts';

export async function createCheckpoint(cluster: TestCluster, namespace: string, name: string, spec: ContainerCheckpointSpec,
  labels: Record<string, string> = {}): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', namespace, '-f', '-'], {
    input: stringify({ apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name, labels }, spec }),
  });
}

export async function getCheckpoint(cluster: TestCluster, namespace: string, name: string): Promise<ContainerCheckpoint | undefined> {
  const r = await cluster.kubectl(['get', 'ckpt', name, '-n', namespace, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) as ContainerCheckpoint : undefined;
}

/** Waits until the checkpoint succeeded or failed and returns it. */
export async function waitForOutcome(cluster: TestCluster, namespace: string, name: string, timeoutMs = 120_000): Promise<ContainerCheckpoint> {
  return waitFor(`checkpoint ${namespace}/${name} to finish`, async () => {
    const c = await getCheckpoint(cluster, namespace, name);
    return c !== undefined && outcomeOf(c) !== undefined ? c : undefined;
  }, timeoutMs, 200);
}

export function failure(c: ContainerCheckpoint): { reason: string; message: string } | undefined {
  const f = c.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True');
  return f === undefined ? undefined : { reason: f.reason, message: f.message };
}
