// List+watch of one resource into an ObjectCache, with event handlers.
//
// Built on the runtime's own watch stream rather than client-node's
// makeInformer: that one cannot detect a watch that stays connected but goes
// silent, and its Watch aborts every quiet stream after a fixed 30 s. Here:
//  - a watch resumes from the last resourceVersion seen (events or bookmarks);
//  - 410 Gone (resourceVersion too old, as after an API server restart or an
//    etcd compaction) triggers a fresh list, and the difference between the
//    cache and that list is delivered as add/update/delete events, so handlers
//    never miss a deletion that happened while the watch was down;
//  - a watchdog restarts a watch that has delivered no byte for watchdogMs
//    (bookmarks keep healthy quiet watches talking);
//  - failures back off exponentially with jitter and reset on progress.
import type { Logger } from 'pino';
import { Backoff } from '../backoff.ts';
import { sleepUnlessAborted, systemClock, type Clock, type Timer } from '../clock.ts';
import { ApiError, isExpired } from '../kube/api-error.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { objectKey } from '../kube/object-key.ts';
import type { KubeObject, Status, WatchEvent } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';
import { errorFields, silentLogger } from '../logging/logger.ts';
import { ObjectCache, type CacheReader, type IndexFunc } from './object-cache.ts';
import { apiVersionOf } from '../kube/resource.ts';

export interface InformerHandlers<T> {
  /** A new object; isInitialList is true for objects of the first list. */
  onAdd?(obj: T, isInitialList: boolean): void;
  /** A changed object (or, on resync, an unchanged one: old === new). */
  onUpdate?(oldObj: T, newObj: T): void;
  /** A deleted object, in its last known state. */
  onDelete?(obj: T): void;
}

/** The part of KubeClient an informer uses. */
export type ListWatchClient = Pick<KubeClient, 'list' | 'watch'>;

export interface InformerOptions<T extends KubeObject> {
  client: ListWatchClient;
  resource: ResourceType;
  /** Only this namespace (default: all namespaces, or cluster-scoped). */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  indexers?: Record<string, IndexFunc<T>>;
  /** Re-deliver every cached object as an update this often (default: never). */
  resyncMs?: number | undefined;
  /** Restart a watch that has delivered nothing for this long (default 3 min; bookmarks arrive at least every 1-2 min). */
  watchdogMs?: number | undefined;
  /** Each watch asks the server to close it after a random time in [min, 2*min) seconds (default 300, as client-go). */
  minWatchTimeoutSeconds?: number | undefined;
  /** Page size of lists (default 500). */
  pageSize?: number | undefined;
  /** Reconnect backoff (default 500 ms doubling to 30 s). */
  backoff?: { initialMs: number; maxMs: number } | undefined;
  /** Applied to every object before it is cached (default: drop metadata.managedFields). */
  transform?: ((obj: T) => T) | undefined;
  /** Deep-freeze cached objects so that a reconciler mutating the cache fails loudly (default true). */
  freeze?: boolean | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
}

export interface InformerStats {
  lists: number;
  /** Lists made because the server answered 410 Gone. */
  relistsAfterExpired: number;
  watches: number;
  watchdogRestarts: number;
  watchErrors: number;
  events: number;
  lastResourceVersion: string;
}

type WatchOutcome = 'closed' | 'expired' | 'watchdog' | 'stopped';

export class Informer<T extends KubeObject> {
  readonly resource: ResourceType;
  private readonly store: ObjectCache<T>;
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private synced = false;
  private readonly syncWaiters = new Set<() => void>();
  private lastRV = '';
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly counters: InformerStats = {
    lists: 0, relistsAfterExpired: 0, watches: 0, watchdogRestarts: 0, watchErrors: 0, events: 0, lastResourceVersion: '',
  };

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.resource = opts.resource;
    this.store = new ObjectCache<T>(opts.indexers);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger()).child({
      informer: describe(opts),
    });
  }

  /** The cache; read-only for everyone but the informer. */
  get cache(): CacheReader<T> {
    return this.store;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  stats(): InformerStats {
    return { ...this.counters, lastResourceVersion: this.lastRV };
  }

  /**
   * Adds handlers; if the cache already holds objects they are delivered to the
   * new handlers as adds first, so a late subscriber sees the same world.
   * Returns a function that removes them.
   */
  addHandlers(h: InformerHandlers<T>): () => void {
    this.handlers.add(h);
    if (this.synced) for (const o of this.store.list()) this.call(h, 'onAdd', () => h.onAdd?.(o, true));
    return () => { this.handlers.delete(h); };
  }

  /** Starts listing and watching in the background; idempotent. */
  start(): void {
    if (this.loop !== undefined) return;
    const ac = new AbortController();
    this.controller = ac;
    this.loop = this.run(ac.signal).catch((err: unknown) => {
      this.log.error(errorFields(err), 'informer loop ended unexpectedly');
    });
    if (this.opts.resyncMs !== undefined && this.opts.resyncMs > 0) this.scheduleResync(ac.signal, this.opts.resyncMs);
  }

  /** Stops the watch and waits for the loop to end. The cache keeps its content. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
    this.controller = undefined;
  }

  /** Resolves once the first list is in the cache; rejects if signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.syncWaiters.delete(done);
        reject(new Error(`cache of ${describe(this.opts)} did not sync before shutdown`));
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      this.syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- the list/watch loop -------------------------------------------------------

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ ...(this.opts.backoff ?? { initialMs: 500, maxMs: 30_000 }), random: this.random });
    let needList = true;
    let expiredInARow = 0;
    while (!signal.aborted) {
      let progressed = false;
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
          progressed = true;
        }
        const { outcome, events } = await this.watchOnce(signal);
        if (events > 0) progressed = true;
        if (outcome === 'stopped') break;
        if (outcome === 'expired') {
          needList = true;
          expiredInARow++;
          this.counters.relistsAfterExpired++;
          this.log.info({ resourceVersion: this.lastRV }, 'watch expired (410 Gone); relisting');
          // Relist at once, unless the server keeps expiring fresh lists.
          if (expiredInARow < 2) continue;
        } else {
          expiredInARow = 0;
        }
        if (outcome === 'watchdog') this.log.warn({ watchdogMs: this.watchdogMs() }, 'watch silent too long; restarting it');
      } catch (err) {
        if (isAborted(signal)) break;
        if (isExpired(err)) {
          needList = true;
          expiredInARow++;
          this.counters.relistsAfterExpired++;
          this.log.info({ resourceVersion: this.lastRV }, 'resource version expired (410 Gone); relisting');
          if (expiredInARow < 2) continue;
        }
        this.counters.watchErrors++;
        this.log.warn({ ...errorFields(err), attempt: backoff.attempts + 1 }, needList ? 'list failed' : 'watch failed');
      }
      if (progressed) {
        backoff.reset();
      } else if (!(await sleepUnlessAborted(this.clock, backoff.next(), signal))) {
        break;
      }
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const items = new Map<string, T>();
    let rv = '';
    let cont: string | undefined;
    let limit: number | undefined = this.opts.pageSize ?? 500;
    for (;;) {
      let page;
      try {
        page = await this.opts.client.list<T>(this.resource, {
          namespace: this.opts.namespace,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          limit,
          continue: cont,
          signal,
        });
      } catch (err) {
        if (cont !== undefined && isExpired(err)) {
          // The continue token outlived etcd's history: list again in one piece, as client-go does.
          this.log.info('list continuation expired; listing without pagination');
          items.clear();
          rv = '';
          cont = undefined;
          limit = undefined;
          continue;
        }
        throw err;
      }
      if (rv === '') rv = page.metadata?.resourceVersion ?? '';
      for (const raw of page.items) {
        const obj = this.prepare(raw);
        items.set(objectKey(obj), obj);
      }
      cont = page.metadata?.continue;
      if (cont === undefined || cont === '') break;
    }
    this.counters.lists++;
    this.lastRV = rv;
    this.replace(items);
  }

  /** Makes the cache equal to items, delivering the difference as events. */
  private replace(items: Map<string, T>): void {
    const initial = !this.synced;
    const removed: T[] = [];
    for (const key of this.store.keys()) {
      if (!items.has(key)) {
        const old = this.store.delete(key);
        if (old !== undefined) removed.push(old);
      }
    }
    const changes: { old: T | undefined; obj: T }[] = [];
    for (const [key, obj] of items) {
      const old = this.store.get(key);
      if (old !== undefined && old.metadata?.resourceVersion === obj.metadata?.resourceVersion
        && old.metadata?.uid === obj.metadata?.uid) continue;
      this.store.set(key, obj);
      changes.push({ old, obj });
    }
    for (const o of removed) this.emit('onDelete', o);
    for (const { old, obj } of changes) {
      if (old === undefined) this.emit('onAdd', obj, initial);
      else if (old.metadata?.uid !== obj.metadata?.uid) {
        // Deleted and re-created while we were not watching.
        this.emit('onDelete', old);
        this.emit('onAdd', obj, false);
      } else this.emit('onUpdate', old, obj);
    }
    if (initial) {
      this.synced = true;
      this.log.debug({ objects: this.store.size, resourceVersion: this.lastRV }, 'cache synced');
      for (const w of this.syncWaiters) w();
      this.syncWaiters.clear();
    }
  }

  private watchdogMs(): number {
    return this.opts.watchdogMs ?? 180_000;
  }

  private async watchOnce(outer: AbortSignal): Promise<{ outcome: WatchOutcome; events: number }> {
    if (outer.aborted) return { outcome: 'stopped', events: 0 };
    const ac = new AbortController();
    const onOuterAbort = (): void => { ac.abort(); };
    outer.addEventListener('abort', onOuterAbort, { once: true });
    let outcome: WatchOutcome | undefined;
    let events = 0;
    let lastActivity = this.clock.now();
    const watchdogMs = this.watchdogMs();
    let timer: Timer | undefined;
    const arm = (ms: number): void => {
      timer?.cancel();
      timer = this.clock.setTimer(ms, () => {
        const idle = this.clock.now() - lastActivity;
        if (idle >= watchdogMs) {
          outcome ??= 'watchdog';
          this.counters.watchdogRestarts++;
          ac.abort();
        } else {
          arm(watchdogMs - idle);
        }
      }, true);
    };
    arm(watchdogMs);
    const minTimeout = this.opts.minWatchTimeoutSeconds ?? 300;
    this.counters.watches++;
    try {
      const how = await this.opts.client.watch<T>(this.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.lastRV,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(minTimeout * (1 + this.random())),
        signal: ac.signal,
        onActivity: () => { lastActivity = this.clock.now(); },
      }, (e) => {
        if (outcome !== undefined) return;
        if (e.type === 'ERROR') {
          const status = e.object as Status;
          if (status.code === 410) {
            outcome = 'expired';
            ac.abort();
            return;
          }
          throw new ApiError('WATCH', this.resource.plural, status.code ?? 500, status);
        }
        // Bookmarks count: they prove the watch is alive and move lastRV on.
        events++;
        this.apply(e);
      });
      if (isAborted(outer)) return { outcome: 'stopped', events };
      return { outcome: outcome ?? (how === 'closed' ? 'closed' : 'stopped'), events };
    } finally {
      timer?.cancel();
      outer.removeEventListener('abort', onOuterAbort);
    }
  }

  private apply(e: WatchEvent<T>): void {
    const rv = (e.object as KubeObject).metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      if (rv !== undefined && rv !== '') this.lastRV = rv;
      return;
    }
    this.counters.events++;
    const obj = this.prepare(e.object as T);
    const key = objectKey(obj);
    if (e.type === 'DELETED') {
      this.store.delete(key);
      this.emit('onDelete', obj);
    } else {
      const old = this.store.set(key, obj);
      if (old === undefined) this.emit('onAdd', obj, false);
      else this.emit('onUpdate', old, obj);
    }
    if (rv !== undefined && rv !== '') this.lastRV = rv;
  }

  private prepare(raw: T): T {
    let obj = raw;
    // List responses leave apiVersion and kind off their items; watch events
    // carry them. Filled in so every cached object can name itself (events).
    obj.apiVersion ??= apiVersionOf(this.resource);
    obj.kind ??= this.resource.kind;
    if (this.opts.transform !== undefined) obj = this.opts.transform(obj);
    else if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
    if (this.opts.freeze ?? true) deepFreeze(obj);
    return obj;
  }

  private scheduleResync(signal: AbortSignal, every: number): void {
    const timer = this.clock.setTimer(every, () => {
      if (signal.aborted) return;
      if (this.synced) for (const o of this.store.list()) this.emit('onUpdate', o, o);
      this.scheduleResync(signal, every);
    }, true);
    signal.addEventListener('abort', () => { timer.cancel(); }, { once: true });
  }

  private emit(kind: 'onAdd', obj: T, initial: boolean): void;
  private emit(kind: 'onUpdate', old: T, obj: T): void;
  private emit(kind: 'onDelete', obj: T): void;
  private emit(kind: keyof InformerHandlers<T>, a: T, b?: T | boolean): void {
    for (const h of this.handlers) {
      this.call(h, kind, () => {
        if (kind === 'onAdd') h.onAdd?.(a, b === true);
        else if (kind === 'onUpdate') h.onUpdate?.(a, b as T);
        else h.onDelete?.(a);
      });
    }
  }

  private call(_h: InformerHandlers<T>, kind: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // A faulty handler must not stop the informer or starve other handlers.
      this.log.error({ ...errorFields(err), handler: kind }, 'informer event handler threw');
    }
  }
}

function describe(o: { resource: ResourceType; namespace?: string | undefined; labelSelector?: string | undefined; fieldSelector?: string | undefined }): string {
  const r = o.resource;
  let s = r.group === '' ? r.plural : `${r.plural}.${r.group}`;
  if (o.namespace !== undefined) s += ` in ${o.namespace}`;
  if (o.labelSelector !== undefined) s += ` [${o.labelSelector}]`;
  if (o.fieldSelector !== undefined) s += ` {${o.fieldSelector}}`;
  return s;
}

/** A function, because TypeScript narrows signal.aborted after one check and cannot see it change. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function deepFreeze(o: unknown): void {
  if (typeof o !== 'object' || o === null || Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) deepFreeze(v);
}
