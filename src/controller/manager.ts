// Builds the controller process: shared informers over checkpoints, pods,
// namespaces, nodes and the agents' Leases, and the reconcilers on top.
import { isFinished } from '../api/checkpoint-state.ts';
import type { ContainerCheckpoint } from '../api/container-checkpoint.ts';
import { resources } from '../api/names.ts';
import type { OptInPolicy } from '../policy/opt-in.ts';
import type { ConfigOf } from '../runtime/config/options.ts';
import type { KubeClient } from '../runtime/kube/kube-client.ts';
import type { KubeObject } from '../runtime/kube/object.ts';
import { coreResources } from '../runtime/kube/resource.ts';
import type { Logger } from '../runtime/logging/logger.ts';
import { Manager } from '../runtime/manager/manager.ts';
import type { Clock } from '../runtime/clock.ts';
import type { AgentLease } from './checkpoint/agent-lease.ts';
import { CheckpointReconciler } from './checkpoint/reconciler.ts';
import { slimPod, type CachedPod } from './cached-pod.ts';
import {
  agentChanged, agentLeaseNode, checkpointIndexers, checkpointsOfNode, checkpointsOfPod, deletingOnNode, podIndexers, undecidedInNamespace,
} from './checkpoint/related.ts';
import { CheckpointMetrics } from './metrics/checkpoint-metrics.ts';
import { registerScheduleControllers } from './schedule/register.ts';
import type { controllerOptions } from './options.ts';

export type ControllerConfig = ConfigOf<typeof controllerOptions>;

export function optInPolicy(cfg: ControllerConfig): OptInPolicy {
  const [label = '', value = ''] = cfg.optInLabel.split('=');
  return { required: cfg.optInRequired, label, value };
}

type Ckpt = ContainerCheckpoint & KubeObject;

export interface ControllerProcess {
  manager: Manager;
  metrics: CheckpointMetrics;
}

export function buildController(client: KubeClient, cfg: ControllerConfig, logger: Logger, identity: string, clock?: Clock): ControllerProcess {
  const manager = new Manager({
    client, logger,
    health: { port: cfg.healthPort, host: cfg.healthHost },
    gracefulShutdownMs: cfg.gracefulShutdownTimeout,
    informerDefaults: { watchdogMs: cfg.informerWatchdog },
    ...(cfg.leaderElect ? {
      leaderElection: {
        namespace: cfg.leaderElectionNamespace ?? cfg.namespace,
        name: cfg.leaderElectionId ?? 'ckpt-controller',
        identity,
        leaseDurationMs: cfg.leaseDuration, renewDeadlineMs: cfg.renewDeadline, retryPeriodMs: cfg.retryPeriod,
      },
    } : {}),
    ...(clock !== undefined ? { clock } : {}),
  });
  const inf = manager.informers;
  const checkpoints = inf.informer<Ckpt>(resources.containerCheckpoints, { indexers: checkpointIndexers });
  // Only what the reconcilers read: the cache of 10,000 pods stays small.
  const pods = inf.informer<CachedPod>(coreResources.pods, { indexers: podIndexers, transform: slimPod });
  const leases = inf.informer<AgentLease & KubeObject>(coreResources.leases, { namespace: cfg.namespace });
  const nodes = inf.informer<KubeObject>(coreResources.nodes, { transform: (n) => ({ metadata: { name: n.metadata?.name, resourceVersion: n.metadata?.resourceVersion } }) });
  const namespaces = inf.informer<KubeObject>(coreResources.namespaces, { transform: (n) => ({ metadata: { name: n.metadata?.name, labels: n.metadata?.labels, resourceVersion: n.metadata?.resourceVersion } }) });

  const events = manager.newEventRecorder({ reportingController: 'ckpt.dev/controller', reportingInstance: identity });
  const metrics = new CheckpointMetrics(manager.registry);
  // A checkpoint is judged against times other processes wrote (agent Lease
  // renewals, claims): wall-clock time, even when a test runs the schedules
  // on a fake clock.
  const now = (): Date => new Date();
  const reconciler = new CheckpointReconciler({
    client, checkpoints: checkpoints.cache, pods: pods.cache, leases: leases.cache, nodes: nodes.cache, namespaces: namespaces.cache,
    agentNamespace: cfg.namespace, events, optIn: optInPolicy(cfg), now,
    config: { agentWaitSeconds: cfg.agentWait / 1000, deadlineGraceSeconds: cfg.deadlineGrace / 1000 },
  });
  const controller = manager.newController({ name: 'containercheckpoint', reconciler, workers: cfg.workers });
  controller.watch(checkpoints);
  // Every cache the reconciler reads is watched, if only so that workers
  // start after all of them synced: an empty namespace cache would refuse
  // everything NotPermitted, an empty node cache would release finalizers.
  // A pod change can unblock or fail a checkpoint waiting on it.
  controller.watch(pods, { map: (p) => checkpointsOfPod(checkpoints.cache, p) });
  // An agent appearing, vanishing or being replaced matters to its node's checkpoints.
  controller.watch(leases, {
    filter: (l, old) => agentLeaseNode(l) !== undefined && agentChanged(old, l, now()),
    map: (l) => checkpointsOfNode(checkpoints.cache, pods.cache, agentLeaseNode(l) ?? ''),
  });
  // A node that is gone releases the finalizers of its checkpoints being deleted.
  controller.watch(nodes, { map: (n) => deletingOnNode(checkpoints.cache, n.metadata?.name ?? '') });
  // The opt-in label of a namespace decides its checkpoints not handed off yet.
  controller.watch(namespaces, { map: (n) => undecidedInNamespace(checkpoints.cache, n.metadata?.name ?? '') });
  // Observe each checkpoint once, when it is seen to finish, and only on the leader.
  checkpoints.addHandlers({
    onUpdate: (old, obj) => {
      if (manager.elector !== undefined && !manager.elector.isLeader()) return;
      if (!isFinished(old) && isFinished(obj)) metrics.observe(obj);
    },
  });
  registerScheduleControllers(manager, {
    client, checkpoints, pods, namespaces, events, clock,
    config: { defaultTimeZone: cfg.scheduleTimeZone, maxCreatesPerRun: cfg.maxCreatesPerRun, workers: cfg.workers },
  });
  return { manager, metrics };
}
