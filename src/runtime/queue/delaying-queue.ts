// addAfter(): items that become ready later, held on one timer (the earliest
// due). An item already waiting keeps the earlier of its two ready times, as in
// client-go's delaying queue.
import { MinHeap } from './min-heap.ts';
import type { Timer } from '../clock.ts';
import { WorkQueue, type WorkQueueOptions } from './work-queue.ts';

interface Waiting<K> {
  readyAt: number;
  item: K;
}

export class DelayingQueue<K = string> extends WorkQueue<K> {
  private readonly waitingReadyAt = new Map<K, number>();
  private readonly heap = new MinHeap<Waiting<K>>((a, b) => a.readyAt - b.readyAt);
  private timer: Timer | undefined;
  private timerDue = Infinity;

  constructor(opts: WorkQueueOptions = {}) {
    super(opts);
  }

  /** Adds item once ms have passed (at once if ms <= 0). */
  addAfter(item: K, ms: number): void {
    if (this.isShuttingDown()) return;
    this.metrics.retried();
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.waitingReadyAt.get(item);
    if (existing !== undefined && existing <= readyAt) return;
    this.waitingReadyAt.set(item, readyAt);
    this.heap.push({ readyAt, item });
    this.arm();
  }

  /** Items scheduled for later. */
  waiting(): number {
    return this.waitingReadyAt.size;
  }

  protected override onShutDown(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDue = Infinity;
    this.waitingReadyAt.clear();
    this.heap.clear();
  }

  private arm(): void {
    const next = this.nextLive();
    if (next === undefined) return;
    if (this.timer !== undefined && this.timerDue <= next.readyAt) return;
    this.timer?.cancel();
    this.timerDue = next.readyAt;
    this.timer = this.clock.setTimer(next.readyAt - this.clock.now(), () => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.release();
    });
  }

  private release(): void {
    const now = this.clock.now();
    for (;;) {
      const next = this.nextLive();
      if (next === undefined || next.readyAt > now) break;
      this.heap.pop();
      this.waitingReadyAt.delete(next.item);
      this.add(next.item);
    }
    this.arm();
  }

  /** The earliest heap entry that is still current, dropping superseded ones. */
  private nextLive(): Waiting<K> | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return undefined;
      if (this.waitingReadyAt.get(top.item) === top.readyAt) return top;
      this.heap.pop();
    }
  }
}
