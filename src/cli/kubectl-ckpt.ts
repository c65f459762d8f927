// kubectl-ckpt: the kubectl plugin (`kubectl ckpt ...`).
import { create, createUsage } from './plugin/create.ts';
import { inspectUsage } from './plugin/inspect.ts';
import { list, listUsage } from './plugin/list.ts';
import { FlagError } from './plugin/runc-flags.ts';

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
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 1 : 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`kubectl ckpt: unknown command ${name}\n\n${usage}`);
    return 1;
  }
  try {
    return await (await load())(rest, process.stdout, process.stderr);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${msg}\n`);
    return err instanceof FlagError || (err instanceof TypeError && 'code' in err) ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
