// Something the manager starts and stops: controllers, informers' users,
// periodic loops.

export interface RunContext {
  /** Stop taking new work; let work in progress finish. */
  readonly stop: AbortSignal;
  /** Drop everything now (leadership lost, or the shutdown grace period is over). */
  readonly abort: AbortSignal;
}

export interface Runnable {
  /** Resolves once the runnable has stopped. */
  run(ctx: RunContext): Promise<void>;
  /** Whether it may run only on the elected leader (default true for controllers). */
  readonly needLeaderElection: boolean;
  /** For /readyz: true once it is ready to serve (e.g. its caches synced). */
  ready?(): boolean;
}
