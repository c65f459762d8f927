// Object metadata as it travels on the wire: the runtime's types, which this
// API shares rather than repeats.
export type { ObjectMeta, OwnerReference } from '../runtime/kube/object.ts';
