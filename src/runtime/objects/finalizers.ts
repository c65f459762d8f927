// Finalizer add/remove as merge patches that carry the object's
// resourceVersion: the server applies them only if the object has not changed
// since it was read, and answers 409 (ConflictError) otherwise. A stale read
// can therefore never drop a finalizer someone else added meanwhile.
import type { KubeClient } from '../kube/kube-client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** Adds finalizer unless present; returns the object as the server now has it. */
export async function addFinalizer<T extends KubeObject>(client: Pick<KubeClient, 'patch'>, r: ResourceType, obj: T, finalizer: string, signal?: AbortSignal): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(client, r, obj, [...(obj.metadata?.finalizers ?? []), finalizer], signal);
}

/** Removes finalizer if present; returns the object as the server now has it. */
export async function removeFinalizer<T extends KubeObject>(client: Pick<KubeClient, 'patch'>, r: ResourceType, obj: T, finalizer: string, signal?: AbortSignal): Promise<T> {
  if (!hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(client, r, obj, (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer), signal);
}

function patchFinalizers<T extends KubeObject>(client: Pick<KubeClient, 'patch'>, r: ResourceType, obj: T, finalizers: string[], signal?: AbortSignal): Promise<T> {
  const rv = obj.metadata?.resourceVersion;
  const name = obj.metadata?.name;
  if (rv === undefined || rv === '' || name === undefined) {
    throw new Error('finalizer patch needs the object as read from the server (name and resourceVersion)');
  }
  return client.patch<T>(r, name, obj.metadata?.namespace, { metadata: { resourceVersion: rv, finalizers } }, {
    type: 'merge', ...(signal !== undefined ? { signal } : {}),
  });
}
