// Validation rules that exist twice on purpose, side by side: as CEL, which
// kube-apiserver evaluates at `kubectl apply` (x-kubernetes-validations), and as
// a TypeScript predicate, which the controller, the agent and the kubectl
// plugin evaluate on objects they read or build. Keeping both in one place, and
// a test that runs every bad manifest through both, is what stops them drifting.
import type { Static, TSchema } from 'typebox';

export interface Rule<T> {
  /** The CEL expression, evaluated with `self` (and `oldSelf` for transition rules). */
  rule: string;
  /** Fixed message; shown by kubectl after the field path. */
  message?: string;
  /** CEL that computes the message, for messages that quote the value. */
  messageExpression?: string;
  /** Relative path of the field the message is about (JSONPath-like, e.g. ".port"). */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /**
   * The same rule in TypeScript: returns true when valid, or the message to
   * report. Transition rules get oldSelf; on a single object they pass.
   */
  check: (self: T, oldSelf: T | undefined) => boolean | string;
  /** True for rules that compare with the stored object (oldSelf). */
  transition?: boolean;
}

const rulesKey = Symbol('ckpt.rules');

interface WithRules { [rulesKey]?: Array<Rule<unknown>> }

/** Attaches rules to a schema node (mutates and returns it). */
export function withRules<S extends TSchema>(schema: S, rules: Array<Rule<Static<S>>>): S {
  const node = schema as S & WithRules & { 'x-kubernetes-validations'?: unknown[] };
  node[rulesKey] = [...(node[rulesKey] ?? []), ...(rules as Array<Rule<unknown>>)];
  node['x-kubernetes-validations'] = node[rulesKey].map((r) => {
    const cel: Record<string, string> = { rule: r.rule };
    if (r.message !== undefined) cel.message = r.message;
    if (r.messageExpression !== undefined) cel.messageExpression = r.messageExpression;
    if (r.fieldPath !== undefined) cel.fieldPath = r.fieldPath;
    if (r.reason !== undefined) cel.reason = r.reason;
    return cel;
  });
  return schema;
}

export function rulesOf(schema: unknown): Array<Rule<unknown>> {
  return (schema as WithRules)[rulesKey] ?? [];
}
