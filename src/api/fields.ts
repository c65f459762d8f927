// Schema fragments shared by the resources: Kubernetes names, label
// selectors, conditions and the small scalar types the API conventions ask for.
import Type, { type Static } from 'typebox';
import { withRules } from './rules.ts';

/** A string enum as CRD structural schemas want it (enum, not anyOf of consts). */
export function StringEnum<const V extends readonly string[]>(values: V, opts: { description: string; default?: V[number] }) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...opts });
}

/** map[string]string, as labels and annotations. */
export function StringMap(description: string) {
  return Type.Unsafe<Record<string, string>>({
    type: 'object', description, additionalProperties: { type: 'string', maxLength: 4096 }, maxProperties: 64,
  });
}

const dnsLabel = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const dnsSubdomain = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** An object name in the same namespace (DNS subdomain, RFC 1123). */
export const ObjectName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: dnsSubdomain });

/** A container name as Pods allow it (DNS label, RFC 1123). */
export const ContainerName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 63, pattern: dnsLabel });

/** A list of unique container names. */
export const ContainerNames = (description: string) =>
  Type.Unsafe<string[]>({
    type: 'array', description, maxItems: 64, 'x-kubernetes-list-type': 'set',
    items: ContainerName('Name of a container of the pod, as in spec.containers[].name.'),
  });

export const Timestamp = (description: string) =>
  Type.String({ description, format: 'date-time' });

/**
 * A byte count. Serialized as a decimal string because JSON numbers lose
 * precision past 2^53 in most clients (JavaScript among them).
 */
export const ByteCount = (description: string) =>
  Type.String({ description, maxLength: 20, pattern: '^(0|[1-9][0-9]*)$' });

const quantityPattern = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const quantityUnits: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A byte size as a Kubernetes quantity (10Gi, 500M, 1048576). */
export const ByteQuantity = (description: string) =>
  Type.String({ description, maxLength: 32, pattern: quantityPattern.source });

/** Bytes a quantity stands for, rounded down; bigint so that exabytes stay exact. */
export function parseByteQuantity(q: string): bigint {
  const m = quantityPattern.exec(q);
  if (m === null) throw new Error(`not a byte quantity: ${q}`);
  const [, num = '0', , unit = ''] = m;
  const [int = '0', frac = ''] = num.split('.');
  const scale = BigInt(quantityUnits[unit] ?? 1);
  const fracScale = 10n ** BigInt(frac.length);
  return (BigInt(int) * fracScale + BigInt(frac === '' ? '0' : frac)) * scale / fracScale;
}

const LabelSelectorRequirement = Type.Object({
  key: Type.String({ description: 'The label key that the selector applies to.', maxLength: 317 }),
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
    description: "How the key relates to the values: In, NotIn, Exists or DoesNotExist.",
  }),
  values: Type.Optional(Type.Array(Type.String({ description: 'A label value.', maxLength: 63 }), {
    description: 'Values for In and NotIn (non-empty); must be empty for Exists and DoesNotExist.', maxItems: 64,
  })),
}, { description: 'A label selector requirement: a key, an operator and values.' });

export const LabelSelector = (description: string) =>
  Type.Unsafe<Static<typeof LabelSelectorSchema>>({ ...LabelSelectorSchema, description });

const LabelSelectorSchema = withRules(Type.Object({
  matchLabels: Type.Optional(StringMap('Labels that must all match (key equals value).')),
  matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement, {
    description: 'Requirements that must all hold.', maxItems: 32,
  })),
}, { description: 'A label query over a set of objects; an empty selector matches everything.' }), [{
  rule: "!has(self.matchExpressions) || self.matchExpressions.all(e, (e.operator in ['In', 'NotIn']) == (has(e.values) && size(e.values) > 0))",
  message: 'In and NotIn need values; Exists and DoesNotExist take none',
  check: (s) => (s.matchExpressions ?? []).every((e) =>
    ['In', 'NotIn'].includes(e.operator) === (e.values !== undefined && e.values.length > 0)),
}]);
export type LabelSelector = Static<typeof LabelSelectorSchema>;

export const Condition = Type.Object({
  type: Type.String({ description: 'Type of the condition, in CamelCase (Ready, Succeeded, Failed, ...).', maxLength: 316 }),
  status: StringEnum(['True', 'False', 'Unknown'], { description: 'Status of the condition: True, False or Unknown.' }),
  observedGeneration: Type.Optional(Type.Integer({
    description: 'The .metadata.generation that the condition was set based upon.', minimum: 0, format: 'int64',
  })),
  lastTransitionTime: Timestamp('When the condition last changed from one status to another.'),
  reason: Type.String({ description: "A programmatic identifier, in CamelCase, for the condition's last transition.", maxLength: 1024, minLength: 1 }),
  message: Type.String({ description: 'A human-readable explanation of the transition.', maxLength: 32768 }),
}, { description: 'One aspect of the current state of the object (metav1.Condition).' });
export type Condition = Static<typeof Condition>;

export const Conditions = (description: string) =>
  Type.Unsafe<Condition[]>({
    type: 'array', description, items: Condition, maxItems: 16,
    'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'],
  });
