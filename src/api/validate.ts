// Validation of objects against the same schemas the CRDs are built from, so
// the controller, the agent and the kubectl plugin judge a manifest as
// kube-apiserver does: JSON Schema keywords (by TypeBox), plus what the
// Kubernetes dialect adds: unknown fields are errors, list-type set/map
// uniqueness, and the x-kubernetes-validations rules (their TypeScript twins).
import Value from 'typebox/value';
import type { TSchema } from 'typebox';
import { rulesOf } from './rules.ts';

export interface FieldError {
  /** Field path as kubectl prints it, e.g. spec.options.pageServer.port. */
  field: string;
  message: string;
}

interface Node {
  type?: string;
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

const join = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`;

function pointerToField(base: string, pointer: string): string {
  let field = base;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    field = /^[0-9]+$/.test(key) ? join(field, Number(key)) : join(field, key);
  }
  return field;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(node: Node, value: unknown, old: unknown, field: string, errors: FieldError[]): void {
  for (const rule of rulesOf(node)) {
    if (rule.transition === true && old === undefined) continue;
    const verdict = rule.check(value, old);
    if (verdict === true) continue;
    const at = rule.fieldPath !== undefined ? field + rule.fieldPath : field;
    errors.push({ field: at, message: typeof verdict === 'string' ? verdict : rule.message ?? `failed rule: ${rule.rule}` });
  }
  if (isObject(value) && node.type === 'object') {
    for (const [key, sub] of Object.entries(value)) {
      const schema = node.properties?.[key] ?? (isObject(node.additionalProperties) ? node.additionalProperties : undefined);
      if (schema === undefined) {
        errors.push({ field: join(field, key), message: `unknown field "${join(field, key)}"` });
        continue;
      }
      walk(schema, sub, isObject(old) ? old[key] : undefined, join(field, key), errors);
    }
  } else if (Array.isArray(value) && node.items !== undefined) {
    const listType = node['x-kubernetes-list-type'];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      let key: string | undefined;
      if (listType === 'set') key = JSON.stringify(item);
      if (listType === 'map' && isObject(item)) key = JSON.stringify((node['x-kubernetes-list-map-keys'] ?? []).map((k) => item[k]));
      if (key !== undefined) {
        if (seen.has(key)) errors.push({ field: join(field, i), message: `Duplicate value: ${key}` });
        seen.add(key);
      }
      if (node.items !== undefined) walk(node.items, item, undefined, join(field, i), errors);
    });
  }
}

/**
 * Errors of value (at field path `field`) against schema; old is the stored
 * object for transition rules (spec immutability), when there is one.
 */
export function validate(schema: TSchema, value: unknown, field: string, old?: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const e of Value.Errors(schema, value)) {
    const at = pointerToField(field, e.instancePath);
    const missing = (e.params as { requiredProperties?: unknown }).requiredProperties;
    if (e.keyword === 'required' && Array.isArray(missing)) {
      // One error per missing field, named as kube-apiserver names it.
      for (const name of missing) errors.push({ field: join(at, String(name)), message: 'Required value' });
    } else {
      errors.push({ field: at, message: e.message });
    }
  }
  walk(schema, value, old, field, errors);
  return errors;
}

export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
