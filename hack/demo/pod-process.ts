// One running "pod" of the demo: a process group started from a
// ContainerLaunch, with its log kept for the report and for failures, its
// health endpoint polled, and a stop that behaves like a pod's termination
// (SIGTERM to every process, SIGKILL after the grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import type { ContainerLaunch } from './pod-launch.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class PodProcess {
  readonly name: string;
  readonly healthPort: number;
  private readonly child: ChildProcess;
  private log = '';
  private readonly exit: Promise<number | null>;

  constructor(name: string, launch: ContainerLaunch, healthPort: number, echo?: (line: string) => void) {
    this.name = name;
    this.healthPort = healthPort;
    // Its own process group: Ctrl-C reaches the demo only, which then stops
    // the pods in order, and a stop signal reaches every process of the pod.
    this.child = spawn(launch.argv[0] ?? '', launch.argv.slice(1), { env: launch.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (d: Buffer): void => {
      const s = d.toString('utf8');
      this.log += s;
      if (this.log.length > 2_000_000) this.log = this.log.slice(-1_000_000);
      if (echo !== undefined) for (const l of s.split('\n')) if (l !== '') echo(`[${name}] ${l}`);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => { resolve(code); }));
  }

  /** PID of the pod's first process (its process group). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  logs(): string {
    return this.log;
  }

  logTail(lines = 20): string {
    return this.log.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** GETs a path of its health server. */
  async get(path: string): Promise<{ status: number; body: string }> {
    const r = await fetch(`http://127.0.0.1:${this.healthPort}${path}`, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, body: await r.text() };
  }

  /** Resolves once /readyz answers 200; fails if the process exits first. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.name} exited before it was ready:\n${this.logTail()}`);
      const ok = await this.get('/readyz').then((r) => r.status === 200, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs / 1000}s:\n${this.logTail()}`);
      await sleep(250);
    }
  }

  private signal(sig: NodeJS.Signals, evenIfExited = false): void {
    const pid = this.child.pid;
    if (pid === undefined || (this.exited && !evenIfExited)) return;
    try { process.kill(-pid, sig); } catch { /* already gone */ }
  }

  /** SIGTERM to the pod's processes, SIGKILL after graceMs; resolves with the exit code. */
  async stop(graceMs: number): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    this.signal('SIGTERM');
    const t = setTimeout(() => { this.signal('SIGKILL'); }, graceMs);
    const code = await this.exit;
    clearTimeout(t);
    // Whatever is left of the group goes too.
    this.signal('SIGKILL', true);
    return code;
  }
}
