// Runs one piece of the test environment as its own supervising process:
//
//   node test/env/session.ts controlplane|node
//
// It prints one JSON line with the environment's details once it is ready,
// then serves JSON-line requests on stdin ({"id":1,"op":"restartApiServer"}).
// When stdin closes (its owner finished or died, however it died) or on
// SIGINT/SIGTERM, it tears everything down and exits. That is what makes an
// interrupted or crashed test run leave no processes, mounts or directories.
import { createInterface } from 'node:readline';
import { ControlPlane } from './controlplane.ts';
import { NodeStack, defaultCriuEnv } from './node-stack.ts';

interface Env {
  info: unknown;
  ops: Record<string, (args: Record<string, unknown>) => Promise<unknown>>;
  stop: () => Promise<void>;
}

async function startControlPlane(): Promise<Env> {
  const cp = await ControlPlane.start();
  return {
    info: cp.info,
    ops: { restartApiServer: async (a) => { await cp.restartApiServer(Number(a.downMs ?? 0)); return {}; } },
    stop: () => cp.stop(),
  };
}

async function startNode(): Promise<Env> {
  const criuEnv = process.env.CKPT_CRIU_ENV !== undefined
    ? JSON.parse(process.env.CKPT_CRIU_ENV) as Record<string, string>
    : defaultCriuEnv;
  const node = await NodeStack.start({ criuEnv });
  return { info: node.info, ops: {}, stop: () => node.stop() };
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  const starters: Record<string, () => Promise<Env>> = { controlplane: startControlPlane, node: startNode };
  const starter = kind === undefined ? undefined : starters[kind];
  if (starter === undefined) {
    process.stderr.write('usage: session.ts controlplane|node\n');
    process.exit(2);
  }
  let stopping: Promise<void> | undefined;
  const started: { env?: Env } = {};
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (started.env !== undefined) await started.env.stop();
      process.exit(0);
    })();
    return stopping;
  };
  // Signals during start-up are honoured once the environment exists.
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGHUP', () => void stop());
  const env = await starter();
  started.env = env;
  process.stdout.write(`${JSON.stringify({ ready: true, info: env.info })}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    void (async () => {
      let id: unknown = null;
      try {
        const req = JSON.parse(line) as { id: unknown; op: string; args?: Record<string, unknown> };
        id = req.id;
        const op = env.ops[req.op];
        if (op === undefined) throw new Error(`unknown op ${req.op}`);
        const result = await op(req.args ?? {});
        process.stdout.write(`${JSON.stringify({ id, ok: true, result })}\n`);
      } catch (err) {
        process.stdout.write(`${JSON.stringify({ id, ok: false, error: (err as Error).message })}\n`);
      }
    })();
  });
  rl.on('close', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
