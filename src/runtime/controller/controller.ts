// A controller: informers feed keys into a rate-limited work queue, N workers
// take keys and call the reconciler. As in controller-runtime:
//  - a key is never reconciled by two workers at once (the queue's rule);
//  - success forgets the key's backoff; an error requeues it with backoff;
//    a ConflictError requeues it too, counted as a requeue and not an error
//    (it means "read again", which is routine with optimistic concurrency);
//  - a reconciler that throws, synchronously or not, with an Error or with
//    anything else, never takes the process down;
//  - on stop, workers take no new keys and the ones in progress finish; on
//    abort (leadership lost, grace period over) their signal aborts at once.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import type { Informer } from '../informer/informer.ts';
import { isConflict } from '../kube/api-error.ts';
import { objectKey, parseKey } from '../kube/object-key.ts';
import type { KubeObject } from '../kube/object.ts';
import { errorFields, silentLogger } from '../logging/logger.ts';
import type { ReconcileResult as ResultLabel } from '../metrics/controller-metrics.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { noopWorkQueueMetrics } from '../queue/queue-metrics.ts';
import { defaultControllerRateLimiter, type ControllerRateLimitOptions, type RateLimiter } from '../queue/rate-limiters.ts';
import { RateLimitingQueue } from '../queue/rate-limiting-queue.ts';
import { TerminalError, type ReconcileContext, type Reconciler, type ReconcileResult } from './reconciler.ts';
import type { RunContext, Runnable } from './runnable.ts';

export interface ControllerOptions {
  /** Names the controller in logs and metrics (controller label) and its queue (name label). */
  name: string;
  reconciler: Reconciler;
  /** Concurrent reconciles (default 1, as controller-runtime). */
  workers?: number;
  /** Retry pacing (default client-go's: 5 ms..1000 s per key, 10 qps / burst 100 overall). */
  rateLimit?: ControllerRateLimitOptions;
  /** Replaces rateLimit entirely. */
  rateLimiter?: RateLimiter<string>;
  /** Abort a reconcile's signal after this long (default: no limit). */
  reconcileTimeoutMs?: number;
  /** Whether it runs only on the elected leader (default true). The agent sets false. */
  needLeaderElection?: boolean;
  metrics?: RuntimeMetrics;
  logger?: Logger;
  clock?: Clock;
}

export interface WatchOptions<T> {
  /** Keys to reconcile for an object (default: the object's own key). */
  map?: (obj: T) => Iterable<string>;
  /** Only objects for which this is true are enqueued (old is set on updates). */
  filter?: (obj: T, old?: T) => boolean;
}

export class Controller implements Runnable {
  readonly name: string;
  readonly queue: RateLimitingQueue;
  readonly needLeaderElection: boolean;
  private readonly opts: ControllerOptions;
  private readonly workers: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly informers: Informer<KubeObject>[] = [];
  private running = false;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.workers = opts.workers ?? 1;
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new Error(`controller ${opts.name}: workers must be a positive integer`);
    this.needLeaderElection = opts.needLeaderElection ?? true;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger()).child({ controller: opts.name });
    const limiter = opts.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock, ...opts.rateLimit });
    this.queue = new RateLimitingQueue<string>({
      name: opts.name,
      clock: this.clock,
      rateLimiter: limiter,
      metrics: opts.metrics?.workqueue.sink(opts.name) ?? noopWorkQueueMetrics,
    });
    opts.metrics?.workqueue.trackInFlight(opts.name, this.queue);
    opts.metrics?.controller.initController(opts.name, this.workers);
  }

  /** Enqueues keys for the informer's events. Call before run(). */
  watch<T extends KubeObject>(informer: Informer<T>, o: WatchOptions<T> = {}): this {
    this.informers.push(informer as unknown as Informer<KubeObject>);
    const keysOf = o.map ?? ((obj: T) => [objectKey(obj)]);
    const enqueue = (obj: T, old?: T): void => {
      if (o.filter !== undefined && !o.filter(obj, old)) return;
      for (const k of keysOf(obj)) this.queue.add(k);
    };
    informer.addHandlers({
      onAdd: (obj) => { enqueue(obj); },
      onUpdate: (old, obj) => { enqueue(obj, old); },
      onDelete: (obj) => { enqueue(obj); },
    });
    return this;
  }

  /** Adds a key by hand (e.g. from a timer or another controller). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** True when every watched informer has synced. */
  ready(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  async run(ctx: RunContext): Promise<void> {
    if (this.running) throw new Error(`controller ${this.name} is already running`);
    this.running = true;
    const hard = new AbortController();
    const onAbort = (): void => { hard.abort(ctx.abort.reason); };
    ctx.abort.addEventListener('abort', onAbort, { once: true });
    if (ctx.abort.aborted) onAbort();
    const onStop = (): void => { this.queue.shutDown(); };
    ctx.stop.addEventListener('abort', onStop, { once: true });
    ctx.abort.addEventListener('abort', onStop, { once: true });
    if (ctx.stop.aborted || ctx.abort.aborted) onStop();
    try {
      this.log.info('waiting for caches to sync');
      const stopOrAbort = AbortSignal.any([ctx.stop, ctx.abort]);
      try {
        await Promise.all(this.informers.map((i) => i.waitForSync(stopOrAbort)));
      } catch {
        return;
      }
      this.log.info({ workers: this.workers }, 'starting workers');
      const workers = Array.from({ length: this.workers }, () => this.worker(stopOrAbort, hard.signal));
      await Promise.all(workers);
      this.log.info('workers stopped');
    } finally {
      ctx.stop.removeEventListener('abort', onStop);
      ctx.abort.removeEventListener('abort', onStop);
      ctx.abort.removeEventListener('abort', onAbort);
      this.queue.shutDown();
      this.running = false;
    }
  }

  private async worker(stop: AbortSignal, hard: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (stop.aborted) {
        // Shutting down: leave queued keys for the next leader or start.
        this.queue.done(key);
        continue;
      }
      try {
        await this.process(key, hard);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string, hard: AbortSignal): Promise<void> {
    const m = this.opts.metrics?.controller;
    const labels = { controller: this.name };
    const reconcileId = randomUUID();
    let name: { namespace?: string | undefined; name: string };
    try {
      name = parseKey(key);
    } catch (err) {
      this.log.error({ ...errorFields(err), key }, 'dropping malformed key');
      this.queue.forget(key);
      return;
    }
    const log = this.log.child({ ...(name.namespace !== undefined ? { namespace: name.namespace } : {}), name: name.name, reconcileID: reconcileId });
    const signals = [hard];
    if (this.opts.reconcileTimeoutMs !== undefined) signals.push(AbortSignal.timeout(this.opts.reconcileTimeoutMs));
    const ctx: ReconcileContext = {
      controller: this.name,
      reconcileId,
      namespace: name.namespace,
      name: name.name,
      logger: log,
      signal: signals.length === 1 ? hard : AbortSignal.any(signals),
      retries: this.queue.numRequeues(key),
    };
    const started = this.clock.now();
    m?.activeWorkers.inc(labels);
    let result: ResultLabel;
    try {
      // Promise.resolve().then() also catches a reconciler that throws synchronously.
      const r: unknown = await Promise.resolve().then(() => this.opts.reconciler.reconcile(ctx, key));
      result = this.onSuccess(key, typeof r === 'object' && r !== null ? r : undefined);
      log.debug({ result }, 'reconciled');
    } catch (thrown) {
      const err = thrown instanceof Error ? thrown : new Error(`reconciler threw a non-error: ${safeString(thrown)}`);
      if (isConflict(err)) {
        this.queue.addRateLimited(key);
        result = 'requeue';
        log.debug(errorFields(err), 'conflict; requeued to read the object again');
      } else if (err instanceof TerminalError) {
        this.queue.forget(key);
        result = 'error';
        m?.reconcileErrors.inc(labels);
        log.error(errorFields(err), 'reconcile failed terminally; not retrying');
      } else {
        this.queue.addRateLimited(key);
        result = 'error';
        m?.reconcileErrors.inc(labels);
        if (isProgrammingError(err)) m?.reconcilePanics.inc(labels);
        log.error({ ...errorFields(err), ...(isProgrammingError(err) ? { stack: err.stack } : {}), retries: ctx.retries }, 'reconcile failed; requeued with backoff');
      }
    } finally {
      m?.activeWorkers.dec(labels);
    }
    m?.reconcileTotal.inc({ controller: this.name, result });
    m?.reconcileTime.observe(labels, (this.clock.now() - started) / 1000);
  }

  private onSuccess(key: string, r: ReconcileResult | undefined): ResultLabel {
    if (r?.requeueAfterMs !== undefined && r.requeueAfterMs > 0) {
      this.queue.forget(key);
      this.queue.addAfter(key, r.requeueAfterMs);
      return 'requeue_after';
    }
    if (r?.requeue === true) {
      this.queue.addRateLimited(key);
      return 'requeue';
    }
    this.queue.forget(key);
    return 'success';
  }
}

/** Errors that point at a bug rather than at the world: counted as panics. */
function isProgrammingError(err: Error): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError;
}

function safeString(v: unknown): string {
  try {
    // JSON.stringify returns undefined for functions and symbols despite its type.
    const json = JSON.stringify(v) as string | undefined;
    return typeof v === 'string' ? v : json ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
