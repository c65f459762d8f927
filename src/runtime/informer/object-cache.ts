// The informer's store: the last state seen of every object, keyed
// "namespace/name" (or "name"), with optional secondary indexes. Reconcilers
// read it; only the informer writes it.
import type { KubeObject } from '../kube/object.ts';

/** Values an object is filed under in one index (e.g. its node name). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** The read side of a cache, which is what reconcilers are given. */
export interface CacheReader<T> {
  get(key: string): T | undefined;
  /** Every object, or those in one namespace. */
  list(namespace?: string): T[];
  keys(): string[];
  readonly size: number;
  /** Objects whose index function returned value. */
  byIndex(index: string, value: string): T[];
}

export class ObjectCache<T extends KubeObject> implements CacheReader<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers: ReadonlyMap<string, IndexFunc<T>>;
  // index name -> value -> keys
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    const all: Record<string, IndexFunc<T>> = { namespace: (o) => [o.metadata?.namespace ?? ''], ...indexers };
    this.indexers = new Map(Object.entries(all));
    for (const name of this.indexers.keys()) this.indexes.set(name, new Map());
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.items.values()];
    return this.byIndex('namespace', namespace);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.indexes.get(index);
    if (idx === undefined) throw new Error(`no index named ${index}`);
    const keys = idx.get(value);
    if (keys === undefined) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  /** Stores obj under key and returns what was there before. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    if (old !== undefined) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes key and returns what was there. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  entries(): IterableIterator<[string, T]> {
    return this.items.entries();
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name);
      if (idx === undefined) continue;
      for (const v of fn(obj)) {
        let keys = idx.get(v);
        if (keys === undefined) idx.set(v, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name);
      if (idx === undefined) continue;
      for (const v of fn(obj)) {
        const keys = idx.get(v);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(v);
      }
    }
  }
}
