// Owner references: which object owns which, so that the garbage collector
// deletes dependents with their owner and controllers find the owner of an
// event's object.
import type { KubeObject, OwnerReference } from '../kube/object.ts';

/** A reference to owner marking it as the controller (at most one per object). */
export function controllerReference(owner: KubeObject, blockOwnerDeletion = true): OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (apiVersion === undefined || kind === undefined || name === undefined || uid === undefined) {
    throw new Error('an owner needs apiVersion, kind, metadata.name and metadata.uid (as read from the server)');
  }
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion };
}

export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = getControllerOf(obj);
  return ref !== undefined && owner.metadata?.uid !== undefined && ref.uid === owner.metadata.uid;
}

export class AlreadyOwnedError extends Error {
  constructor(obj: KubeObject, ref: OwnerReference) {
    super(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''} is already controlled by ${ref.kind} ${ref.name}`);
    this.name = 'AlreadyOwnedError';
  }
}

/**
 * A copy of owned whose controller reference is owner. Fails if another
 * object already controls it, or if the reference would cross namespaces
 * (the garbage collector ignores those).
 */
export function withControllerReference<T extends KubeObject>(owned: T, owner: KubeObject, ownerNamespaced: boolean): T {
  const ownerNs = owner.metadata?.namespace ?? '';
  const ownedNs = owned.metadata?.namespace ?? '';
  if (ownerNamespaced && ownerNs !== ownedNs) {
    throw new Error(`cross-namespace owner references are not allowed: owner in ${JSON.stringify(ownerNs)}, object in ${JSON.stringify(ownedNs)}`);
  }
  const ref = controllerReference(owner);
  const refs = [...(owned.metadata?.ownerReferences ?? [])];
  const current = refs.find((r) => r.controller === true);
  if (current !== undefined && current.uid !== ref.uid) throw new AlreadyOwnedError(owned, current);
  const i = refs.findIndex((r) => r.uid === ref.uid);
  if (i >= 0) refs[i] = ref;
  else refs.push(ref);
  return { ...owned, metadata: { ...owned.metadata, ownerReferences: refs } };
}
