// Starts the operator's pods the way the cluster would from the applied
// manifests: every replica of the controller Deployment on the "host" (the
// machine), the agent DaemonSet's pod on the node (inside the node's mount
// namespace, where containerd's state lives), each from its image's file
// system, as its ServiceAccount.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../test/env/run.ts';
import type { TestCluster } from '../../test/support/cluster.ts';
import { shareInNode, type TestNode } from '../../test/support/node.ts';
import type { BuiltImage } from './images.ts';
import { findWorkload, type Manifest, type Workload } from './manifests.ts';
import { launchContainer, type PodContext } from './pod-launch.ts';
import { PodProcess } from './pod-process.ts';

export interface OperatorPods {
  controllers: PodProcess[];
  agent: PodProcess;
  /** What was applied to each pod, for people. */
  summaries: Map<string, string[]>;
}

export interface StartOptions {
  cluster: TestCluster;
  node: TestNode;
  nodeName: string;
  images: { controller: BuiltImage; agent: BuiltImage };
  manifests: Manifest[];
  /** Receives the pods' log lines when set. */
  echo?: (line: string) => void;
  /** Called with each pod as soon as it runs, so that a later failure still stops it. */
  track: (p: PodProcess) => void;
}

function checkImage(w: Workload, image: BuiltImage): void {
  const want = w.podSpec.containers[0]?.image;
  if (want !== image.ref) {
    throw new Error(`${w.kind} ${w.name} runs image ${want ?? '(none)'}, but hack/build-images.sh built ${image.ref}: deploy/base/kustomization.yaml and the image build disagree`);
  }
}

async function serviceAccount(cluster: TestCluster, namespace: string, name: string): Promise<PodContext['serviceAccount']> {
  const token = (await cluster.kubectlOk(['create', 'token', name, '-n', namespace, '--duration=2h'])).trim();
  return { token, ca: await readFile(cluster.info.caFile, 'utf8') };
}

/** Hard links when the cache and the node share a file system, a copy otherwise. */
function copyTree(from: string, to: string): void {
  const linked = spawnSync('cp', ['-al', from, to]);
  if (linked.status === 0) return;
  const copied = spawnSync('cp', ['-a', from, to]);
  if (copied.status !== 0) throw new Error(`cp -a ${from} ${to}: ${copied.stderr.toString()}`);
}

export async function startOperator(o: StartOptions): Promise<OperatorPods> {
  const api = new URL(o.cluster.info.server);
  const apiServer = { host: api.hostname, port: api.port };
  const controller = findWorkload(o.manifests, 'Deployment', 'ckpt-controller');
  const agentSet = findWorkload(o.manifests, 'DaemonSet', 'ckpt-agent');
  checkImage(controller, o.images.controller);
  checkImage(agentSet, o.images.agent);
  const summaries = new Map<string, string[]>();
  const sharedNet = 'the demo\'s pods share the host\'s network namespace';

  const controllerSa = await serviceAccount(o.cluster, controller.namespace, controller.podSpec.serviceAccountName ?? 'default');
  const controllers: PodProcess[] = [];
  for (let i = 0; i < controller.replicas; i++) {
    const podName = `ckpt-controller-demo-${i}`;
    const port = await freePort();
    const launch = launchContainer(controller.podSpec, {
      podName, namespace: controller.namespace, nodeName: o.nodeName, image: o.images.controller, rootfs: o.images.controller.rootfs,
      enter: [], apiServer, serviceAccount: controllerSa,
      overrides: [{ name: 'CKPT_HEALTH_PORT', value: String(port), why: sharedNet }, { name: 'CKPT_HEALTH_HOST', value: '127.0.0.1', why: sharedNet }],
    });
    summaries.set(podName, launch.summary);
    const pod = new PodProcess(podName, launch, port, o.echo);
    o.track(pod);
    controllers.push(pod);
  }

  // On a real node systemd makes every mount shared, so that mounts the
  // runtime makes later (a new container's root file system) reach the
  // agent through mountPropagation: HostToContainer. The test node's mounts
  // start private (hack/node-root.sh); share the runtime's.
  await o.node.execOk(['mount', '--make-rshared', '/run']);
  await o.node.execOk(['mount', '--make-rshared', '/var/lib/containerd']);
  // The node sees the host only through its share directory.
  copyTree(o.images.agent.rootfs, join(o.node.info.share, 'agent-rootfs'));
  const agentPod = `ckpt-agent-demo-${o.nodeName}`;
  const agentPort = await freePort();
  const criuEnv = Object.entries(o.node.info.criuEnv).map(([k, v]) => `${k}=${v}`).join(',');
  const agentLaunch = launchContainer(agentSet.podSpec, {
    podName: agentPod, namespace: agentSet.namespace, nodeName: o.nodeName, image: o.images.agent, rootfs: `${shareInNode}/agent-rootfs`,
    enter: o.node.enterArgv(), apiServer,
    serviceAccount: await serviceAccount(o.cluster, agentSet.namespace, agentSet.podSpec.serviceAccountName ?? 'default'),
    overrides: [
      { name: 'CKPT_HEALTH_PORT', value: String(agentPort), why: sharedNet },
      { name: 'CKPT_HEALTH_HOST', value: '127.0.0.1', why: sharedNet },
      ...(criuEnv !== '' ? [{ name: 'CKPT_CRIU_ENV', value: criuEnv, why: 'this VM does not deliver hardware breakpoints to CRIU (docs/node-stack.md)' }] : []),
    ],
  });
  summaries.set(agentPod, agentLaunch.summary);
  const agent = new PodProcess(agentPod, agentLaunch, agentPort, o.echo);
  o.track(agent);
  return { controllers, agent, summaries };
}
