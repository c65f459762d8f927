// Helpers for the schedule suites: a control plane with the operator's RBAC
// applied, the controller process built in-process on a FakeClock and running
// as the controller's ServiceAccount, and admin-made fixtures (namespaces,
// Pods with a Running status, checkpoints marked finished as an agent would).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { CheckpointSchedule, ClusterCheckpointSchedule } from '../../src/api/checkpoint-schedule.ts';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { resources, scheduleRunLabel } from '../../src/api/names.ts';
import { buildController, type ControllerConfig } from '../../src/controller/manager.ts';
import { controllerOptions } from '../../src/controller/options.ts';
import { FakeClock } from '../../src/runtime/fake-clock.ts';
import { formatTime } from '../../src/runtime/kube/micro-time.ts';
import { loadConfig } from '../../src/runtime/config/load-config.ts';
import type { KubeEvent } from '../../src/runtime/events/event-recorder.ts';
import { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import { createLogger } from '../../src/runtime/logging/logger.ts';
import type { Manager } from '../../src/runtime/manager/manager.ts';
import { repoDir } from '../env/paths.ts';
import { TestCluster } from './cluster.ts';

export type Ckpt = ContainerCheckpoint & KubeObject;
export type Sched = CheckpointSchedule & KubeObject;
export type ClusterSched = ClusterCheckpointSchedule & KubeObject;

const logger = createLogger({ level: process.env.CKPT_TEST_VERBOSE !== undefined ? 'debug' : 'silent' });

export const minute = 60_000;

/** A running controller process on a fake clock. */
export interface RunningController {
  manager: Manager;
  clock: FakeClock;
  /**
   * Moves the clock to t once the schedule controllers are idle. A reconcile
   * still running when the clock jumps would register its "come back at
   * the next instant" after the jump, counted from the new time, and miss
   * the instant: with a real clock nothing jumps.
   */
  advanceTo(t: Date | number): Promise<void>;
  /** Stops it as SIGTERM would, and waits until it has. */
  stop(): Promise<void>;
}

const scheduleControllers = ['checkpointschedule', 'clustercheckpointschedule'];

/** Whether the schedule controllers have nothing queued and nothing in progress. */
async function idle(manager: Manager): Promise<boolean> {
  const metrics = await manager.registry.getMetricsAsJSON();
  const value = (name: string, label: string, controller: string): number =>
    metrics.find((m) => m.name === name)?.values.find((v) => v.labels[label] === controller)?.value ?? 0;
  return scheduleControllers.every((c) => value('workqueue_depth', 'name', c) === 0 && value('controller_runtime_active_workers', 'controller', c) === 0);
}

export class ScheduleEnv {
  readonly cluster: TestCluster;
  readonly admin: KubeClient;
  private readonly controllerKubeconfig: string;
  private readonly running = new Set<RunningController>();

  private constructor(cluster: TestCluster, admin: KubeClient, controllerKubeconfig: string) {
    this.cluster = cluster;
    this.admin = admin;
    this.controllerKubeconfig = controllerKubeconfig;
  }

  /** A control plane with crds/ and deploy/base/rbac applied. */
  static async start(): Promise<ScheduleEnv> {
    const cluster = await TestCluster.start();
    try {
      await cluster.kubectlOk(['apply', '-k', join(repoDir, 'deploy/base/rbac')]);
      const as = 'system:serviceaccount:ckpt-system:ckpt-controller';
      // The authorizer learns of new bindings through its own watch.
      await eventually('the controller\'s RBAC to take effect', async () => {
        const r = await cluster.kubectl(['auth', 'can-i', 'create', 'containercheckpoints.ckpt.dev', '-n', 'default', `--as=${as}`]);
        return r.stdout.trim() === 'yes';
      }, 30_000);
      const file = await cluster.serviceAccountKubeconfig('ckpt-system', 'ckpt-controller');
      return new ScheduleEnv(cluster, new KubeClient(cluster.adminConfig(), { userAgent: 'schedule-test-admin' }), file);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  async stopControllers(): Promise<void> {
    for (const r of [...this.running]) await r.stop();
  }

  /**
   * Stops the controllers and deletes every schedule and checkpoint, so that
   * the next test's controller finds nothing of this one's to act on.
   */
  async reset(): Promise<void> {
    await this.stopControllers();
    await this.cluster.kubectlOk(['delete', 'checkpointschedules,containercheckpoints', '--all', '--all-namespaces', '--wait=false']);
    await this.cluster.kubectlOk(['delete', 'clustercheckpointschedules', '--all', '--wait=false']);
    await eventually('schedules and checkpoints to be gone', async () => {
      const [a, b, c] = await Promise.all([
        this.admin.list(resources.checkpointSchedules), this.admin.list(resources.clusterCheckpointSchedules), this.admin.list(resources.containerCheckpoints),
      ]);
      return a.items.length + b.items.length + c.items.length === 0;
    });
  }

  async stop(): Promise<void> {
    await this.stopControllers();
    this.admin.close();
    await this.cluster.stop();
  }

  /**
   * Builds and starts the controller process, as the controller's
   * ServiceAccount, on a FakeClock that starts at the given instant (default:
   * now, cut to the second so that it is never ahead of a creationTimestamp
   * made after it).
   */
  async startController(o: { clock?: FakeClock; config?: Partial<ControllerConfig> } = {}): Promise<RunningController> {
    const clock = o.clock ?? new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    const base = loadConfig(controllerOptions, { argv: [], env: {} }).config;
    const cfg: ControllerConfig = {
      ...base, healthPort: 0, healthHost: '127.0.0.1', leaderElect: false, optInRequired: false,
      // No agents run here: checkpoints wait Pending, for the tests to finish them.
      agentWait: 3_600_000, gracefulShutdownTimeout: 5_000,
      ...o.config,
    };
    const client = new KubeClient(this.cluster.configFromFile(this.controllerKubeconfig), { userAgent: 'ckpt-controller-test' });
    const { manager } = buildController(client, cfg, logger, `test-${randomBytes(3).toString('hex')}`, clock);
    const ac = new AbortController();
    const done = manager.start(ac.signal);
    const r: RunningController = {
      manager, clock,
      advanceTo: async (t) => {
        await eventually('the schedule controllers to be idle', () => idle(manager));
        advanceTo(clock, t);
      },
      stop: async () => {
        if (!this.running.delete(r)) return;
        ac.abort();
        await done;
      },
    };
    this.running.add(r);
    await eventually('the controller\'s caches to sync', () => manager.informers.hasSynced(), 30_000);
    return r;
  }

  async namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.admin.create(coreResources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }

  /**
   * Pods as a kubelet would report them: scheduled to a node, and Running
   * with running containers, unless phase says otherwise.
   */
  async pods(namespace: string, names: readonly string[], o: { labels?: Record<string, string>; phase?: string; containers?: string[] } = {}): Promise<void> {
    const containers = o.containers ?? ['app'];
    const one = async (name: string): Promise<void> => {
      const pod: V1Pod & KubeObject = {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name, namespace, labels: o.labels ?? {} },
        spec: { nodeName: 'node-a', containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
      };
      await this.admin.create(coreResources.pods, pod);
      const phase = o.phase ?? 'Running';
      const now = new Date().toISOString();
      await this.admin.patch(coreResources.pods, name, namespace, {
        status: {
          phase,
          containerStatuses: phase !== 'Running' ? [] : containers.map((c) => ({
            name: c, ready: true, restartCount: 0, started: true, image: 'busybox', imageID: 'busybox',
            containerID: `containerd://${randomBytes(32).toString('hex')}`, state: { running: { startedAt: now } },
          })),
        },
      }, { type: 'merge', subresource: 'status' });
    };
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map(one));
  }

  async createSchedule(s: Sched): Promise<Sched> {
    return this.caughtUp(await this.admin.create<Sched>(resources.checkpointSchedules, s));
  }

  async createClusterSchedule(s: ClusterSched): Promise<ClusterSched> {
    return this.caughtUp(await this.admin.create<ClusterSched>(resources.clusterCheckpointSchedules, s));
  }

  /**
   * Brings the fake clocks up to the new schedule's creationTimestamp. A
   * schedule fires first at the instant after its creation, and the API
   * server's clock runs on while the fake one stands: a schedule created at
   * 12:35:00.2 by a controller whose clock says 12:34:59 fires first at
   * 12:40, not at the 12:35 the test would compute from the fake clock.
   */
  private async caughtUp<T extends KubeObject>(created: T): Promise<T> {
    const at = Date.parse(created.metadata?.creationTimestamp ?? '');
    for (const r of this.running) if (at > r.clock.now()) await r.advanceTo(at);
    return created;
  }

  getSchedule(namespace: string, name: string): Promise<Sched> {
    return this.admin.get<Sched>(resources.checkpointSchedules, name, namespace);
  }

  async checkpoints(o: { namespace?: string; schedule?: string } = {}): Promise<Ckpt[]> {
    const list = await this.admin.list<Ckpt>(resources.containerCheckpoints, {
      namespace: o.namespace, labelSelector: o.schedule !== undefined ? `ckpt.dev/schedule=${o.schedule}` : undefined,
    });
    return list.items;
  }

  /** The distinct ckpt.dev/run values of the schedule's checkpoints, oldest first. */
  async runs(namespace: string | undefined, schedule: string): Promise<string[]> {
    const list = await this.checkpoints({ namespace, schedule });
    return [...new Set(list.map((c) => c.metadata.labels?.[scheduleRunLabel] ?? ''))].sort((a, b) => Number(a) - Number(b));
  }

  /** Writes the status an agent writes when a checkpoint is over. */
  async finish(c: Ckpt, o: { outcome?: 'Succeeded' | 'Failed'; sizeBytes?: number; at: Date }): Promise<void> {
    const outcome = o.outcome ?? 'Succeeded';
    const t = o.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = outcome === 'Succeeded'
      ? [
        { type: 'Ready', status: 'True', reason: 'CheckpointCompleted', message: 'done', lastTransitionTime: t },
        { type: 'Succeeded', status: 'True', reason: 'CheckpointCompleted', message: 'done', lastTransitionTime: t },
      ]
      : [
        { type: 'Ready', status: 'False', reason: 'CheckpointFailed', message: 'CRIU failed', lastTransitionTime: t },
        { type: 'Failed', status: 'True', reason: 'CriuFailed', message: 'CRIU failed', lastTransitionTime: t },
      ];
    await this.admin.patch(resources.containerCheckpoints, c.metadata.name ?? '', c.metadata.namespace, {
      status: { conditions, completionTime: t, ...(o.sizeBytes !== undefined ? { totalSizeBytes: String(o.sizeBytes) } : {}) },
    }, { type: 'merge', subresource: 'status' });
  }

  /** Events about an object, oldest first. */
  async events(namespace: string, name: string): Promise<KubeEvent[]> {
    const list = await this.admin.list<KubeEvent>(coreResources.events, { namespace });
    return list.items.filter((e) => e.regarding.name === name).sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  }

  async metric(manager: Manager, name: string, labels: Record<string, string>): Promise<number> {
    const m = (await manager.registry.getMetricsAsJSON()).find((x) => x.name === name);
    return m?.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((sum, v) => sum + v.value, 0) ?? 0;
  }
}

/** Moves the fake clock to t (never backwards). */
export function advanceTo(clock: FakeClock, t: Date | number): void {
  const ms = (typeof t === 'number' ? t : t.getTime()) - clock.now();
  if (ms < 0) throw new Error(`the clock is past ${new Date(t).toISOString()} already`);
  clock.advance(ms);
}

export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The instant of a Unix-minute run id. */
export function runTime(run: string): Date {
  return new Date(Number(run) * minute);
}

export function runOf(t: Date): string {
  return String(Math.floor(t.getTime() / minute));
}

export function schedule(namespace: string, name: string, spec: Partial<Sched['spec']> & { schedule: string }): Sched {
  return {
    apiVersion: 'ckpt.dev/v1alpha1', kind: 'CheckpointSchedule', metadata: { name, namespace },
    spec: {
      podSelector: {},
      template: { spec: { timeoutSeconds: 3600 } },
      // No agent runs here, so the checkpoint controller fails a checkpoint
      // (NoReadyAgent) once it has waited an hour of fake time; keep those,
      // unless a test is about failed ones.
      failedHistoryLimit: 1000,
      ...spec,
    },
  };
}

/** The next whole-minute instant at least `leadMs` after t that is a multiple of everyMinutes. */
export function nextInstant(t: number, everyMinutes: number, leadMs = 0): Date {
  const step = everyMinutes * minute;
  return new Date(Math.ceil((t + leadMs + 1) / step) * step);
}

/**
 * One environment for a describe block: started before its first test, reset
 * after each one (no controller, schedule or checkpoint of another test
 * survives), stopped after the last. Returns its getter.
 */
export function scheduleSuite(): () => ScheduleEnv {
  let env: ScheduleEnv | undefined;
  before(async () => { env = await ScheduleEnv.start(); });
  afterEach(async () => { await env?.reset(); });
  after(async () => { await env?.stop(); });
  return () => {
    if (env === undefined) throw new Error('the schedule environment did not start');
    return env;
  };
}

/** A time as the API server writes it in status (seconds, UTC). */
export function iso(t: Date | number): string {
  return formatTime(typeof t === 'number' ? t : t.getTime());
}
