// A deduplicating work queue with client-go's semantics:
//  - an item added while it waits is stored once;
//  - an item being processed is never handed to a second worker; added again
//    meanwhile, it is queued once more when its worker calls done();
//  - after shutDown() adds are ignored, items already queued are still handed
//    out, and get() returns undefined once the queue is empty.
import { systemClock, type Clock } from '../clock.ts';
import { Fifo } from './fifo.ts';
import { noopWorkQueueMetrics, type WorkQueueGauges, type WorkQueueMetricsSink } from './queue-metrics.ts';

export interface WorkQueueOptions {
  name?: string;
  clock?: Clock;
  metrics?: WorkQueueMetricsSink;
}

export class WorkQueue<K = string> implements WorkQueueGauges {
  readonly name: string;
  protected readonly clock: Clock;
  protected readonly metrics: WorkQueueMetricsSink;
  private readonly queue = new Fifo<K>();
  private readonly dirty = new Set<K>();
  // item -> when a worker took it
  private readonly processing = new Map<K, number>();
  // item -> when it was queued (for queue duration)
  private readonly addedAt = new Map<K, number>();
  private readonly waiters = new Fifo<(item: K | undefined) => void>();
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? '';
    this.clock = opts.clock ?? systemClock;
    this.metrics = opts.metrics ?? noopWorkQueueMetrics;
  }

  add(item: K): void {
    if (this.shuttingDown) return;
    this.metrics.added();
    if (this.dirty.has(item)) return;
    this.dirty.add(item);
    if (!this.addedAt.has(item)) this.addedAt.set(item, this.clock.now());
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.metrics.depth(this.queue.length);
    this.dispatch();
  }

  /** Items waiting to be processed (not counting those being processed). */
  len(): number {
    return this.queue.length;
  }

  /** Items being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  /**
   * The next item, once there is one. The caller owns it until done(item).
   * Resolves undefined when the queue is shut down and empty.
   */
  get(): Promise<K | undefined> {
    const item = this.take();
    if (item !== undefined || this.shuttingDown) return Promise.resolve(item);
    return new Promise((resolve) => { this.waiters.push(resolve); });
  }

  /** Marks item finished; if it was added again meanwhile it is queued again. */
  done(item: K): void {
    const started = this.processing.get(item);
    if (started === undefined) return;
    this.processing.delete(item);
    this.metrics.worked((this.clock.now() - started) / 1000);
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.metrics.depth(this.queue.length);
      this.dispatch();
    }
    if (this.processing.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Ignores further adds and lets waiting workers go once the queue is empty. */
  shutDown(): void {
    this.shuttingDown = true;
    this.onShutDown();
    this.dispatch();
  }

  /** shutDown(), then resolves once every item being processed is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => { this.drainWaiters.push(resolve); });
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  unfinishedWorkSeconds(): number {
    const now = this.clock.now();
    let sum = 0;
    for (const started of this.processing.values()) sum += now - started;
    return sum / 1000;
  }

  longestRunningProcessorSeconds(): number {
    const now = this.clock.now();
    let max = 0;
    for (const started of this.processing.values()) max = Math.max(max, now - started);
    return max / 1000;
  }

  /** Hook for subclasses that hold items outside the queue (timers). */
  protected onShutDown(): void {
    // nothing here
  }

  private take(): K | undefined {
    const item = this.queue.shift();
    if (item === undefined) return undefined;
    this.metrics.depth(this.queue.length);
    this.dirty.delete(item);
    const now = this.clock.now();
    const since = this.addedAt.get(item);
    this.addedAt.delete(item);
    if (since !== undefined) this.metrics.queued((now - since) / 1000);
    this.processing.set(item, now);
    return item;
  }

  private dispatch(): void {
    while (this.waiters.length > 0) {
      const item = this.take();
      if (item === undefined && !this.shuttingDown) return;
      const w = this.waiters.shift();
      w?.(item);
    }
  }
}
