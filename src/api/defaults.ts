// Defaulting with the schema's own defaults, as kube-apiserver applies them,
// for objects that did not pass through it (the kubectl plugin, tests) or were
// stored before a default existed.
import Value from 'typebox/value';
import type { Static, TSchema } from 'typebox';

export function withDefaults<S extends TSchema>(schema: S, value: unknown): Static<S> {
  return Value.Default(schema, structuredClone(value)) as Static<S>;
}
