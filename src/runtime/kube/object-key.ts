// Work-queue and cache keys: "namespace/name" for namespaced objects, "name"
// for cluster-scoped ones (the same convention as client-go's
// MetaNamespaceKeyFunc, so keys read the same in logs from either world).
import type { KubeObject } from './object.ts';

export interface ObjectName {
  /** Undefined for cluster-scoped objects. */
  namespace?: string | undefined;
  name: string;
}

export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new Error('objectKey: object has no metadata.name');
  return keyOf({ namespace: obj.metadata?.namespace, name });
}

export function keyOf(n: ObjectName): string {
  return n.namespace !== undefined && n.namespace !== '' ? `${n.namespace}/${n.name}` : n.name;
}

export function parseKey(key: string): ObjectName {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  if (slash === 0 || slash === key.length - 1 || key.indexOf('/', slash + 1) >= 0) {
    throw new Error(`invalid object key ${JSON.stringify(key)}: want "namespace/name" or "name"`);
  }
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
