// Builds the agent process: it holds its node's Lease (ckpt-agent-<node>),
// the controller's sign that the node can take checkpoints; watches only the
// checkpoints labelled for its node; and runs them with CRIU.
import type { ConfigOf } from '../runtime/config/options.ts';
import type { KubeClient } from '../runtime/kube/kube-client.ts';
import type { Logger } from '../runtime/logging/logger.ts';
import { Manager } from '../runtime/manager/manager.ts';
import { nodeLabel, resources } from '../api/names.ts';
import { agentLeaseName } from '../controller/checkpoint/agent-lease.ts';
import { PageServerAllowlist } from '../policy/page-server-allowlist.ts';
import { AgentMetrics } from './agent-metrics.ts';
import { ArchiveRoot } from './archive/archive-root.ts';
import type { agentOptions } from './options.ts';
import { JobTracker } from './worker/job-tracker.ts';
import { AgentReconciler } from './worker/reconciler.ts';
import type { Ckpt } from './worker/status-updater.ts';

export type AgentConfig = ConfigOf<typeof agentOptions>;

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`criuEnv: ${p} is not KEY=VALUE`);
    env[p.slice(0, i)] = p.slice(i + 1);
  }
  return env;
}

export interface AgentProcess {
  manager: Manager;
  jobs: JobTracker;
  root: ArchiveRoot;
}

export async function buildAgent(client: KubeClient, cfg: AgentConfig, logger: Logger, identity: string): Promise<AgentProcess> {
  if (cfg.nodeName === '') throw new Error('nodeName is required (--node-name or CKPT_NODE_NAME, from spec.nodeName in the DaemonSet)');
  // Each CRIU call holds a libuv pool thread while it waits for CRIU; file I/O and compression need some too.
  const pool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  if (pool < cfg.maxConcurrentCheckpoints + 2) {
    logger.warn({ UV_THREADPOOL_SIZE: pool }, `UV_THREADPOOL_SIZE should be at least maxConcurrentCheckpoints + 2 (${cfg.maxConcurrentCheckpoints + 2})`);
  }
  const root = await ArchiveRoot.open(cfg.archiveRoot);
  const allowlist = new PageServerAllowlist({ cidrs: [...cfg.pageServerAllowlist], ports: cfg.pageServerPorts.map(Number) });
  const manager = new Manager({
    client, logger,
    health: { port: cfg.healthPort, host: cfg.healthHost },
    gracefulShutdownMs: cfg.gracefulShutdownTimeout,
    leaderElection: {
      namespace: cfg.namespace, name: agentLeaseName(cfg.nodeName), identity,
      leaseDurationMs: cfg.leaseDuration, renewDeadlineMs: cfg.renewDeadline, retryPeriodMs: cfg.retryPeriod,
    },
  });
  const metrics = new AgentMetrics(manager.registry);
  const jobs = new JobTracker(logger, (n) => { metrics.inFlight.set(n); });
  manager.add(jobs);
  const checkpoints = manager.informers.informer<Ckpt>(resources.containerCheckpoints, { labelSelector: `${nodeLabel}=${cfg.nodeName}` });
  const events = manager.newEventRecorder({ reportingController: 'ckpt.dev/agent', reportingInstance: identity });
  const reconciler = new AgentReconciler({
    client, root, nodeName: cfg.nodeName, identity,
    runcRoots: { containerd: cfg.containerdRuncRoot, 'cri-o': cfg.crioRuncRoot },
    runner: { command: [...cfg.criuCommand], env: parseEnv(cfg.criuEnv) },
    criuLogLevel: cfg.criuLogLevel, compressionLevels: { gzip: cfg.gzipLevel, zstd: cfg.zstdLevel },
    allowlist, events, metrics, logger, now: () => new Date(),
    checkpoints: checkpoints.cache, jobs, maxConcurrent: cfg.maxConcurrentCheckpoints,
  });
  const controller = manager.newController({ name: 'agent', reconciler, workers: cfg.maxConcurrentCheckpoints + 2 });
  controller.watch(checkpoints);
  return { manager, jobs, root };
}
