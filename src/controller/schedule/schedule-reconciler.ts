// The CheckpointSchedule and ClusterCheckpointSchedule reconciler: reads the
// schedule, its checkpoints, pods and namespaces from the shared caches, asks
// the decision modules what is due, and carries it out in an order that
// survives a crash at any point:
//   1. start the due run: create its checkpoints (deterministic names, so a
//      repeat reads AlreadyExists as done);
//   2. write status (lastScheduleTime last of all, so a run cut short is
//      still due and is completed by the next reconcile);
//   3. retention: delete what the policy no longer keeps, each deletion
//      guarded by the resourceVersion that was judged.
// Time comes from the injected clock only.
import { formatTime } from '../../runtime/kube/micro-time.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ReconcileContext, Reconciler, ReconcileResult } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder, EventSpec, ObjectReference } from '../../runtime/events/event-recorder.ts';
import type { CacheReader } from '../../runtime/informer/object-cache.ts';
import { ApiError, isConflict, isNotFound } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import { StatusWriter } from '../../runtime/objects/status-writer.ts';
import { apiVersion, defaultPinLabel, resources } from '../../api/names.ts';
import type { ScheduleMetrics } from '../metrics/schedule-metrics.ts';
import { runId, type ScheduleKind } from './checkpoint-name.ts';
import { decideConcurrency } from './concurrency.ts';
import { createInBatches } from './create-batches.ts';
import type { CronSchedule } from './cron-schedule.ts';
import { parseSchedule } from './cron-schedule.ts';
import { decideDueRun, tooManyMissedThreshold } from './due-run.ts';
import { parseGoDuration } from './duration.ts';
import { groupedBy, listed, plural } from './event-notes.ts';
import { compileLabelSelector, type CompiledLabelSelector } from './label-selector.ts';
import { scheduleEventReasons, scheduleValidReasons } from './reasons.ts';
import { planRetention, retentionPolicyOf, type RetainedCheckpoint, type RetentionPlan } from './retention.ts';
import { planRun } from './run-plan.ts';
import { activeCheckpoints, lastSuccessfulTime, retainedCheckpoints, runsOf } from './run-state.ts';
import { namespaceSelectorOf, owningSchedule, scheduleRefOf, scheduleResources, type Checkpoint, type Schedule } from './schedule-object.ts';
import { nextStatus, statusDiffers, type Validity } from './schedule-status.ts';
import { SeenMemo } from './seen-memo.ts';
import { selectPods, type CachedPod } from './select-pods.ts';

export interface ScheduleConfig {
  /** Time zone of schedules without spec.timeZone. */
  defaultTimeZone: string;
  /** Checkpoint creations a run has in flight at once. */
  maxCreatesPerRun: number;
}

export interface ScheduleReconcilerDeps {
  kind: ScheduleKind;
  client: KubeClient;
  schedules: CacheReader<Schedule>;
  checkpoints: CacheReader<Checkpoint>;
  pods: CacheReader<CachedPod>;
  namespaces: CacheReader<KubeObject>;
  events: EventRecorder;
  metrics: ScheduleMetrics;
  clock: Clock;
  config: ScheduleConfig;
}

type Prepared =
  | { ok: true; cron: CronSchedule; podSelector: CompiledLabelSelector; namespaceSelector: CompiledLabelSelector | undefined }
  | { ok: false; validity: Validity & { ok: false } };

interface Timing {
  lastScheduleTime: Date | undefined;
  nextScheduleTime: Date | undefined;
  requeueAfterMs: number | undefined;
}

export class ScheduleReconciler implements Reconciler {
  private readonly d: ScheduleReconcilerDeps;
  private readonly status: StatusWriter;
  private readonly reported = new SeenMemo();
  /**
   * The newest run this process started, per schedule key: the cache can
   * lag behind the status write that recorded it, and a reconcile that read
   * the older status would otherwise start the run again.
   */
  private readonly started = new Map<string, { uid: string; time: Date }>();

  constructor(deps: ScheduleReconcilerDeps) {
    this.d = deps;
    this.status = new StatusWriter(deps.client, { fieldManager: 'ckpt-controller' });
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<ReconcileResult | undefined> {
    const cached = this.d.schedules.get(key);
    if (cached === undefined) {
      // Its checkpoints follow by owner reference (garbage collector).
      this.reported.forget(key);
      this.started.delete(key);
      return undefined;
    }
    if (cached.metadata.deletionTimestamp !== undefined) return undefined;
    const s = structuredClone(cached);
    const uid = s.metadata.uid ?? '';
    const now = new Date(this.d.clock.now());
    const owned = this.ownedCheckpoints(s);
    const prepared = this.prepare(s);
    let timing: Timing = { lastScheduleTime: this.lastScheduleTime(key, s), nextScheduleTime: undefined, requeueAfterMs: undefined };
    if (prepared.ok) {
      timing = await this.runIfDue(ctx, key, s, prepared, owned, timing.lastScheduleTime, now);
    } else {
      const v = prepared.validity;
      if (this.reported.first(key, `${uid}/invalid/${String(s.metadata.generation)}/${v.reason}/${v.message}`)) {
        this.event(s, { type: 'Warning', reason: v.reason, action: 'Schedule', note: v.message });
      }
    }
    const { lastScheduleTime, nextScheduleTime } = timing;
    let requeueAfterMs = timing.requeueAfterMs;

    const checkpoints = [...owned.values()];
    const runs = runsOf(checkpoints);
    const status = nextStatus({
      current: s.status, generation: s.metadata.generation, now: now.getTime(),
      validity: prepared.ok ? { ok: true } : prepared.validity,
      lastScheduleTime, nextScheduleTime,
      lastSuccessfulTime: lastSuccessfulTime(runs.values(), parseDate(s.status?.lastSuccessfulTime)),
      active: activeCheckpoints(checkpoints),
    });
    if (statusDiffers(s.status, status)) await this.writeStatus(ctx, s, status);

    const retained = retainedCheckpoints(checkpoints, runs);
    const policy = retentionPolicyOf(s.spec);
    const plan = planRetention(retained, policy, now);
    await this.applyRetention(ctx, key, s, plan, owned);
    const expiry = nextExpiry(retained, plan, policy.maxAge, policy.pinLabel, now);
    if (expiry !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, expiry);
    return requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, requeueAfterMs) } : undefined;
  }

  /** Starts the run that is due now, if any, and says when the next one is. */
  private async runIfDue(
    ctx: ReconcileContext, key: string, s: Schedule, prepared: Prepared & { ok: true }, owned: Map<string, Checkpoint>,
    lastScheduleTime: Date | undefined, now: Date,
  ): Promise<Timing> {
    const uid = s.metadata.uid ?? '';
    const due = decideDueRun({
      schedule: prepared.cron, creationTime: new Date(s.metadata.creationTimestamp ?? now.toISOString()),
      lastScheduleTime, startingDeadlineSeconds: s.spec.startingDeadlineSeconds, suspend: s.spec.suspend, now,
    });
    if (due.tooManyMissed && this.reported.first(key, `${uid}/too-many/${String(lastScheduleTime?.getTime())}`)) {
      this.event(s, {
        type: 'Warning', reason: scheduleEventReasons.tooManyMissed, action: 'Schedule',
        note: `More than ${tooManyMissedThreshold} runs were missed since ${lastScheduleTime === undefined ? 'the schedule was created' : `the last run (${iso(lastScheduleTime)})`}; check the controller's clock`,
      });
    }
    const skipped = due.skippedPastDeadline;
    if (skipped !== undefined && this.reported.first(key, `${uid}/missed/${runId(skipped)}`)) {
      this.d.metrics.runs.inc({ kind: this.d.kind, result: 'missed' });
      this.event(s, {
        type: 'Warning', reason: scheduleEventReasons.missedSchedule, action: 'Schedule',
        note: `Missed the run scheduled for ${iso(skipped)}: it is ${Math.round((now.getTime() - skipped.getTime()) / 1000)}s late, past startingDeadlineSeconds (${String(s.spec.startingDeadlineSeconds)}); ${plural(due.missed, 'run')} skipped`,
      });
      ctx.logger.info({ scheduledTime: iso(skipped) }, 'run skipped: past startingDeadlineSeconds');
    }
    let last = lastScheduleTime;
    if (due.run !== undefined && await this.startRun(ctx, key, s, due.run, prepared, owned)) {
      last = due.run;
      this.started.set(key, { uid, time: due.run });
    }
    return { lastScheduleTime: last, nextScheduleTime: due.nextScheduleTime, requeueAfterMs: due.requeueAfterMs };
  }

  private prepare(s: Schedule): Prepared {
    const evaluation = parseSchedule(s.spec, { defaultTimeZone: this.d.config.defaultTimeZone });
    if (!evaluation.ok) return { ok: false, validity: { ok: false, reason: evaluation.reason, message: evaluation.message } };
    const pods = compileLabelSelector(s.spec.podSelector);
    if (!pods.ok) return invalidSelector(`podSelector: ${pods.message}`);
    let namespaceSelector: CompiledLabelSelector | undefined;
    if (this.d.kind === 'ClusterCheckpointSchedule') {
      const ns = compileLabelSelector(namespaceSelectorOf(s) ?? {});
      if (!ns.ok) return invalidSelector(`namespaceSelector: ${ns.message}`);
      namespaceSelector = ns.selector;
    }
    return { ok: true, cron: evaluation.schedule, podSelector: pods.selector, namespaceSelector };
  }

  /** The schedule's checkpoints, by "namespace/name", as the cache has them. */
  private ownedCheckpoints(s: Schedule): Map<string, Checkpoint> {
    const uid = s.metadata.uid;
    const candidates = this.d.kind === 'CheckpointSchedule' ? this.d.checkpoints.list(s.metadata.namespace ?? '') : this.d.checkpoints.list();
    const owned = new Map<string, Checkpoint>();
    for (const c of candidates) {
      if (owningSchedule(c)?.uid === uid) owned.set(checkpointKey(c), c);
    }
    return owned;
  }

  private lastScheduleTime(key: string, s: Schedule): Date | undefined {
    const recorded = parseDate(s.status?.lastScheduleTime);
    const mine = this.started.get(key);
    if (mine === undefined || mine.uid !== s.metadata.uid) return recorded;
    return recorded === undefined || mine.time > recorded ? mine.time : recorded;
  }

  /** Starts the run at scheduledTime unless concurrencyPolicy holds it back; true if it started. */
  private async startRun(
    ctx: ReconcileContext, key: string, s: Schedule, scheduledTime: Date,
    prepared: Prepared & { ok: true }, owned: Map<string, Checkpoint>,
  ): Promise<boolean> {
    const kind = this.d.kind;
    const uid = s.metadata.uid ?? '';
    const run = runId(scheduledTime);
    const concurrency = decideConcurrency(s.spec.concurrencyPolicy, activeCheckpoints([...owned.values()]), run);
    if (concurrency.action === 'Skip') {
      // lastScheduleTime stays: the run starts later if the earlier one
      // finishes in time (startingDeadlineSeconds, next instant), as CronJob.
      if (this.reported.first(key, `${uid}/forbid/${run}`)) {
        this.d.metrics.runs.inc({ kind, result: 'forbidden' });
        this.event(s, { type: 'Normal', reason: concurrency.reason, action: 'Schedule', note: concurrency.message });
      }
      return false;
    }
    if (concurrency.action === 'Replace') {
      for (const a of concurrency.toDelete) {
        const k = `${a.namespace}/${a.name}`;
        const c = owned.get(k);
        if (c === undefined) continue;
        await this.d.client.delete(resources.containerCheckpoints, a.name, a.namespace, {
          signal: ctx.signal, preconditions: { uid: c.metadata.uid ?? '' },
        }).catch((err: unknown) => { tolerate(err, 404, 409); });
        owned.delete(k);
      }
      this.event(s, { type: 'Normal', reason: concurrency.reason, action: 'Schedule', note: concurrency.message });
    }

    const plan = planRun({
      schedule: scheduleRefOf(kind, s), scheduledTime,
      pods: selectPods({
        pods: this.d.pods, namespaces: this.d.namespaces, podSelector: prepared.podSelector,
        ...(kind === 'CheckpointSchedule' ? { namespace: s.metadata.namespace ?? '' } : { namespaceSelector: prepared.namespaceSelector }),
      }),
      containerNames: s.spec.containerNames, template: s.spec.template,
    });
    // Those an earlier, interrupted attempt made are in the cache already.
    const toCreate = plan.checkpoints.filter((c) => !owned.has(checkpointKey(c)));
    const outcome = await createInBatches(this.d.client, toCreate, this.d.config.maxCreatesPerRun, ctx.signal);
    // Those found to exist may not be in the cache yet; until they are,
    // the planned object stands for them (status.active).
    for (const c of [...outcome.created, ...outcome.existing]) owned.set(checkpointKey(c), c);

    const created = outcome.created.length;
    const total = plan.checkpoints.length - outcome.refused.length;
    this.d.metrics.runs.inc({ kind, result: 'started' });
    this.d.metrics.checkpointsCreated.inc({ kind }, created);
    const when = `Run ${run} (scheduled ${iso(scheduledTime)})`;
    ctx.logger.info({ run, scheduledTime: iso(scheduledTime), created, checkpoints: total, skippedPods: plan.skippedPods.length }, 'run started');
    if (total > 0) {
      const earlier = total - created;
      this.event(s, {
        type: 'Normal', reason: scheduleEventReasons.successfulCreate, action: 'Run',
        note: `${when}: ${plural(total, 'ContainerCheckpoint')}${earlier > 0 ? ` (${earlier} created by an earlier attempt)` : ''}`,
      });
    } else if (plan.skippedPods.length === 0 && outcome.refused.length === 0) {
      this.event(s, { type: 'Warning', reason: scheduleEventReasons.noPodsSelected, action: 'Run', note: `${when}: no pod matches the selectors` });
    }
    for (const [reason, pods] of groupedBy(plan.skippedPods, (p) => p.reason)) {
      this.d.metrics.podsSkipped.inc({ kind, reason }, pods.length);
      const first = pods[0]?.message ?? '';
      this.event(s, {
        type: 'Warning', reason, action: 'Run',
        note: `${when}: left out ${plural(pods.length, 'pod')} (${listed(pods.map((p) => `${p.namespace}/${p.name}`))}): ${first}${pods.length > 1 ? ', ...' : ''}`,
      });
    }
    for (const [reason, entries] of groupedBy(plan.skippedContainers, (c) => c.reason)) {
      this.event(s, {
        type: 'Warning', reason, action: 'Run',
        note: `${when}: checkpointing the other containers of ${plural(entries.length, 'pod')}: ${listed(entries.map((e) => e.message))}`,
      });
    }
    if (outcome.refused.length > 0) {
      const names = outcome.refused.map((r) => `${r.checkpoint.metadata.namespace ?? ''}/${r.checkpoint.metadata.name ?? ''}`);
      this.event(s, {
        type: 'Warning', reason: scheduleEventReasons.failedCreate, action: 'Run',
        note: `${when}: the API server refused ${plural(names.length, 'ContainerCheckpoint')} (${listed(names)}): ${outcome.refused[0]?.message ?? ''}`,
      });
    }
    return true;
  }

  /**
   * A conflict means a newer version of the schedule exists; its watch event
   * brings another reconcile, which writes from fresh data. Waiting for it
   * costs nothing, where a requeue would back off.
   */
  private async writeStatus(ctx: ReconcileContext, s: Schedule, status: Schedule['status']): Promise<void> {
    try {
      await this.status.update(scheduleResources[this.d.kind], { ...s, status }, ctx.signal);
    } catch (err) {
      if (isConflict(err)) {
        ctx.logger.debug('status write conflicted; the newer schedule will be reconciled');
        return;
      }
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private async applyRetention(ctx: ReconcileContext, key: string, s: Schedule, plan: RetentionPlan, owned: ReadonlyMap<string, Checkpoint>): Promise<void> {
    const kind = this.d.kind;
    const uid = s.metadata.uid ?? '';
    for (const w of plan.warnings) {
      if (this.reported.first(key, `${uid}/retention/${String(s.metadata.generation)}/${w}`)) {
        this.event(s, { type: 'Warning', reason: scheduleEventReasons.retentionNotApplied, action: 'Retention', note: w });
      }
    }
    const deleted: string[] = [];
    let freed = 0n;
    for (const d of plan.deletions) {
      const c = owned.get(`${d.namespace}/${d.name}`);
      if (c === undefined) continue;
      // Judged at this resourceVersion: if it changed since (pinned a moment
      // ago, say), the deletion fails and the update brings a new judgement.
      const ok = await this.d.client.delete(resources.containerCheckpoints, d.name, d.namespace, {
        signal: ctx.signal, preconditions: { resourceVersion: c.metadata.resourceVersion ?? '' },
      }).then(() => true, (err: unknown) => { tolerate(err, 404, 409); return false; });
      if (!ok) continue;
      deleted.push(`${d.namespace}/${d.name}`);
      freed += d.bytes;
      this.d.metrics.retentionDeletions.inc({ kind, rule: d.rule });
      this.d.metrics.retentionFreedBytes.inc({ kind }, Number(d.bytes));
    }
    if (deleted.length > 0) {
      const rules = [...new Set(plan.deletions.map((d) => d.rule))].join(', ');
      ctx.logger.info({ deleted: deleted.length, freedBytes: String(freed) }, 'retention deleted checkpoints');
      this.event(s, {
        type: 'Normal', reason: scheduleEventReasons.successfulDelete, action: 'Retention',
        note: `Deleted ${plural(deleted.length, 'ContainerCheckpoint')} (${listed(deleted)}), oldest first, by ${rules}; ${String(freed)} bytes of archives`,
      });
    }
  }

  private event(s: Schedule, spec: EventSpec): void {
    this.d.events.event(referenceOf(this.d.kind, s), spec);
  }
}

/** Cached objects from a list may lack apiVersion and kind; an event needs both. */
export function referenceOf(kind: ScheduleKind, s: Schedule): ObjectReference {
  return {
    apiVersion, kind, name: s.metadata.name ?? '', uid: s.metadata.uid ?? '',
    ...(s.metadata.namespace !== undefined ? { namespace: s.metadata.namespace } : {}),
    ...(s.metadata.resourceVersion !== undefined ? { resourceVersion: s.metadata.resourceVersion } : {}),
  };
}

/**
 * Milliseconds until the next kept checkpoint passes retention.maxAge, so
 * that retention runs then even when nothing else happens.
 */
function nextExpiry(retained: readonly RetainedCheckpoint[], plan: RetentionPlan, maxAge: string | undefined, pinLabel: string | undefined, now: Date): number | undefined {
  if (maxAge === undefined) return undefined;
  let ageMs: number;
  try {
    ageMs = Number(parseGoDuration(maxAge) / 1_000_000n);
  } catch {
    return undefined;
  }
  const deleting = new Set(plan.deletions.map((d) => `${d.namespace}/${d.name}`));
  let soonest: number | undefined;
  for (const c of retained) {
    if (!c.finished || !c.succeeded || c.failed || c.deleting === true || deleting.has(`${c.namespace}/${c.name}`)) continue;
    if (c.labels?.[pinLabel ?? defaultPinLabel] === 'true') continue;
    // planRetention deletes strictly older than maxAge.
    const left = c.creationTime.getTime() + ageMs + 1 - now.getTime();
    if (left > 0 && (soonest === undefined || left < soonest)) soonest = left;
  }
  return soonest;
}

function invalidSelector(message: string): Prepared {
  return { ok: false, validity: { ok: false, reason: scheduleValidReasons.invalidSelector, message } };
}

function checkpointKey(c: Checkpoint): string {
  return `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
}

function parseDate(s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function iso(d: Date): string {
  return formatTime(d.getTime());
}

/** Rethrows err unless it is an API error with one of these HTTP codes. */
function tolerate(err: unknown, ...codes: number[]): void {
  if (!(err instanceof ApiError && codes.includes(err.code))) throw err;
}
