// A pod as Kubernetes would run it, without a kubelet: a sandbox container
// whose network, IPC and UTS namespaces the app containers join (as
// containerd's CRI plugin arranges it, with its io.kubernetes.cri.*
// annotations), and matching Node and Pod objects in the API server whose
// status points at the real container IDs.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { workloadImageName } from '../env/node-handle.ts';
import type { TestCluster } from './cluster.ts';
import type { TestNode } from './node.ts';

export interface PodContainerSpec {
  name: string;
  args: string[];
  memoryLimitBytes?: number;
}

export interface RunningPod {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  sandboxID: string;
  /** Runtime IDs (no scheme) and init PIDs by container name. */
  containers: Record<string, { id: string; pid: number }>;
}

export const newContainerID = (): string => randomBytes(32).toString('hex');

/** Creates the Node object the test node stands for, once. */
export async function ensureNodeObject(cluster: TestCluster, nodeName: string): Promise<void> {
  const r = await cluster.kubectl(['get', 'node', nodeName]);
  if (r.code === 0) return;
  await cluster.kubectlOk(['apply', '-f', '-'], { input: stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName } } }) });
}

export async function startPod(cluster: TestCluster, node: TestNode, opts: {
  namespace: string; name: string; nodeName: string; containers: PodContainerSpec[]; labels?: Record<string, string>;
}): Promise<RunningPod> {
  await ensureNodeObject(cluster, opts.nodeName);
  const pod: V1Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: opts.name, namespace: opts.namespace, labels: opts.labels ?? {} },
    spec: { nodeName: opts.nodeName, containers: opts.containers.map((c) => ({ name: c.name, image: workloadImageName, args: c.args })) },
  };
  const created = JSON.parse(await cluster.kubectlOk(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify(pod) })) as V1Pod;
  const uid = created.metadata?.uid ?? '';
  const sandboxID = newContainerID();
  const cri = {
    'io.kubernetes.cri.sandbox-name': opts.name,
    'io.kubernetes.cri.sandbox-namespace': opts.namespace,
    'io.kubernetes.cri.sandbox-uid': uid,
  };
  const sandboxPid = await node.runContainer({
    id: sandboxID, args: ['/bin/sleep', '2147483647'],
    annotations: { ...cri, 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': sandboxID },
  });
  const containers: RunningPod['containers'] = {};
  for (const c of opts.containers) {
    const id = newContainerID();
    const pid = await node.runContainer({
      id, args: c.args, memoryLimitBytes: c.memoryLimitBytes,
      annotations: {
        ...cri, 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': sandboxID,
        'io.kubernetes.cri.container-name': c.name, 'io.kubernetes.cri.image-name': workloadImageName,
      },
      joinNamespaces: {
        network: `/proc/${sandboxPid}/ns/net`, ipc: `/proc/${sandboxPid}/ns/ipc`, uts: `/proc/${sandboxPid}/ns/uts`,
      },
    });
    containers[c.name] = { id, pid };
  }
  const now = new Date().toISOString();
  await cluster.kubectlOk(['patch', 'pod', opts.name, '-n', opts.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      containerStatuses: opts.containers.map((c) => ({
        name: c.name, ready: true, restartCount: 0, started: true,
        image: workloadImageName, imageID: workloadImageName,
        containerID: `containerd://${containers[c.name]?.id ?? ''}`,
        state: { running: { startedAt: now } },
      })),
    },
  })]);
  return { namespace: opts.namespace, name: opts.name, uid, nodeName: opts.nodeName, sandboxID, containers };
}
