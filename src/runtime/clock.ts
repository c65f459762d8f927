// Time as the runtime sees it. Everything that waits or measures goes through a
// Clock so that queue, backoff and leader-election logic can be tested with a
// fake one instead of real sleeps.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Runs fn once after ms. A background timer does not keep the process
   * alive by itself (watchdogs, periodic flushes); others do, since they stand
   * for work still to come (a retry, a delayed queue item).
   */
  setTimer(ms: number, fn: () => void, background?: boolean): Timer;
}

// setTimeout fires at once for delays past 2^31-1 ms; a longer wait is
// chained in steps of at most that.
const maxTimeout = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn, background = false) {
    let t: NodeJS.Timeout;
    const arm = (left: number): void => {
      t = setTimeout(left > maxTimeout ? () => { arm(left - maxTimeout); } : fn, Math.min(Math.max(0, left), maxTimeout));
      if (background) t.unref();
    };
    arm(ms);
    return { cancel: () => { clearTimeout(t); } };
  },
};

/**
 * Resolves after ms, or rejects with the signal's reason once it aborts.
 * The timer is cancelled on abort so nothing is left scheduled.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal));
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Like sleep but resolves (false) instead of rejecting when the signal aborts. */
export async function sleepUnlessAborted(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await sleep(clock, ms, signal);
    return true;
  } catch {
    return false;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('aborted', 'AbortError');
}
