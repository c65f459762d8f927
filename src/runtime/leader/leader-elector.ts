// Leader election on a Lease, after client-go's leaderelection package:
//  - a candidate reads the lease every retry period and takes it only when it
//    is free or its holder has not renewed for a lease duration, as measured
//    on the candidate's own clock from when it last saw the record change
//    (so clock skew between machines does not matter);
//  - a follower only reads: it writes nothing while someone else holds the lease;
//  - the leader renews every retry period; if it has not renewed for the renew
//    deadline, or it sees another holder in the lease, it stops leading at
//    once: the AbortSignal given to onStartedLeading aborts, and no timer or
//    hanging request can delay that;
//  - when run()'s signal aborts, a leader that still holds the lease releases
//    it (empty holder) so that a successor need not wait for it to expire.
//    Abort it only after your workers have stopped: renewal goes on until then.
import type { Logger } from 'pino';
import { sleepUnlessAborted, systemClock, type Clock, type Timer } from '../clock.ts';
import { isAlreadyExists, isConflict } from '../kube/api-error.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { formatMicroTime } from '../kube/micro-time.ts';
import { errorFields, silentLogger } from '../logging/logger.ts';
import type { LeaderElectionMetrics } from '../metrics/leader-election-metrics.ts';
import { defaultIdentity } from './identity.ts';
import { LeaseLock, recordOf, sameRecord, type Lease, type LeaderRecord } from './lease-lock.ts';

export interface LeaderElectionTiming {
  /** How long a lease is honoured without renewal (default 15 s; whole seconds). */
  leaseDurationMs?: number;
  /** How long a leader keeps trying to renew before it gives up (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
}

export interface LeaderElectorOptions extends LeaderElectionTiming {
  client: KubeClient;
  /** Where the Lease lives. */
  namespace: string;
  /** The Lease's name; also the 'name' label of leader_election_master_status. */
  name: string;
  /** Default: pod name (or host name) plus a random suffix. */
  identity?: string;
  /** Called on becoming leader; signal aborts the moment leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once leadership has ended (after the signal aborted). */
  onStoppedLeading?: () => void;
  /** Called whenever the observed holder changes ('' when nobody holds the lease). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
  clock?: Clock;
  metrics?: LeaderElectionMetrics;
  random?: () => number;
}

export type LeadershipEnd = 'shutdown' | 'lost';

/** Why a leader's signal was aborted. */
export class LeadershipLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeadershipLostError';
  }
}

type Attempt = 'acquired' | 'renewed' | 'held-by-other' | 'failed';

export class LeaderElector {
  readonly identity: string;
  private readonly lock: LeaseLock;
  private readonly opts: LeaderElectorOptions;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private observed: LeaderRecord | undefined;
  private observedTime = 0;
  private observedLease: Lease | undefined;
  private reportedLeader: string | undefined;
  private leading = false;
  private started = false;

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    validateTiming(this.leaseMs, this.renewDeadlineMs, this.retryMs);
    this.lock = new LeaseLock(opts.client, opts.namespace, opts.name);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger()).child({ lease: this.lock.describe(), identity: this.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** True once run() has been called: the readiness check for "election started". */
  hasStarted(): boolean {
    return this.started;
  }

  /** The holder last seen in the lease ('' if none). */
  getLeader(): string {
    return this.observed?.holderIdentity ?? '';
  }

  /**
   * Campaigns until elected, leads until leadership is lost or signal aborts,
   * and then returns why it stopped. Call again to campaign again.
   */
  async run(signal: AbortSignal): Promise<LeadershipEnd> {
    this.started = true;
    this.opts.metrics?.leading(this.opts.name, false);
    this.log.info('campaigning for leadership');
    if (!(await this.acquire(signal))) return 'shutdown';
    return this.lead(signal);
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const r = await this.tryAcquireOrRenew(signal, false);
      if (r === 'acquired' || r === 'renewed') return true;
      const wait = this.retryMs * (1 + 0.2 * this.random());
      if (!(await sleepUnlessAborted(this.clock, wait, signal))) break;
    }
    return false;
  }

  private async lead(signal: AbortSignal): Promise<LeadershipEnd> {
    this.leading = true;
    this.opts.metrics?.leading(this.opts.name, true);
    this.log.info('became leader');
    const leadership = new AbortController();
    const lose = (why: string): void => {
      if (leadership.signal.aborted) return;
      this.leading = false;
      this.opts.metrics?.leading(this.opts.name, false);
      this.log.warn({ reason: why }, 'leadership lost; stopping at once');
      leadership.abort(new LeadershipLostError(`leadership of ${this.lock.describe()} lost: ${why}`));
    };
    // The renew deadline is enforced by a timer, not by the renew loop, so a
    // request stuck in flight cannot stretch leadership past it.
    let lastRenew = this.clock.now();
    let deadline: Timer | undefined;
    const armDeadline = (): void => {
      deadline?.cancel();
      deadline = this.clock.setTimer(lastRenew + this.renewDeadlineMs - this.clock.now(), () => {
        lose(`not renewed within the renew deadline (${this.renewDeadlineMs} ms)`);
      }, true);
    };
    armDeadline();
    this.startCallback(leadership.signal);
    const renewing = AbortSignal.any([signal, leadership.signal]);
    while (!renewing.aborted) {
      if (!(await sleepUnlessAborted(this.clock, this.retryMs, renewing))) break;
      const attemptStarted = this.clock.now();
      const budget = lastRenew + this.renewDeadlineMs - attemptStarted;
      if (budget <= 0) {
        lose('renew deadline passed');
        break;
      }
      const r = await this.tryAcquireOrRenew(AbortSignal.any([renewing, AbortSignal.timeout(budget)]), true);
      if (leadership.signal.aborted) break;
      if (r === 'renewed' || r === 'acquired') {
        // Measured from when the request left, the conservative end.
        lastRenew = attemptStarted;
        armDeadline();
      } else if (r === 'held-by-other') {
        lose(`the lease is held by ${this.getLeader()}`);
      }
    }
    deadline?.cancel();
    const lost = leadership.signal.aborted;
    if (!lost) {
      // Graceful shutdown: our workers have stopped (the caller aborts signal
      // only then), so hand the lease over instead of making others wait.
      this.leading = false;
      this.opts.metrics?.leading(this.opts.name, false);
      leadership.abort(new Error('leader election stopped'));
      await this.release();
    }
    this.stoppedCallback();
    return lost ? 'lost' : 'shutdown';
  }

  private startCallback(signal: AbortSignal): void {
    try {
      const p = this.opts.onStartedLeading(signal);
      if (p instanceof Promise) {
        p.catch((err: unknown) => { this.log.error(errorFields(err), 'onStartedLeading failed'); });
      }
    } catch (err) {
      this.log.error(errorFields(err), 'onStartedLeading failed');
    }
  }

  private stoppedCallback(): void {
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      this.log.error(errorFields(err), 'onStoppedLeading failed');
    }
  }

  /** The lease as last seen, if it names this candidate as the holder. */
  private heldLease(): Lease | undefined {
    return this.observed?.holderIdentity === this.identity ? this.observedLease : undefined;
  }

  private async release(): Promise<void> {
    if (this.heldLease() === undefined) return;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    try {
      // A renewal cut short by the shutdown may have landed all the same,
      // leaving the lease seen here one version behind: on a conflict, read
      // it again and release it if it is still ours.
      for (let attempt = 0; ; attempt++) {
        const lease = this.heldLease();
        if (lease === undefined) return;
        const now = formatMicroTime(this.clock.now());
        const record: LeaderRecord = {
          holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now,
          leaseTransitions: recordOf(lease).leaseTransitions,
        };
        try {
          this.observe(await this.lock.update(lease, record, signal));
          this.log.info('released the lease');
          return;
        } catch (err) {
          if (!isConflict(err) || attempt > 0) throw err;
          const fresh = await this.lock.get(signal);
          if (fresh === undefined) return;
          this.observe(fresh);
        }
      }
    } catch (err) {
      // The lease expires anyway; others only wait out its duration.
      this.log.warn(errorFields(err), 'could not release the lease');
    }
  }

  private observe(lease: Lease): void {
    const record = recordOf(lease);
    this.observedLease = lease;
    if (!sameRecord(this.observed, record)) {
      this.observed = record;
      this.observedTime = this.clock.now();
    }
    if (record.holderIdentity !== this.reportedLeader) {
      this.reportedLeader = record.holderIdentity;
      try {
        this.opts.onNewLeader?.(record.holderIdentity);
      } catch (err) {
        this.log.error(errorFields(err), 'onNewLeader failed');
      }
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal, amLeader: boolean): Promise<Attempt> {
    const now = this.clock.now();
    const leaseSeconds = Math.max(1, Math.round(this.leaseMs / 1000));
    try {
      const lease = await this.lock.get(signal);
      if (lease === undefined) {
        if (amLeader) return 'held-by-other'; // somebody deleted our lease: we no longer hold anything
        const record: LeaderRecord = {
          holderIdentity: this.identity, leaseDurationSeconds: leaseSeconds,
          acquireTime: formatMicroTime(now), renewTime: formatMicroTime(now), leaseTransitions: 0,
        };
        this.observe(await this.lock.create(record, signal));
        return 'acquired';
      }
      this.observe(lease);
      const current = recordOf(lease);
      const holder = current.holderIdentity;
      if (amLeader && holder !== this.identity) return 'held-by-other';
      if (holder !== '' && holder !== this.identity) {
        const honouredMs = (current.leaseDurationSeconds > 0 ? current.leaseDurationSeconds * 1000 : this.leaseMs);
        if (this.observedTime + honouredMs > now) return 'held-by-other';
      }
      const mine = holder === this.identity;
      const record: LeaderRecord = {
        holderIdentity: this.identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: mine ? current.acquireTime : formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: mine ? current.leaseTransitions : current.leaseTransitions + 1,
      };
      this.observe(await this.lock.update(lease, record, signal));
      return mine ? 'renewed' : 'acquired';
    } catch (err) {
      if (signal.aborted) return 'failed';
      if (isConflict(err) || isAlreadyExists(err)) {
        this.log.debug('lease changed under us; will read it again');
      } else {
        this.log.warn(errorFields(err), amLeader ? 'renewing the lease failed' : 'reading or taking the lease failed');
      }
      return 'failed';
    }
  }
}

function validateTiming(leaseMs: number, renewDeadlineMs: number, retryMs: number): void {
  if (!(leaseMs > renewDeadlineMs)) throw new Error(`leader election: lease duration (${leaseMs} ms) must exceed the renew deadline (${renewDeadlineMs} ms)`);
  if (!(renewDeadlineMs > retryMs * 1.2)) throw new Error(`leader election: renew deadline (${renewDeadlineMs} ms) must exceed 1.2 x the retry period (${retryMs} ms)`);
  if (!(retryMs > 0)) throw new Error('leader election: retry period must be positive');
  if (leaseMs % 1000 !== 0) throw new Error(`leader election: lease duration must be whole seconds (got ${leaseMs} ms)`);
}
