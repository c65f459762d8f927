// Ties a component together, as controller-runtime's manager does: shared
// informers, runnables (controllers), optional leader election, the health and
// metrics server, and an orderly shutdown.
//
// Start: health server, then informers (every replica warms its caches, so a
// new leader starts with full caches), then runnables that need no
// leadership, then the election; on winning it, the leader-only runnables.
//
// Graceful stop (the signal given to start() aborts, e.g. SIGTERM): runnables
// stop taking work and finish what they hold, within gracefulShutdownMs (then
// their abort signal fires); only then is the lease released, since renewing
// goes on while work finishes; then informers stop, shutdown hooks run (event
// flush) and the server closes.
//
// Leadership lost: leader-only runnables are aborted at once, everything is
// shut down and start() rejects with LeadershipLostError. Exit non-zero then
// and let the pod restart, as controller-runtime does: a process that lost its
// lease mid-work must not carry on as if nothing happened.
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { sleepUnlessAborted, systemClock, type Clock } from '../clock.ts';
import type { RunContext, Runnable } from '../controller/runnable.ts';
import { Controller, type ControllerOptions } from '../controller/controller.ts';
import { EventRecorder, type EventRecorderOptions } from '../events/event-recorder.ts';
import { HealthServer } from '../health/health-server.ts';
import { InformerFactory, type SharedInformerOptions } from '../informer/informer-factory.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { KubeObject } from '../kube/object.ts';
import { LeaderElector, LeadershipLostError, type LeaderElectorOptions } from '../leader/leader-elector.ts';
import { errorFields, silentLogger } from '../logging/logger.ts';
import { runtimeMetrics, type RuntimeMetrics } from '../metrics/runtime-metrics.ts';

export type ManagerLeaderElection = Omit<LeaderElectorOptions,
  'client' | 'onStartedLeading' | 'onStoppedLeading' | 'logger' | 'metrics' | 'clock'>;

export interface ManagerOptions {
  client: KubeClient;
  logger?: Logger;
  /** Where metrics go (default: a new Registry). */
  registry?: Registry;
  /** Serve /healthz, /readyz and /metrics (omit for no listener). */
  health?: { port: number; host?: string };
  /** Elect a leader before starting leader-only runnables (omit to run them at once). */
  leaderElection?: ManagerLeaderElection;
  /** How long in-flight work may take on graceful shutdown (default 30 s). */
  gracefulShutdownMs?: number;
  /** Defaults for every informer (e.g. watchdogMs). */
  informerDefaults?: SharedInformerOptions<KubeObject>;
  clock?: Clock;
}

export class Manager {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: RuntimeMetrics;
  readonly informers: InformerFactory;
  readonly elector: LeaderElector | undefined;
  private readonly opts: ManagerOptions;
  private readonly clock: Clock;
  private readonly runnables: Runnable[] = [];
  private readonly shutdownHooks: (() => Promise<void>)[] = [];
  private health: HealthServer | undefined;
  private healthPort: number | undefined;
  private leaderStart: ((signal: AbortSignal) => void) | undefined;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.client = opts.client;
    this.logger = opts.logger ?? silentLogger();
    this.registry = opts.registry ?? new Registry();
    this.metrics = runtimeMetrics(this.registry);
    this.clock = opts.clock ?? systemClock;
    // Watches, their watchdog and reconnect backoff live in real time even
    // when the manager's clock is a test's fake: a fake-clock jump must not
    // restart every watch, nor a reconnect wait for fake time to pass.
    this.informers = new InformerFactory({
      client: opts.client, logger: this.logger, clock: systemClock,
      ...(opts.informerDefaults !== undefined ? { defaults: opts.informerDefaults } : {}),
    });
    if (opts.leaderElection !== undefined) {
      this.elector = new LeaderElector({
        ...opts.leaderElection,
        client: opts.client,
        logger: this.logger,
        metrics: this.metrics.leaderElection,
        clock: this.clock,
        onStartedLeading: (signal) => { this.leaderStart?.(signal); },
      });
    }
  }

  add(r: Runnable): void {
    this.runnables.push(r);
  }

  /** A controller with this manager's logger and metrics, already added. */
  newController(o: Omit<ControllerOptions, 'metrics' | 'logger' | 'clock'>): Controller {
    const c = new Controller({ ...o, metrics: this.metrics, logger: this.logger, clock: this.clock });
    this.add(c);
    return c;
  }

  /** An event recorder that is flushed on shutdown. */
  newEventRecorder(o: Omit<EventRecorderOptions, 'client' | 'logger' | 'clock'>): EventRecorder {
    const r = new EventRecorder({ ...o, client: this.client, logger: this.logger, clock: this.clock });
    this.onShutdown(() => r.close());
    return r;
  }

  /** Runs fn during shutdown, after runnables stopped and the lease was released. */
  onShutdown(fn: () => Promise<void>): void {
    this.shutdownHooks.push(fn);
  }

  /** The health server's port once start() has bound it. */
  port(): number | undefined {
    return this.healthPort;
  }

  /**
   * Runs until signal aborts (resolves after a graceful shutdown) or the
   * leadership is lost (rejects with LeadershipLostError after shutting down).
   */
  async start(signal: AbortSignal): Promise<void> {
    const log = this.logger.child({ component: 'manager' });
    const stop = new AbortController();
    const abort = new AbortController();
    const runs: Promise<void>[] = [];
    const runOne = (r: Runnable, ctx: RunContext): void => {
      runs.push(r.run(ctx).catch((err: unknown) => { log.error(errorFields(err), 'runnable failed'); }));
    };

    if (this.opts.health !== undefined) {
      const health = new HealthServer({ ...this.opts.health, registry: this.registry, logger: this.logger });
      health.addHealthCheck('ping', () => true);
      health.addReadyCheck('informers', () => this.informers.hasSynced() || 'caches not synced yet');
      for (const r of this.runnables) {
        const ready = r.ready?.bind(r);
        if (ready !== undefined && !(r.needLeaderElection && this.elector !== undefined)) {
          health.addReadyCheck(`runnable-${this.runnables.indexOf(r)}`, () => ready() || 'not ready');
        }
      }
      const elector = this.elector;
      if (elector !== undefined) health.addReadyCheck('leader-election', () => elector.hasStarted() || 'leader election not started');
      this.health = health;
      this.healthPort = await health.listen();
    }

    this.informers.start();
    for (const r of this.runnables.filter((x) => !x.needLeaderElection || this.elector === undefined)) {
      runOne(r, { stop: stop.signal, abort: abort.signal });
    }

    let electorDone: Promise<'shutdown' | 'lost'> | undefined;
    const electorStop = new AbortController();
    if (this.elector !== undefined) {
      this.leaderStart = (leaderSignal) => {
        const leaderAbort = AbortSignal.any([abort.signal, leaderSignal]);
        for (const r of this.runnables.filter((x) => x.needLeaderElection)) runOne(r, { stop: stop.signal, abort: leaderAbort });
      };
      electorDone = this.elector.run(electorStop.signal);
    }

    // Wait for the stop signal or the end of leadership.
    const end = await new Promise<'signal' | 'lost'>((resolve) => {
      if (signal.aborted) resolve('signal');
      signal.addEventListener('abort', () => { resolve('signal'); }, { once: true });
      void electorDone?.then((e) => { if (e === 'lost') resolve('lost'); });
    });

    if (end === 'lost') {
      log.error('leadership lost; shutting down');
      abort.abort(new LeadershipLostError('leadership lost'));
    }
    stop.abort();
    const grace = this.opts.gracefulShutdownMs ?? 30_000;
    const settled = Promise.allSettled(runs);
    if (!(await this.within(settled, grace))) {
      log.warn({ gracefulShutdownMs: grace }, 'work did not finish within the grace period; aborting it');
      abort.abort(new Error('graceful shutdown period over'));
      if (!(await this.within(settled, 5_000))) log.warn('work ignored its abort signal; leaving it behind');
    }
    // Only now, with no work in flight, let a successor take over.
    electorStop.abort();
    await electorDone;
    await this.informers.stop();
    for (const hook of this.shutdownHooks) {
      const ran = hook().catch((err: unknown) => { log.warn(errorFields(err), 'shutdown hook failed'); });
      if (!(await this.within(ran, 5_000))) log.warn('a shutdown hook did not finish within 5 s');
    }
    await this.health?.close();
    this.client.close();
    log.info('stopped');
    if (end === 'lost') throw new LeadershipLostError('leadership lost');
  }

  /** Whether p settles within ms; the timer is cancelled either way so it cannot hold the process. */
  private async within(p: Promise<unknown>, ms: number): Promise<boolean> {
    const timeout = new AbortController();
    const inTime = await Promise.race([p.then(() => true), sleepUnlessAborted(this.clock, ms, timeout.signal).then(() => false)]);
    timeout.abort();
    return inTime;
  }
}
