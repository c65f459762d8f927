// Exponential backoff with jitter for reconnect loops (informer watches, lease
// retries). Separate from the work queue's per-item limiter: this one paces a
// single loop and is reset by that loop's first success.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Multiplier per failure (default 2). */
  factor?: number;
  /** Fraction of each delay added at random, so that many clients do not retry in step (default 0.2). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly opts: Required<BackoffOptions>;

  constructor(opts: BackoffOptions) {
    this.opts = { factor: 2, jitter: 0.2, random: Math.random, ...opts };
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { initialMs, maxMs, factor, jitter, random } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** this.failures);
    this.failures++;
    return Math.round(base * (1 + jitter * random()));
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
