// kubectl ckpt list: checkpoints with state, node, size and age.
import { parseArgs } from 'node:util';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { conditionTypes } from '../../api/conditions.ts';
import { resources } from '../../api/names.ts';
import { connect } from './context.ts';
import { age, humanBytes, parseOutput, render, table } from './format.ts';
import { conditionOf as condition } from '../../api/checkpoint-state.ts';
import { stateOf } from './state.ts';

export const listUsage = `Usage: kubectl ckpt list [-n NS | -A] [-o json|yaml]

List ContainerCheckpoints with their state, node, failure reason, archive size and age.

Flags:
  -n, --namespace NS     namespace (default: the context's)
  -A, --all-namespaces   every namespace
  -o, --output FORMAT    json or yaml (a List of the objects)
      --kubeconfig FILE  kubeconfig to use
      --context NAME     kubeconfig context to use
`;

export async function list(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) { out.write(listUsage); return 0; }
  const output = parseOutput(values.output, ['table', 'json', 'yaml']);
  const ctx = connect({ kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace }, out, err);
  try {
    const all = values['all-namespaces'] === true;
    const items = (await ctx.client.list<ContainerCheckpoint>(resources.containerCheckpoints, { namespace: all ? undefined : ctx.namespace })).items;
    items.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    if (output !== 'table') {
      out.write(render({ apiVersion: 'v1', kind: 'List', items }, output));
      return 0;
    }
    if (items.length === 0) {
      err.write(all ? 'No checkpoints found.\n' : `No checkpoints found in ${ctx.namespace} namespace.\n`);
      return 0;
    }
    const now = ctx.now();
    const rows = items.map((c) => [
      ...(all ? [c.metadata.namespace ?? ''] : []),
      c.metadata.name ?? '', c.spec.podName, c.status?.nodeName ?? '', stateOf(c),
      condition(c, conditionTypes.failed)?.status === 'True' ? condition(c, conditionTypes.failed)?.reason ?? '' : '',
      humanBytes(c.status?.totalSizeBytes), age(c.metadata.creationTimestamp, now),
    ]);
    out.write(table([...(all ? ['NAMESPACE'] : []), 'NAME', 'POD', 'NODE', 'STATE', 'REASON', 'SIZE', 'AGE'], rows));
    return 0;
  } finally {
    ctx.client.close();
  }
}
