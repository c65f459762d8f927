// An in-memory stand-in for the API server's list and watch of one resource,
// with the failure modes informers must survive: dropped connections, silent
// connections, and history compacted away (410 Gone).
import { ApiError } from '../../../src/runtime/kube/api-error.ts';
import type { KubeObject, KubeList, WatchEvent } from '../../../src/runtime/kube/object.ts';
import type { ListWatchClient } from '../../../src/runtime/informer/informer.ts';
import type { ListOptions, WatchOptions } from '../../../src/runtime/kube/kube-client.ts';
import type { ResourceType } from '../../../src/runtime/kube/resource.ts';

interface Watcher {
  onEvent: (e: WatchEvent<KubeObject>) => void;
  opts: WatchOptions;
  end: (how: 'closed' | 'aborted', err?: Error) => void;
  silent: boolean;
  pending: WatchEvent<KubeObject>[];
}

export class FakeApi implements ListWatchClient {
  private rv = 100;
  private uidSeq = 0;
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: { rv: number; event: WatchEvent<KubeObject> }[] = [];
  private compactedBelow = 0;
  private readonly watchers = new Set<Watcher>();
  lists = 0;
  watchCalls: WatchOptions[] = [];
  failNextLists = 0;
  /** The next list continuation is answered 410 Gone (its token outlived etcd's history). */
  expireNextContinue = false;

  put(name: string, data: Record<string, string> = {}, namespace = 'ns'): KubeObject {
    const key = `${namespace}/${name}`;
    const old = this.objects.get(key);
    const obj: KubeObject & { data: Record<string, string> } = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name, namespace, uid: old?.metadata?.uid ?? `uid-${++this.uidSeq}`, resourceVersion: String(++this.rv), managedFields: [{ manager: 'x' }] },
      data,
    };
    this.objects.set(key, obj);
    this.record({ type: old === undefined ? 'ADDED' : 'MODIFIED', object: structuredClone(obj) });
    return obj;
  }

  remove(name: string, namespace = 'ns'): void {
    const key = `${namespace}/${name}`;
    const old = this.objects.get(key);
    if (old === undefined) return;
    this.objects.delete(key);
    const gone = structuredClone(old);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.rv) };
    this.record({ type: 'DELETED', object: gone });
  }

  /** Forgets history: watches from older versions get 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.history.length = 0;
  }

  /** Ends every watch with a connection error. */
  dropWatches(): void {
    for (const w of this.watchers) w.end('closed', new Error('connection reset'));
  }

  /** Ends every watch as the server does at timeoutSeconds. */
  closeWatches(): void {
    for (const w of this.watchers) w.end('closed');
  }

  /** Current watches stop delivering anything (a half-open connection). */
  silenceWatches(): void {
    for (const w of this.watchers) w.silent = true;
  }

  bookmark(): void {
    for (const w of this.watchers) this.deliver(w, { type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.rv) } } });
  }

  activeWatches(): number {
    return this.watchers.size;
  }

  state(): Map<string, string> {
    return new Map([...this.objects].map(([k, o]) => [k, o.metadata?.resourceVersion ?? '']));
  }

  list<T extends KubeObject>(_r: ResourceType, o: ListOptions = {}): Promise<KubeList<T>> {
    this.lists++;
    if (this.failNextLists > 0) {
      this.failNextLists--;
      return Promise.reject(new Error('list failed'));
    }
    if (o.continue !== undefined && this.expireNextContinue) {
      this.expireNextContinue = false;
      return Promise.reject(new ApiError('GET', 'list', 410, { kind: 'Status', code: 410, reason: 'Expired', message: 'continue token expired' }));
    }
    const all = [...this.objects.values()].map((x) => structuredClone(x) as T);
    const start = o.continue !== undefined ? Number(o.continue) : 0;
    const end = o.limit !== undefined ? start + o.limit : all.length;
    return Promise.resolve({
      metadata: { resourceVersion: String(this.rv), ...(end < all.length ? { continue: String(end) } : {}) },
      items: all.slice(start, end),
    });
  }

  watch<T extends KubeObject>(_r: ResourceType, o: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<'closed' | 'aborted'> {
    this.watchCalls.push(o);
    return new Promise((resolve, reject) => {
      const from = Number(o.resourceVersion ?? '0');
      const w: Watcher = {
        onEvent: onEvent as (e: WatchEvent<KubeObject>) => void,
        opts: o,
        silent: false,
        pending: [],
        end: (how, err) => {
          if (!this.watchers.delete(w)) return;
          if (err !== undefined) reject(err);
          else resolve(how);
        },
      };
      this.watchers.add(w);
      o.signal?.addEventListener('abort', () => { w.end('aborted'); }, { once: true });
      if (o.signal?.aborted === true) {
        w.end('aborted');
        return;
      }
      if (from < this.compactedBelow) {
        this.deliver(w, { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: `too old resource version: ${from}` } });
        return;
      }
      for (const h of this.history) if (h.rv > from) this.deliver(w, h.event);
    });
  }

  private record(event: WatchEvent<KubeObject>): void {
    this.history.push({ rv: this.rv, event });
    for (const w of this.watchers) this.deliver(w, event);
  }

  private deliver(w: Watcher, e: WatchEvent<KubeObject>): void {
    if (w.silent || !this.watchers.has(w)) return;
    w.opts.onActivity?.();
    try {
      w.onEvent(structuredClone(e));
    } catch (err) {
      w.end('closed', err as Error);
    }
  }
}
