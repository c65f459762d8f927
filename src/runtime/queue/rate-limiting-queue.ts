// The queue controllers use: deduplicating, delaying, and rate-limited retries.
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters.ts';
import { DelayingQueue } from './delaying-queue.ts';
import type { WorkQueueOptions } from './work-queue.ts';

export interface RateLimitingQueueOptions<K> extends WorkQueueOptions {
  /** Default: client-go's controller rate limiter (5 ms..1000 s per item, 10 qps / burst 100 overall). */
  rateLimiter?: RateLimiter<K>;
}

export class RateLimitingQueue<K = string> extends DelayingQueue<K> {
  private readonly limiter: RateLimiter<K>;

  constructor(opts: RateLimitingQueueOptions<K> = {}) {
    super(opts);
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(opts.clock !== undefined ? { clock: opts.clock } : {});
  }

  /** Retries item after the rate limiter's delay (its backoff grows with each call). */
  addRateLimited(item: K): void {
    this.addAfter(item, this.limiter.when(item));
  }

  /** Ends item's backoff: call when it was processed successfully. */
  forget(item: K): void {
    this.limiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.limiter.numRequeues(item);
  }
}
