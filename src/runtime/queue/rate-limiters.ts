// How long an item waits before it is retried. The default is client-go's
// DefaultControllerRateLimiter: the slower of a per-item exponential backoff
// (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100)
// that caps the retry rate of the whole queue.
import { systemClock, type Clock } from '../clock.ts';

export interface RateLimiter<K> {
  /** The delay before item may be processed again; counts one more failure. */
  when(item: K): number;
  /** Clears item's failure history (it succeeded, or was given up). */
  forget(item: K): void;
  /** Failures recorded for item since it was last forgotten. */
  numRequeues(item: K): number;
}

export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: K): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const delay = this.baseMs * 2 ** exp;
    return Number.isFinite(delay) && delay < this.maxMs ? delay : this.maxMs;
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket shared by all items: up to burst retries at once, then qps
 * per second. Like golang.org/x/time/rate's Reserve, a retry always gets a
 * slot, possibly in the future; the bucket may go into debt.
 */
export class TokenBucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;

  constructor(qps = 10, burst = 100, clock: Clock = systemClock) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`token bucket needs qps > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_item: K): void {
    // The bucket is shared; there is nothing per item to forget.
  }

  numRequeues(_item: K): number {
    return 0;
  }
}

export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

export interface ControllerRateLimitOptions {
  /** First per-item retry delay (default 5 ms). */
  baseDelayMs?: number;
  /** Longest per-item retry delay (default 1000 s). */
  maxDelayMs?: number;
  /** Overall retries per second (default 10). */
  qps?: number;
  /** Overall retries allowed at once (default 100). */
  burst?: number;
  clock?: Clock;
}

export function defaultControllerRateLimiter<K>(o: ControllerRateLimitOptions = {}): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialFailureRateLimiter<K>(o.baseDelayMs ?? 5, o.maxDelayMs ?? 1_000_000),
    new TokenBucketRateLimiter<K>(o.qps ?? 10, o.burst ?? 100, o.clock ?? systemClock),
  );
}
