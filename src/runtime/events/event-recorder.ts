// Records events.k8s.io/v1 Events, after client-go's tools/events:
//  - the first occurrence creates an Event;
//  - the same event again (same regarding, related, type, reason, action,
//    note, reporter) within the series window turns it into a series: the
//    second occurrence patches series.count = 2 at once, later ones only count
//    in memory and are written at most once per flush interval, so a hot loop
//    cannot flood the API server;
//  - recording never blocks or fails the caller: writes happen in the
//    background, a bounded number at a time, failures are logged.
import type { Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../clock.ts';
import { isNotFound } from '../kube/api-error.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { formatMicroTime } from '../kube/micro-time.ts';
import type { KubeObject } from '../kube/object.ts';
import { coreResources } from '../kube/resource.ts';
import { errorFields, silentLogger } from '../logging/logger.ts';

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventSpec {
  type: EventType;
  /** Why the action was taken, CamelCase (e.g. CheckpointFailed). */
  reason: string;
  /** What was done, CamelCase (e.g. Checkpoint). */
  action: string;
  /** Human-readable detail (at most 1 kB is kept). */
  note?: string;
  /** A second object involved, if any. */
  related?: KubeObject | ObjectReference;
}

export interface EventSeries {
  count: number;
  lastObservedTime: string;
}

/** An events.k8s.io/v1 Event as written. */
export interface KubeEvent extends KubeObject {
  eventTime: string;
  series?: EventSeries;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  note?: string;
  type: EventType;
  regarding: ObjectReference;
  related?: ObjectReference;
}

export interface EventRecorderOptions {
  client: Pick<KubeClient, 'create' | 'patch'>;
  /** Qualified name of the controller, e.g. "ckpt.dev/controller". */
  reportingController: string;
  /** This instance, e.g. the pod name (at most 128 characters). */
  reportingInstance: string;
  /** Occurrences this close together join one series (default 6 min). */
  seriesWindowMs?: number;
  /** Series counts are written at most this often (default 30 s). */
  flushIntervalMs?: number;
  /** Most writes queued at once; beyond that events are dropped and logged (default 1000). */
  maxPendingWrites?: number;
  logger?: Logger;
  clock?: Clock;
}

interface SeriesEntry {
  namespace: string;
  name: string;
  body: KubeEvent;
  count: number;
  /** count already written to the server */
  writtenCount: number;
  lastObserved: number;
  /** Writes for one event run one after another (create before patch). */
  chain: Promise<void>;
}

export class EventRecorder {
  private readonly opts: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly series = new Map<string, SeriesEntry>();
  private readonly inFlight = new Set<Promise<void>>();
  private pendingWrites = 0;
  private seq = 0;
  private flushTimer: Timer | undefined;
  private closed = false;

  constructor(opts: EventRecorderOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'event-recorder' });
    if (opts.reportingInstance.length > 128) throw new Error('reportingInstance must be at most 128 characters');
  }

  /** Records an event about regarding. Returns at once; the write happens in the background. */
  event(regarding: KubeObject | ObjectReference, spec: EventSpec): void {
    if (this.closed) return;
    const ref = toReference(regarding);
    const related = spec.related !== undefined ? toReference(spec.related) : undefined;
    const note = truncateBytes(spec.note ?? '', 1024);
    const key = JSON.stringify([ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath,
      related?.kind, related?.namespace, related?.name, related?.uid, spec.type, spec.reason, spec.action, note]);
    const now = this.clock.now();
    const existing = this.series.get(key);
    if (existing !== undefined && now - existing.lastObserved <= this.windowMs()) {
      existing.count++;
      existing.lastObserved = now;
      // The second occurrence is what makes a series: say so at once. Later
      // ones wait for the flush timer.
      if (existing.count === 2) this.writeSeries(existing);
      else this.armFlush();
      return;
    }
    const namespace = ref.namespace !== undefined && ref.namespace !== '' ? ref.namespace : 'default';
    const name = eventName(ref.name ?? 'unknown', now, this.seq++);
    const body: KubeEvent = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: formatMicroTime(now),
      reportingController: this.opts.reportingController,
      reportingInstance: this.opts.reportingInstance,
      action: spec.action.slice(0, 128),
      reason: spec.reason.slice(0, 128),
      type: spec.type,
      regarding: ref,
      ...(note !== '' ? { note } : {}),
      ...(related !== undefined ? { related } : {}),
    };
    const entry: SeriesEntry = { namespace, name, body, count: 1, writtenCount: 0, lastObserved: now, chain: Promise.resolve() };
    this.series.set(key, entry);
    this.enqueue(entry, async () => {
      await this.opts.client.create(coreResources.events, body);
      entry.writtenCount = 1;
    });
    this.armFlush();
  }

  /** Writes every pending series count and waits for all writes in flight. */
  async flush(): Promise<void> {
    this.flushSeries();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Flushes, then ignores further events. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
  }

  private windowMs(): number {
    return this.opts.seriesWindowMs ?? 6 * 60_000;
  }

  private armFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    this.flushTimer = this.clock.setTimer(this.opts.flushIntervalMs ?? 30_000, () => {
      this.flushTimer = undefined;
      this.flushSeries();
      if (this.series.size > 0) this.armFlush();
    }, true);
  }

  private flushSeries(): void {
    const now = this.clock.now();
    for (const [key, e] of this.series) {
      if (e.count > e.writtenCount && e.count >= 2) this.writeSeries(e);
      if (now - e.lastObserved > this.windowMs()) this.series.delete(key);
    }
  }

  private writeSeries(e: SeriesEntry): void {
    this.enqueue(e, async () => {
      const count = e.count;
      if (count <= e.writtenCount) return;
      const series: EventSeries = { count, lastObservedTime: formatMicroTime(e.lastObserved) };
      try {
        await this.opts.client.patch(coreResources.events, e.name, e.namespace, { series }, { type: 'merge' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The event expired (events live about an hour): start a new one.
        e.name = eventName(e.body.regarding.name ?? 'unknown', this.clock.now(), this.seq++);
        e.body = { ...e.body, metadata: { name: e.name, namespace: e.namespace }, eventTime: formatMicroTime(this.clock.now()) };
        await this.opts.client.create(coreResources.events, e.body);
      }
      e.writtenCount = count;
    });
  }

  private enqueue(e: SeriesEntry, write: () => Promise<void>): void {
    if (this.pendingWrites >= (this.opts.maxPendingWrites ?? 1000)) {
      this.log.warn({ event: e.name }, 'too many event writes pending; dropping this one');
      return;
    }
    this.pendingWrites++;
    const p = e.chain.then(write).catch((err: unknown) => {
      this.log.warn({ ...errorFields(err), event: `${e.namespace}/${e.name}` }, 'could not record event');
    }).finally(() => {
      this.pendingWrites--;
      this.inFlight.delete(p);
    });
    e.chain = p;
    this.inFlight.add(p);
  }
}

export function toReference(o: KubeObject | ObjectReference): ObjectReference {
  if ('metadata' in o) {
    const obj = o;
    const ref: ObjectReference = {};
    if (obj.apiVersion !== undefined) ref.apiVersion = obj.apiVersion;
    if (obj.kind !== undefined) ref.kind = obj.kind;
    if (obj.metadata?.namespace !== undefined) ref.namespace = obj.metadata.namespace;
    if (obj.metadata?.name !== undefined) ref.name = obj.metadata.name;
    if (obj.metadata?.uid !== undefined) ref.uid = obj.metadata.uid;
    if (obj.metadata?.resourceVersion !== undefined) ref.resourceVersion = obj.metadata.resourceVersion;
    return ref;
  }
  return { ...(o as ObjectReference) };
}

function eventName(base: string, nowMs: number, seq: number): string {
  // client-go names events <object>.<hex nanoseconds>; seq keeps names unique within a millisecond.
  const suffix = (BigInt(nowMs) * 1_000_000n + BigInt(seq % 1_000_000)).toString(16);
  return `${base.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s.slice(0, max);
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}
