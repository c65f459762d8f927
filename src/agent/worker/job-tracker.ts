// The checkpoints this agent is running now. A runnable of the manager: on a
// graceful stop it lets running checkpoints finish (within the grace period);
// when aborted (grace over, or the node Lease lost) it aborts them, which
// kills CRIU and thaws the containers.
//
// A slot is reserved before the claim is written and held until the job
// ends: reconciles run on several workers, and a check of the count followed
// by an awaited claim would let them all through at once.
import type { RunContext, Runnable } from '../../runtime/controller/runnable.ts';
import type { Logger } from '../../runtime/logging/logger.ts';

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

export class JobTracker implements Runnable {
  readonly needLeaderElection = true;
  private readonly jobs = new Map<string, Running>();
  private readonly reserved = new Set<string>();
  /** Every job this process started, until forgotten: a claim is run at most once. */
  private readonly begun = new Set<string>();
  private readonly log: Logger;
  private readonly onCountChange: (n: number) => void;
  private accepting = false;
  private aborted = new AbortController();

  constructor(log: Logger, onCountChange: (n: number) => void = () => undefined) {
    this.log = log;
    this.onCountChange = onCountChange;
  }

  /** Running jobs and reserved slots. */
  get size(): number {
    return this.jobs.size + this.reserved.size;
  }

  has(id: string): boolean {
    return this.jobs.has(id) || this.reserved.has(id);
  }

  /** Takes a slot for id if fewer than max are in use and work is accepted; start() or release() gives it back. */
  reserve(id: string, max: number): boolean {
    if (!this.accepting || this.has(id) || this.size >= max) return false;
    this.reserved.add(id);
    return true;
  }

  release(id: string): void {
    this.reserved.delete(id);
  }

  /** Whether this process ever started a job for id (and has not forgotten it). */
  begunBefore(id: string): boolean {
    return this.begun.has(id);
  }

  /** Drops the memory of id once its checkpoint is finished or gone. */
  forget(id: string): void {
    if (!this.jobs.has(id)) this.begun.delete(id);
  }

  /** Whether new work may start (running, not stopping). */
  accepts(): boolean {
    return this.accepting;
  }

  start(id: string, work: (signal: AbortSignal) => Promise<void>): void {
    if (!this.accepting) {
      this.reserved.delete(id);
      throw new Error('the agent is not accepting work');
    }
    this.reserved.delete(id);
    this.begun.add(id);
    const abort = new AbortController();
    const onAbort = (): void => { abort.abort(this.aborted.signal.reason); };
    this.aborted.signal.addEventListener('abort', onAbort, { once: true });
    const done = work(abort.signal)
      .catch((err: unknown) => { this.log.error({ err: (err as Error).message, id }, 'checkpoint job failed'); })
      .finally(() => {
        this.aborted.signal.removeEventListener('abort', onAbort);
        this.jobs.delete(id);
        this.onCountChange(this.jobs.size);
      });
    this.jobs.set(id, { abort, done });
    this.onCountChange(this.jobs.size);
  }

  /** Aborts one job (its resource is being deleted) and waits for it to wind down. */
  async cancel(id: string, reason: string): Promise<void> {
    const j = this.jobs.get(id);
    if (j === undefined) return;
    j.abort.abort(new Error(reason));
    await j.done;
  }

  async run(ctx: RunContext): Promise<void> {
    this.accepting = true;
    this.aborted = new AbortController();
    const onAbort = (): void => { this.aborted.abort(ctx.abort.reason); };
    ctx.abort.addEventListener('abort', onAbort, { once: true });
    if (!ctx.stop.aborted) {
      await new Promise<void>((resolve) => { ctx.stop.addEventListener('abort', () => { resolve(); }, { once: true }); });
    }
    this.accepting = false;
    if (this.jobs.size > 0) this.log.info({ running: this.jobs.size }, 'waiting for running checkpoints to finish');
    await Promise.all([...this.jobs.values()].map(async (j) => { await j.done; }));
    ctx.abort.removeEventListener('abort', onAbort);
  }
}
