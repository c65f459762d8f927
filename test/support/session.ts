// Client side of test/env/session.ts: starts an environment session as a child
// whose lifetime is tied to this process through its stdin.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { repoDir } from '../env/paths.ts';

interface Reply { id: number; ok: boolean; result?: unknown; error?: string }

export class Session<Info> {
  readonly info: Info;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private nextId = 1;

  private constructor(info: Info, child: ChildProcessWithoutNullStreams, lines: Interface) {
    this.info = info;
    this.child = child;
    this.lines = lines;
    lines.on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static async start<Info>(kind: 'controlplane' | 'node', env: NodeJS.ProcessEnv = process.env): Promise<Session<Info>> {
    const child = spawn(process.execPath, [join(repoDir, 'test', 'env', 'session.ts'), kind], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (process.env.CKPT_TEST_VERBOSE !== undefined) process.stderr.write(d);
    });
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null): void => {
        reject(new Error(`the ${kind} session exited (${String(code)}) before it was ready:\n${stderr.trim()}`));
      };
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(line);
      });
    });
    const ready = JSON.parse(first) as { ready: boolean; info: Info };
    return new Session<Info>(ready.info, child, lines);
  }

  async request(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
    if (!reply.ok) throw new Error(`${op}: ${reply.error ?? 'failed'}`);
    return reply.result;
  }

  /** Ends the session; it tears its environment down before it exits. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => { resolve(); }));
    this.child.stdin.end();
    await exited;
    this.lines.close();
  }
}
