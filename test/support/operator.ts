// The operator's real entry points (src/cli/controller.ts, src/cli/agent.ts)
// as processes, running as their own ServiceAccounts from deploy/ RBAC: the
// controller on the host, the agent inside the node (its mount namespace and
// root, the host PID namespace: what the DaemonSet gives it in a cluster).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoDir } from '../env/paths.ts';
import { waitFor } from '../env/run.ts';
import type { TestCluster } from './cluster.ts';
import type { TestNode } from './node.ts';

export class OperatorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  private out = '';

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    const keep = (d: Buffer): void => {
      this.out += d.toString('utf8');
      if (this.out.length > 4_000_000) this.out = this.out.slice(-2_000_000);
      if (process.env.CKPT_TEST_VERBOSE !== undefined) process.stderr.write(`[${name}] ${d.toString('utf8')}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Everything the process logged so far (JSON lines). */
  logs(): string {
    return this.out;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits until a log line matches. */
  async waitForLog(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${this.name} to log ${String(pattern)}`, () => {
      if (this.exited) return Promise.reject(new Error(`${this.name} exited:\n${this.out.slice(-3000)}`));
      return Promise.resolve(pattern.test(this.out) ? true : undefined);
    }, timeoutMs, 100);
  }

  /** SIGTERM, then waits for a graceful exit (SIGKILL after graceMs). */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    const done = new Promise<number | null>((resolve) => this.child.once('exit', (code) => { resolve(code); }));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await done;
    clearTimeout(t);
    return code;
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => { resolve(); }));
    this.child.kill('SIGKILL');
    await done;
  }
}

const node24 = join(repoDir, 'node_modules', '.bin', 'node');

export interface ControllerOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** The controller's main module (default src/cli/controller.ts; the bench also runs the compiled one). */
  entrypoint?: string;
}

export async function startController(cluster: TestCluster, o: ControllerOptions = {}): Promise<OperatorProcess> {
  const kubeconfig = await cluster.serviceAccountKubeconfig('ckpt-system', 'ckpt-controller');
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', node24, o.entrypoint ?? join(repoDir, 'src', 'cli', 'controller.ts'),
    `--kubeconfig=${kubeconfig}`, '--health-port=0', '--health-host=127.0.0.1', '--agent-wait=10s', ...(o.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env },
  });
  const p = new OperatorProcess('controller', child);
  await p.waitForLog(/"msg":"starting"/);
  return p;
}

export interface AgentOptions {
  nodeName: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** The agent's archive root as the node sees it; the host sees it at node.info.share/archives. */
export const agentArchiveRoot = '/ckpt/archives';

export async function startAgent(cluster: TestCluster, node: TestNode, o: AgentOptions): Promise<OperatorProcess> {
  const dir = join(node.info.share, 'kubeconfigs');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = await cluster.serviceAccountKubeconfig('ckpt-system', 'ckpt-agent', dir);
  const inNode = `/ckpt/kubeconfigs/${file.split('/').pop() ?? ''}`;
  const criuEnv = Object.entries(node.info.criuEnv).map(([k, v]) => `${k}=${v}`).join(',');
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', ...node.enterArgv(), node24, join(repoDir, 'src', 'cli', 'agent.ts'),
    `--kubeconfig=${inNode}`, `--node-name=${o.nodeName}`, `--archive-root=${agentArchiveRoot}`, '--health-port=0', '--health-host=127.0.0.1',
    `--criu-env=${criuEnv}`, ...(o.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '8', ...o.env },
  });
  const p = new OperatorProcess(`agent ${o.nodeName}`, child);
  await p.waitForLog(/"msg":"starting"/);
  return p;
}
