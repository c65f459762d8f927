// Operations on a running node stack, usable from any process that knows the
// node's details (the session that owns it, or a test talking to that session).
import { run, runOk, waitFor, type RunOptions, type RunResult } from './run.ts';

export const workloadImageName = 'ckpt.dev/workload:latest';
/** Where containerd's runc keeps the state of Kubernetes containers. */
export const runcRoot = '/run/containerd/runc/k8s.io';
/** The node's view of the shared directory (the host sees it at info.share). */
export const shareInNode = '/ckpt';

export interface NodeInfo {
  run: string;
  /** containerd's PID; its mount namespace is the node's. */
  pid: number;
  mntNs: string;
  /** Host path of the directory the node sees at /ckpt. */
  share: string;
  criuEnv: Record<string, string>;
}

export interface ContainerSpec {
  id: string;
  args: string[];
  /** OCI annotations, such as the io.kubernetes.cri.* ones CRI sets. */
  annotations?: Record<string, string>;
  /** Join these existing namespaces (type -> path), as a pod's containers join its sandbox. */
  joinNamespaces?: Record<string, string>;
  memoryLimitBytes?: number;
}

export class NodeHandle {
  readonly info: NodeInfo;

  constructor(info: NodeInfo) {
    this.info = info;
  }

  private env(opts: RunOptions): NodeJS.ProcessEnv {
    return { ...process.env, ...this.info.criuEnv, ...opts.env };
  }

  /** argv prefix that runs a command in the node's mount namespace and root. */
  enterArgv(): string[] {
    return ['nsenter', '-t', String(this.info.pid), '-m', '--'];
  }

  exec(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run([...this.enterArgv(), ...argv], { ...opts, env: this.env(opts) });
  }

  execOk(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
    return runOk([...this.enterArgv(), ...argv], { ...opts, env: this.env(opts) });
  }

  /** Starts a detached container from the workload image with pipe stdio (containerd's default). */
  async runContainer(spec: ContainerSpec): Promise<number> {
    const argv = ['ctr', '-n', 'k8s.io', 'run', '-d'];
    for (const [k, v] of Object.entries(spec.annotations ?? {})) argv.push('--annotation', `${k}=${v}`);
    for (const [t, p] of Object.entries(spec.joinNamespaces ?? {})) argv.push('--with-ns', `${t}:${p}`);
    if (spec.memoryLimitBytes !== undefined) argv.push('--memory-limit', String(spec.memoryLimitBytes));
    argv.push(workloadImageName, spec.id, ...spec.args);
    await this.execOk(argv);
    return this.taskPid(spec.id);
  }

  async taskPid(id: string): Promise<number> {
    const out = await this.execOk(['ctr', '-n', 'k8s.io', 'task', 'ls']);
    for (const line of out.split('\n').slice(1)) {
      const [name, pid, status] = line.trim().split(/\s+/);
      if (name === id) {
        if (status !== 'RUNNING') throw new Error(`container ${id} is ${String(status)}`);
        return Number(pid);
      }
    }
    throw new Error(`container ${id} has no task`);
  }

  /** The task's status as containerd reports it (RUNNING, STOPPED, PAUSED, ...), or undefined. */
  async taskStatus(id: string): Promise<string | undefined> {
    const out = await this.execOk(['ctr', '-n', 'k8s.io', 'task', 'ls']);
    for (const line of out.split('\n').slice(1)) {
      const [name, , status] = line.trim().split(/\s+/);
      if (name === id) return status;
    }
    return undefined;
  }

  async removeContainer(id: string): Promise<void> {
    await this.exec(['ctr', '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', id]);
    await waitFor(`task ${id} to stop`, async () => {
      const s = await this.taskStatus(id);
      return s === undefined || s === 'STOPPED' ? true : undefined;
    }, 10_000);
    await this.exec(['ctr', '-n', 'k8s.io', 'task', 'delete', id]);
    await this.execOk(['ctr', '-n', 'k8s.io', 'container', 'delete', id]);
  }

}
