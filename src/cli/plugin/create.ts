// kubectl ckpt create POD: a ContainerCheckpoint from runc-style flags,
// checked locally with the API's own validation before it is sent, and
// optionally followed until it finishes.
import { parseArgs } from 'node:util';
import { specErrors } from '../../api/checks.ts';
import { compressions, type Compression } from '../../api/checkpoint-options.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { resources } from '../../api/names.ts';
import { formatErrors } from '../../api/validate.ts';
import { connect } from './context.ts';
import { parseOutput, render } from './format.ts';
import { FlagError, optionsFromFlags } from './runc-flags.ts';
import { follow } from './wait.ts';

export const createUsage = `Usage: kubectl ckpt create POD [flags]

Checkpoint the running containers of POD with CRIU (runc checkpoint's options).

Flags:
  -c, --container NAME        container to checkpoint (repeatable; default: every running one)
      --name NAME             name of the ContainerCheckpoint (default: POD- plus a random suffix)
  -n, --namespace NS          namespace of the pod
      --leave-running[=BOOL]  leave the container running (default true)
      --tcp-established       checkpoint established TCP connections
      --ext-unix-sk           allow external UNIX sockets
      --shell-job             allow shell jobs
      --file-locks            checkpoint file locks
      --manage-cgroups-mode M soft, full, strict or ignore
      --empty-ns network      create an empty network namespace on restore
      --page-server ADDR:PORT send pages to a CRIU page server
      --image-path PATH       images directory, relative to the agent's archive root
      --work-path PATH        work directory, relative to the agent's archive root
      --pre-dump              pre-dump memory only (needs soft-dirty tracking in the kernel)
      --parent-checkpoint N   ContainerCheckpoint whose pre-dump this dump builds on
      --compression C         none, gzip or zstd (default zstd)
      --timeout SECONDS       timeout of the whole checkpoint (default 120)
      --ttl SECONDS           delete the checkpoint this long after it finished
      --wait                  follow progress until it finishes: exit 0 if it
                              succeeded, 1 if it failed
  -o, --output FORMAT         json, yaml or name (with --wait: the finished object)
      --kubeconfig FILE       kubeconfig to use
      --context NAME          kubeconfig context to use
`;

/** Whole seconds, as a number or with an s suffix (90, 90s). */
function seconds(flag: string, value: string): number {
  const m = /^(\d+)s?$/.exec(value);
  if (m?.[1] === undefined) throw new FlagError(`--${flag} takes whole seconds (90 or 90s), not ${value}`);
  return Number(m[1]);
}

/** Accepts --leave-running without a value, as runc does. */
function normalizeBooleanString(argv: string[]): string[] {
  return argv.map((a) => (a === '--leave-running' ? '--leave-running=true' : a));
}

export async function create(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: normalizeBooleanString(argv),
    allowPositionals: true,
    options: {
      container: { type: 'string', short: 'c', multiple: true },
      name: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'leave-running': { type: 'string' },
      'tcp-established': { type: 'boolean' },
      'ext-unix-sk': { type: 'boolean' },
      'shell-job': { type: 'boolean' },
      'file-locks': { type: 'boolean' },
      'manage-cgroups-mode': { type: 'string' },
      'empty-ns': { type: 'string', multiple: true },
      'page-server': { type: 'string' },
      'image-path': { type: 'string' },
      'work-path': { type: 'string' },
      'pre-dump': { type: 'boolean' },
      'parent-checkpoint': { type: 'string' },
      compression: { type: 'string' },
      timeout: { type: 'string' },
      ttl: { type: 'string' },
      wait: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) { out.write(createUsage); return 0; }
  const [pod, ...extra] = positionals;
  if (pod === undefined || extra.length > 0) throw new FlagError('create takes exactly one POD');
  const output = parseOutput(values.output, ['table', 'json', 'yaml', 'name']);
  const ckpt: ContainerCheckpoint = {
    apiVersion: 'ckpt.dev/v1alpha1',
    kind: 'ContainerCheckpoint',
    metadata: values.name !== undefined ? { name: values.name } : { generateName: `${pod}-` },
    spec: { podName: pod, options: optionsFromFlags(values) },
  };
  if (values.container !== undefined) ckpt.spec.containerNames = values.container;
  if (values.compression !== undefined) {
    const c = compressions.find((x) => x.toLowerCase() === values.compression?.toLowerCase());
    if (c === undefined) throw new FlagError(`--compression must be none, gzip or zstd, not ${values.compression}`);
    ckpt.spec.archive = { compression: c satisfies Compression };
  }
  if (values.timeout !== undefined) ckpt.spec.timeoutSeconds = seconds('timeout', values.timeout);
  if (values.ttl !== undefined) ckpt.spec.ttlSecondsAfterFinished = seconds('ttl', values.ttl);
  const errors = specErrors(ckpt);
  if (errors.length > 0) throw new FlagError(`invalid checkpoint: ${formatErrors(errors)}`);

  const ctx = connect({ kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace }, out, err);
  try {
    ckpt.metadata.namespace = ctx.namespace;
    const created = await ctx.client.create<ContainerCheckpoint>(resources.containerCheckpoints, ckpt);
    const name = created.metadata.name ?? '';
    const wait = values.wait === true;
    // JSON and YAML are for programs: one document, the finished object when waiting.
    if (output === 'json' || output === 'yaml') {
      if (!wait) { out.write(render(created, output)); return 0; }
      const done = await follow(ctx, name, false);
      out.write(render(done.checkpoint, output));
      return done.exitCode;
    }
    out.write(output === 'name' ? `containercheckpoint.ckpt.dev/${name}\n` : `containercheckpoint.ckpt.dev/${name} created\n`);
    if (!wait) return 0;
    return (await follow(ctx, name, output === 'table')).exitCode;
  } finally {
    ctx.client.close();
  }
}
