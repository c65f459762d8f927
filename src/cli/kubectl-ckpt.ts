// kubectl-ckpt: the kubectl plugin (`kubectl ckpt ...`).
import { create, createUsage } from './plugin/create.ts';
import { describeFailure } from './plugin/errors.ts';
import { inspectUsage } from './plugin/inspect.ts';
import { list, listUsage } from './plugin/list.ts';

const usage = `Usage: kubectl ckpt COMMAND

Commands:
  create POD    checkpoint a pod's containers (runc checkpoint options)
  list          list checkpoints with state, node, size and age
  inspect FILE  show what a checkpoint archive holds (process tree, memory, files, sockets)

Run kubectl ckpt COMMAND --help for a command's flags.

${createUsage}
${listUsage}
${inspectUsage}`;

type Command = (argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  create: () => Promise.resolve(create),
  list: () => Promise.resolve(list),
  inspect: async () => (await import('./plugin/inspect.ts')).inspect,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  // Usage errors exit 2, as a flag error does.
  if (name === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`error: unknown command "${name}" for "kubectl ckpt"\n\n${usage}`);
    return 2;
  }
  try {
    return await (await load())(rest, process.stdout, process.stderr);
  } catch (err) {
    const f = describeFailure(err);
    process.stderr.write(`${f.message}\n`);
    return f.exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
