// The CustomResourceDefinitions, built from the TypeBox schemas that also
// give the TypeScript types: the one source of truth for both. crds/ holds
// them as YAML, written by hack/gen-crds.ts; a test fails when it drifts.
import type { TSchema } from 'typebox';
import { ContainerCheckpointSpec, ContainerCheckpointStatus } from './container-checkpoint.ts';
import { CheckpointScheduleSpec, CheckpointScheduleStatus, ClusterCheckpointScheduleSpec } from './checkpoint-schedule.ts';
import { category, group, kinds, version } from './names.ts';

// Keywords a CRD structural schema accepts; anything else a schema library
// may add stays out of the manifest.
const schemaKeys = new Set([
  'type', 'description', 'properties', 'required', 'items', 'additionalProperties', 'default', 'enum',
  'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems', 'maxProperties',
  'nullable', 'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-map-type',
]);

export type JsonSchema = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The CRD form of a schema: only structural-schema keywords, plain JSON. */
export function toStructural(schema: unknown): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (!schemaKeys.has(key)) continue;
    if (key === 'properties') {
      const props: JsonSchema = {};
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) props[name] = toStructural(sub);
      out[key] = props;
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toStructural(value);
    } else {
      out[key] = JSON.parse(JSON.stringify(value)) as JsonValue;
    }
  }
  return out;
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description: string;
  priority?: number;
}

interface KindNames { kind: string; plural: string; singular: string; shortNames: readonly string[] }

function crd(names: KindNames, scope: 'Namespaced' | 'Cluster', description: string, spec: TSchema, status: TSchema,
  columns: PrinterColumn[]): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'ckpt-operator' } },
    spec: {
      group,
      names: {
        kind: names.kind, listKind: `${names.kind}List`, plural: names.plural, singular: names.singular,
        shortNames: [...names.shortNames], categories: [category],
      },
      scope,
      versions: [{
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: columns as unknown as JsonValue[],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description,
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string', description: 'Versioned schema of this representation of an object: ckpt.dev/v1alpha1.' },
              kind: { type: 'string', description: `Kind of this object: ${names.kind}.` },
              metadata: { type: 'object' },
              spec: toStructural(spec),
              status: toStructural(status),
            },
          },
        },
      }],
    },
  };
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };

export function customResourceDefinitions(): JsonSchema[] {
  const scheduleColumns: PrinterColumn[] = [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'Cron schedule.' },
    { name: 'TimeZone', type: 'string', jsonPath: '.spec.timeZone', description: 'Time zone of the schedule.' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend', description: 'Whether new runs are suspended.' },
    { name: 'Last', type: 'date', jsonPath: '.status.lastScheduleTime', description: 'Time since the last run started.' },
    { name: 'Next', type: 'string', jsonPath: '.status.nextScheduleTime', description: 'When the next run is due.' },
    age,
    { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="ScheduleValid")].status', description: 'Whether the schedule can be evaluated.', priority: 1 },
  ];
  return [
    crd(kinds.containerCheckpoint, 'Namespaced',
      'ContainerCheckpoint checkpoints the running containers of a pod with CRIU, through the ckpt-operator agent on the pod\'s node, into archives on that node.',
      ContainerCheckpointSpec, ContainerCheckpointStatus, [
        { name: 'Pod', type: 'string', jsonPath: '.spec.podName', description: 'Pod to checkpoint.' },
        { name: 'Node', type: 'string', jsonPath: '.status.nodeName', description: 'Node of the pod.' },
        { name: 'State', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Progress: Pending, CheckpointInProgress, CheckpointCompleted or CheckpointFailed.' },
        { name: 'Size', type: 'string', jsonPath: '.status.totalSizeBytes', description: 'Total archive size in bytes.' },
        age,
        { name: 'Duration-ms', type: 'integer', jsonPath: '.status.durationMillis', description: 'Wall time of the checkpoint in milliseconds.', priority: 1 },
        { name: 'Frozen-us', type: 'integer', jsonPath: '.status.frozenTimeMicros', description: 'Longest time a container was frozen, in microseconds.', priority: 1 },
        { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Failed")].reason', description: 'Why the checkpoint failed.', priority: 1 },
      ]),
    crd(kinds.checkpointSchedule, 'Namespaced',
      'CheckpointSchedule checkpoints the selected pods of its namespace on a cron schedule and keeps a bounded history of checkpoints.',
      CheckpointScheduleSpec, CheckpointScheduleStatus, scheduleColumns),
    crd(kinds.clusterCheckpointSchedule, 'Cluster',
      'ClusterCheckpointSchedule checkpoints the selected pods of the selected namespaces on a cron schedule and keeps a bounded history of checkpoints.',
      ClusterCheckpointScheduleSpec, CheckpointScheduleStatus, scheduleColumns),
  ];
}
