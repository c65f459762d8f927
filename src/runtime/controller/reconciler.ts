// What a reconciler is given and what it may answer.
import type { Logger } from 'pino';

export interface ReconcileContext {
  /** Name of the controller running this reconcile. */
  readonly controller: string;
  /** Unique per reconcile, for correlating log lines. */
  readonly reconcileId: string;
  /** Undefined for cluster-scoped objects. */
  readonly namespace: string | undefined;
  readonly name: string;
  /** Carries controller, object and reconcileID on every line. */
  readonly logger: Logger;
  /**
   * Aborts when this reconcile must stop at once: leadership lost, the
   * shutdown grace period is over, or the reconcile timeout passed. Pass it to
   * every API call and long wait.
   */
  readonly signal: AbortSignal;
  /** Retries of this key since it last succeeded (0 on a first attempt). */
  readonly retries: number;
}

export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds (backoff is reset). */
  requeueAfterMs?: number;
  /** Reconcile this key again after the rate limiter's backoff. */
  requeue?: boolean;
}

export interface Reconciler {
  /**
   * Brings the world in line with the object named by key ("namespace/name"
   * or "name"), which may no longer exist. Throwing requeues the key with
   * backoff; a ConflictError requeues it as a routine retry.
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a reconciler with nothing to requeue just returns
  reconcile(ctx: ReconcileContext, key: string): Promise<ReconcileResult | undefined | void>;
}

/** An error that retrying cannot fix: it is logged and counted, and the key is not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}
