// A stand-in for the node agent (src/agent) that plays the agent's side of
// the controller/agent protocol (docs/design.md) through the API server only,
// with no CRIU and no node behind it. It is built like src/agent/process.ts
// and reuses the agent's own parts wherever they carry protocol, so that it
// cannot drift from the agent:
//  - a runtime Manager holding the node Lease ckpt-agent-<node> in
//    ckpt-system; work runs only while the Lease is held (JobTracker,
//    needLeaderElection), and stops at once when it is lost;
//  - an informer on the checkpoints labelled ckpt.dev/node=<node>;
//  - the claim is a resourceVersion-guarded status update built by the
//    agent's claimed(); progress and the result go through the agent's
//    mutateStatus() with containerDone()/containerFailed()/finished(), which
//    refuse to write once the checkpoint is no longer this agent's;
//  - on deletion it lets the archive finalizer go, as the agent does once the
//    files are gone.
// The reconciler mirrors src/agent/worker/reconciler.ts line by line; change
// both together.
//
// It runs as the agent's ServiceAccount (deploy/base/rbac/agent.yaml), never
// as admin, so a permission the protocol needs and the agent lacks fails here
// too. All its traffic passes a local TCP proxy, so that silent() can cut it
// off the way a hung or partitioned agent falls silent: no more renewals, no
// result, and no graceful release of the Lease.
import { createHash, randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { isFinished } from '../../src/api/checkpoint-state.ts';
import { conditionTypes, readyReasons } from '../../src/api/conditions.ts';
import { archiveFinalizer, nodeLabel, resources } from '../../src/api/names.ts';
import type { ContainerDumpResult } from '../../src/agent/pipeline/container-dump.ts';
import { JobTracker } from '../../src/agent/worker/job-tracker.ts';
import { claimed, containerDone, containerFailed, finished } from '../../src/agent/worker/status-builders.ts';
import { CheckpointGoneError, StatusRefusedError, mutateStatus, type Ckpt } from '../../src/agent/worker/status-updater.ts';
import { agentLeaseName } from '../../src/controller/checkpoint/agent-lease.ts';
import { sleep, systemClock } from '../../src/runtime/clock.ts';
import type { ReconcileContext, Reconciler, ReconcileResult } from '../../src/runtime/controller/reconciler.ts';
import type { CacheReader } from '../../src/runtime/informer/object-cache.ts';
import { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import { createLogger, errorFields, type Logger } from '../../src/runtime/logging/logger.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { removeFinalizer } from '../../src/runtime/objects/finalizers.ts';
import { StatusWriter } from '../../src/runtime/objects/status-writer.ts';
import { TcpProxy, throughProxy } from '../integration/runtime-support.ts';
import { waitFor } from '../env/run.ts';

/**
 * normal: finish each claimed checkpoint at once; slow: after workMs;
 * silent-after-claim: claim one, then fall silent for good (the Lease is no
 * longer renewed, nothing more is written).
 */
export type AgentDoubleMode = 'normal' | 'slow' | 'silent-after-claim';

export interface AgentFailure {
  reason: string;
  message: string;
}

export interface AgentDoubleOptions {
  nodeName: string;
  /** The agent ServiceAccount's credentials. */
  kubeconfig: KubeConfig;
  mode?: AgentDoubleMode;
  /** How long a checkpoint takes in slow mode (default 2 s). */
  workMs?: number;
  /** Finish this checkpoint with a failure instead of success. */
  failWith?: (c: Ckpt) => AgentFailure | undefined;
  /** Checkpoints run at once (default 2, as the agent). */
  maxConcurrent?: number;
  /** Namespace of the agent Leases (default ckpt-system). */
  namespace?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ClaimRecord {
  uid: string;
  key: string;
  identity: string;
  at: number;
}

/** What the double did, for exactly-once assertions. */
export interface AgentDoubleCounts {
  claims: number;
  succeeded: number;
  failed: number;
  /** Results the agent code refused to write: the checkpoint was no longer ours (the controller failed it first). */
  refused: number;
  finalizersRemoved: number;
  /** Most checkpoints this double ran at once. */
  peakRunning: number;
}

export class AgentDouble {
  readonly nodeName: string;
  readonly identity: string;
  mode: AgentDoubleMode;
  workMs: number;
  failWith: ((c: Ckpt) => AgentFailure | undefined) | undefined;
  /** Every claim this double made, in order. */
  readonly claims: ClaimRecord[] = [];
  readonly counts: AgentDoubleCounts = { claims: 0, succeeded: 0, failed: 0, refused: 0, finalizersRemoved: 0, peakRunning: 0 };
  private readonly proxy: TcpProxy;
  private readonly manager: Manager;
  private readonly stopper = new AbortController();
  private readonly log: Logger;
  private running: Promise<void> | undefined;
  private ended: { error?: unknown } | undefined;
  private silenced = false;

  private constructor(o: AgentDoubleOptions, proxy: TcpProxy) {
    this.nodeName = o.nodeName;
    this.identity = o.identity ?? `agent-double-${o.nodeName}_${randomUUID()}`;
    this.mode = o.mode ?? 'normal';
    this.workMs = o.workMs ?? 2000;
    this.failWith = o.failWith;
    this.proxy = proxy;
    this.log = createLogger({ level: process.env.CKPT_TEST_VERBOSE !== undefined ? 'debug' : 'silent', name: `agent-double ${o.nodeName}` });
    const client = new KubeClient(throughProxy(o.kubeconfig, proxy), { userAgent: 'ckpt-agent-double', requestTimeoutMs: 10_000 });
    const namespace = o.namespace ?? 'ckpt-system';
    this.manager = new Manager({
      client, logger: this.log, gracefulShutdownMs: 5_000,
      leaderElection: {
        namespace, name: agentLeaseName(o.nodeName), identity: this.identity,
        leaseDurationMs: o.leaseDurationMs ?? 15_000, renewDeadlineMs: o.renewDeadlineMs ?? 10_000, retryPeriodMs: o.retryPeriodMs ?? 2_000,
      },
    });
    const maxConcurrent = o.maxConcurrent ?? 2;
    const jobs = new JobTracker(this.log);
    this.manager.add(jobs);
    const checkpoints = this.manager.informers.informer<Ckpt>(resources.containerCheckpoints, { labelSelector: `${nodeLabel}=${o.nodeName}` });
    const reconciler = new DoubleReconciler(this, client, checkpoints.cache, jobs, maxConcurrent);
    this.manager.newController({ name: 'agent-double', reconciler, workers: maxConcurrent + 2 }).watch(checkpoints);
  }

  /** Starts the double and waits until it holds its node's Lease. */
  static async start(o: AgentDoubleOptions): Promise<AgentDouble> {
    const server = o.kubeconfig.getCurrentCluster()?.server;
    if (server === undefined) throw new Error('agent double: the kubeconfig names no server');
    const d = new AgentDouble(o, await TcpProxy.start(server));
    d.running = d.manager.start(d.stopper.signal).then(
      () => { d.ended = {}; },
      (error: unknown) => { d.ended = { error }; },
    );
    await d.waitUntilLeading();
    return d;
  }

  isLeading(): boolean {
    return this.manager.elector?.isLeader() ?? false;
  }

  async waitUntilLeading(timeoutMs = 60_000): Promise<void> {
    await waitFor(`the agent double on ${this.nodeName} to hold its Lease`, () => {
      if (this.ended !== undefined) return Promise.reject(new Error(`the agent double on ${this.nodeName} stopped: ${String(this.ended.error)}`));
      return Promise.resolve(this.isLeading() ? true : undefined);
    }, timeoutMs, 100);
  }

  /** Claims made for one checkpoint (by UID). */
  claimsOf(uid: string): number {
    return this.claims.filter((c) => c.uid === uid).length;
  }

  /**
   * Falls silent for good, as a hung or cut-off agent: every connection and
   * every new one goes quiet, so the Lease is neither renewed nor released
   * and nothing more is written.
   */
  silence(): void {
    if (this.silenced) return;
    this.silenced = true;
    this.proxy.freeze();
    this.proxy.blackhole(true);
  }

  isSilenced(): boolean {
    return this.silenced;
  }

  /**
   * Stops like the agent on SIGTERM: running checkpoints finish, the Lease is
   * released. A silenced double cannot reach the server any more: its
   * connections are reset so that it ends at once.
   */
  async stop(): Promise<void> {
    if (this.silenced) await this.proxy.close();
    this.stopper.abort();
    await this.running;
    if (!this.silenced) await this.proxy.close();
  }

  /** @internal the reconciler's view of the settings. */
  noteClaim(r: ClaimRecord): void {
    this.claims.push(r);
    this.counts.claims++;
  }

  /** @internal */
  logger(): Logger {
    return this.log;
  }
}

/** Mirrors src/agent/worker/reconciler.ts; the job is a fake with the agent's status writes. */
class DoubleReconciler implements Reconciler {
  private readonly d: AgentDouble;
  private readonly client: KubeClient;
  private readonly checkpoints: CacheReader<Ckpt>;
  private readonly jobs: JobTracker;
  private readonly maxConcurrent: number;
  private readonly status: StatusWriter;

  constructor(d: AgentDouble, client: KubeClient, checkpoints: CacheReader<Ckpt>, jobs: JobTracker, maxConcurrent: number) {
    this.d = d;
    this.client = client;
    this.checkpoints = checkpoints;
    this.jobs = jobs;
    this.maxConcurrent = maxConcurrent;
    this.status = new StatusWriter(client, { fieldManager: 'ckpt-agent' });
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<ReconcileResult | undefined> {
    const cached = this.checkpoints.get(key);
    if (cached === undefined) return undefined;
    const c = structuredClone(cached);
    const uid = c.metadata.uid ?? key;
    if (c.metadata.deletionTimestamp !== undefined) {
      await this.jobs.cancel(uid, 'the ContainerCheckpoint is being deleted');
      this.jobs.forget(uid);
      if ((c.metadata.finalizers ?? []).includes(archiveFinalizer)) {
        // The agent removes the checkpoint's files here; the double has none.
        await removeFinalizer(this.client, resources.containerCheckpoints, c, archiveFinalizer, ctx.signal);
        this.d.counts.finalizersRemoved++;
      }
      return undefined;
    }
    if (c.status?.nodeName !== this.d.nodeName) return undefined;
    if (isFinished(c)) {
      this.jobs.forget(uid);
      return undefined;
    }
    if (c.status.agent !== undefined) {
      const lostResponse = c.status.agent.identity === this.d.identity && !this.jobs.begunBefore(uid);
      if (!lostResponse || this.d.isSilenced() || this.d.mode === 'silent-after-claim') return undefined;
      if (!this.jobs.reserve(uid, this.maxConcurrent)) return { requeueAfterMs: 500 };
      this.d.noteClaim({ uid, key, identity: this.d.identity, at: Date.now() });
      this.jobs.start(uid, (signal) => this.job(c, signal));
      this.d.counts.peakRunning = Math.max(this.d.counts.peakRunning, this.jobs.size);
      return undefined;
    }
    const ready = c.status.conditions?.find((x) => x.type === conditionTypes.ready);
    if (ready?.reason !== readyReasons.pending) return undefined;
    if (this.d.isSilenced()) return { requeueAfterMs: 1000 };
    if (!this.jobs.reserve(uid, this.maxConcurrent)) return { requeueAfterMs: this.jobs.accepts() ? 500 : 1000 };
    let mine: Ckpt;
    try {
      mine = await this.status.update(resources.containerCheckpoints, { ...c, status: claimed(c, this.d.identity, new Date()) }, ctx.signal);
    } catch (err) {
      this.jobs.release(uid);
      throw err;
    }
    this.d.noteClaim({ uid, key, identity: this.d.identity, at: Date.now() });
    if (this.d.mode === 'silent-after-claim') {
      this.jobs.release(uid);
      this.d.silence();
      return undefined;
    }
    this.jobs.start(uid, (signal) => this.job(mine, signal));
    this.d.counts.peakRunning = Math.max(this.d.counts.peakRunning, this.jobs.size);
    return undefined;
  }

  /** What runCheckpointJob writes, without the dump: per-container results, then the outcome. */
  private async job(c: Ckpt, signal: AbortSignal): Promise<void> {
    const ns = c.metadata.namespace ?? '';
    const name = c.metadata.name ?? '';
    const mine = (x: Ckpt): boolean => x.status?.agent?.identity === this.d.identity && !isFinished(x);
    const failure = this.d.failWith?.(c);
    try {
      if (this.d.mode === 'slow') await sleep(systemClock, this.d.workMs, signal);
      if (this.d.isSilenced()) return;
      for (const target of c.status?.containers ?? []) {
        await mutateStatus(this.client, ns, name, (x) => {
          if (!mine(x)) return undefined;
          return failure === undefined ? containerDone(x.status ?? {}, target.name, fakeDump(x, target.name)) : containerFailed(x.status ?? {}, target.name, failure.reason, failure.message);
        }, { signal });
        if (failure !== undefined) break;
      }
      if (this.d.isSilenced()) return;
      await mutateStatus(this.client, ns, name, (x) => (mine(x) ? finished(x, x.status ?? {}, new Date(), failure) : undefined), { signal });
      if (failure === undefined) this.d.counts.succeeded++;
      else this.d.counts.failed++;
    } catch (err) {
      if (err instanceof StatusRefusedError || err instanceof CheckpointGoneError) {
        this.d.counts.refused++;
        return;
      }
      if (signal.aborted || this.d.isSilenced()) return;
      this.d.logger().warn(errorFields(err), 'could not record the outcome');
    }
  }
}

/** Archive fields as a dump would report them (nothing is on disk). */
function fakeDump(c: Ckpt, container: string): ContainerDumpResult {
  const dir = `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}-${(c.metadata.uid ?? '').slice(0, 8)}`;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return {
    archive: {
      path: `${dir}/checkpoint-${c.spec.podName}_${c.metadata.namespace ?? ''}-${container}-${stamp}.tar.zst`,
      sizeBytes: 4096n, sha256: createHash('sha256').update(`${c.metadata.uid ?? ''}/${container}`).digest('hex'), compression: 'Zstd',
    },
    stats: {
      freezingTimeUs: 1200, frozenTimeUs: 45_000, memdumpTimeUs: 30_000, memwriteTimeUs: 8_000,
      pagesScanned: 1024n, pagesSkippedParent: 0n, pagesWritten: 512n, pagesLazy: 0n,
    },
    dumpMillis: 50, archiveMillis: 10, durationMillis: 60,
  };
}
