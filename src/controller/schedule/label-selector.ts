// metav1.LabelSelector: matching labels in memory (informer caches) and the
// same selector as a list call's labelSelector parameter, with the meaning
// and the text apimachinery gives them (LabelSelectorAsSelector, String):
// requirements ANDed and sorted by key, "k=v" for matchLabels, "k in (a,b)",
// "k notin (a,b)", "k", "!k". NotIn also matches objects without the key.
// The CRD checks the shape; keys and values are checked here, because a bad
// one would otherwise make a query the API server refuses.
import type { LabelSelector } from '../../api/fields.ts';

type Operator = '=' | 'in' | 'notin' | 'exists' | '!';

interface Requirement {
  key: string;
  operator: Operator;
  values: ReadonlySet<string>;
}

export interface CompiledLabelSelector {
  /** An empty selector, which matches every object. */
  readonly matchesEverything: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** The labelSelector parameter of a list call; '' for everything. */
  readonly query: string;
}

export type LabelSelectorCompilation =
  | { ok: true; selector: CompiledLabelSelector }
  | { ok: false; message: string };

const operators: Readonly<Record<string, Operator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

export function compileLabelSelector(selector: LabelSelector): LabelSelectorCompilation {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const problem = keyProblem(key) ?? valueProblem(key, value);
    if (problem !== undefined) return { ok: false, message: `matchLabels: ${problem}` };
    requirements.push({ key, operator: '=', values: new Set([value]) });
  }
  for (const [i, e] of (selector.matchExpressions ?? []).entries()) {
    const where = `matchExpressions[${i}]`;
    const operator = operators[e.operator];
    if (operator === undefined) return { ok: false, message: `${where}: unknown operator ${JSON.stringify(e.operator)}; want In, NotIn, Exists or DoesNotExist` };
    const values = e.values ?? [];
    const needsValues = operator === 'in' || operator === 'notin';
    if (needsValues && values.length === 0) return { ok: false, message: `${where}: ${e.operator} needs at least one value` };
    if (!needsValues && values.length > 0) return { ok: false, message: `${where}: ${e.operator} takes no values` };
    const problem = keyProblem(e.key) ?? values.map((v) => valueProblem(e.key, v)).find((p) => p !== undefined);
    if (problem !== undefined) return { ok: false, message: `${where}: ${problem}` };
    requirements.push({ key: e.key, operator, values: new Set(values) });
  }
  // Array.prototype.sort is stable, so equal keys keep matchLabels first.
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    ok: true,
    selector: {
      matchesEverything: requirements.length === 0,
      matches: (labels) => requirements.every((r) => satisfies(r, labels ?? {})),
      query: requirements.map(format).join(','),
    },
  };
}

function satisfies(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case '=':
    case 'in': return value !== undefined && r.values.has(value);
    case 'notin': return value === undefined || !r.values.has(value);
    case 'exists': return has;
    case '!': return !has;
  }
}

function format(r: Requirement): string {
  const values = () => [...r.values].sort().join(',');
  switch (r.operator) {
    case '=': return `${r.key}=${values()}`;
    case 'in': return `${r.key} in (${values()})`;
    case 'notin': return `${r.key} notin (${values()})`;
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
  }
}

const namePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// A qualified name: an optional DNS subdomain prefix and "/", then a name of
// at most 63 characters.
function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  const bad = (why: string) => `label key ${JSON.stringify(key)} ${why}`;
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) return bad('has a prefix that is not a DNS subdomain');
  if (name.length === 0 || name.length > 63) return bad('must have a name of 1 to 63 characters');
  if (!namePart.test(name)) return bad("must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
  return undefined;
}

function valueProblem(key: string, value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !namePart.test(value)) {
    return `label value ${JSON.stringify(value)} of ${key} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}
