// What the agent tests look at from outside the agent: the CRIU requests it
// logged, the state of a container after a checkpoint (running, its freezer
// thawed, its counter moving), the files under the archive root, and helper
// processes in a pod's network namespace.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DumpRequest } from '../../src/criu/dump-request.ts';
import { resolveContainer } from '../../src/runc/container.ts';
import { Freezer } from '../../src/runc/freezer.ts';
import { readProcStat } from '../../src/runc/proc-stat.ts';
import { readRuncState } from '../../src/runc/state.ts';
import { startDaemon, stopChild, waitFor } from '../env/run.ts';
import { runcRoot, type TestNode } from './node.ts';
import type { OperatorProcess } from './operator.ts';
import { ticks, ticksAfter } from './workload.ts';

/** The CRIU requests the agent logged for one checkpoint, in order. */
export function loggedCriuRequests(agent: OperatorProcess, namespace: string, name: string): DumpRequest[] {
  const out: DumpRequest[] = [];
  for (const line of agent.logs().split('\n')) {
    if (!line.includes('"CRIU request"')) continue;
    const entry = JSON.parse(line) as { checkpoint?: string; criuRequest?: DumpRequest };
    if (entry.checkpoint === `${namespace}/${name}` && entry.criuRequest !== undefined) out.push(entry.criuRequest);
  }
  return out;
}

/** The one CRIU request the agent logged for a single-container checkpoint. */
export function loggedCriuRequest(agent: OperatorProcess, namespace: string, name: string): DumpRequest {
  const all = loggedCriuRequests(agent, namespace, name);
  assert.equal(all.length, 1, `want one CRIU request logged for ${namespace}/${name}, found ${all.length}`);
  const [r] = all;
  assert.ok(r !== undefined);
  return r;
}

/** The node's root as the host sees it: runc's state and cgroup paths resolve through it. */
export function nodeFsRoot(node: TestNode): string {
  return `/proc/${node.info.pid}/root`;
}

/** The v1 freezer (or v2 cgroup) of a container, read from the host. */
export async function containerFreezer(node: TestNode, id: string): Promise<Freezer> {
  const fsRoot = nodeFsRoot(node);
  const file = await readRuncState(join(fsRoot, runcRoot), id);
  const freezer = Freezer.fromCgroupPaths(file.state.cgroupPaths, fsRoot);
  assert.ok(freezer !== undefined, `container ${id} has no freezer cgroup`);
  return freezer;
}

/**
 * The container runs, as runc decides it; its freezer is THAWED (neither
 * frozen by a dump left half-done nor paused); and its counter moves.
 */
export async function assertRunningAndThawed(node: TestNode, id: string, what = ''): Promise<void> {
  const fsRoot = nodeFsRoot(node);
  const freezer = await containerFreezer(node, id);
  assert.equal(await freezer.state(), 'THAWED', `${what} container ${id}: freezer ${freezer.dir}`);
  const c = await resolveContainer(join(fsRoot, runcRoot), id, { fsRoot });
  assert.equal(c.status, 'running', `${what} container ${id}`);
  await ticksAfter(node, c.pid, await ticks(node, c.pid), 20_000);
}

/** Every path below dir (host view), relative to it, sorted; [] when dir does not exist. */
export async function filesBelow(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Names in a checkpoint archive (path as the node sees it), decompressed by its suffix. */
export async function archiveEntries(node: TestNode, pathInNode: string): Promise<string[]> {
  const list = pathInNode.endsWith('.zst') ? `zstd -q -d -c ${pathInNode} | tar -t`
    : pathInNode.endsWith('.gz') ? `tar -tzf ${pathInNode}` : `tar -tf ${pathInNode}`;
  return (await node.execOk(['sh', '-c', list])).split('\n').filter((l) => l !== '');
}

/** The PID of the pod's sandbox (its network namespace's holder). */
export function sandboxPid(node: TestNode, sandboxID: string): Promise<number> {
  return node.taskPid(sandboxID);
}

/**
 * A Python program in the node, inside the pod's network namespace (outside
 * its containers), for as long as the test needs it. It prints "ready" once
 * set up.
 */
export class PodNetHelper {
  readonly child: ChildProcess;
  private out = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { this.out += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { this.out += d; });
  }

  static async start(node: TestNode, sandbox: number, program: string): Promise<PodNetHelper> {
    const child = startDaemon([...node.enterArgv(), 'nsenter', '-t', String(sandbox), '-n', '--', 'python3', '-u', '-c', program],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const h = new PodNetHelper(child);
    await waitFor('the helper to be ready', () => {
      if (h.exited) return Promise.reject(new Error(`the helper exited: ${h.output}`));
      return Promise.resolve(h.out.includes('ready') ? true : undefined);
    }, 30_000);
    return h;
  }

  get output(): string {
    return this.out;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 2_000);
  }
}

/** PIDs whose parent is ppid and whose command name is comm (host PID namespace). */
export async function childrenNamed(ppid: number, comm: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = await readProcStat(Number(name)).catch(() => undefined);
    if (s !== undefined && s.ppid === ppid && s.comm === comm) out.push(s.pid);
  }
  return out;
}

/**
 * Waits until a dump holds the container: CRIU froze its cgroup or stopped
 * its init with ptrace (CRIU freezes, seizes every task, then thaws the
 * cgroup: during the memory dump the tasks are in a tracing stop). Polls
 * fast, from the host.
 */
export async function waitForDumpHold(freezer: Freezer, pid: number, timeoutMs = 120_000): Promise<'frozen' | 'traced'> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const st = await readProcStat(pid);
    if (st?.state === 't') return 'traced';
    const f = await freezer.state();
    if (f === 'FROZEN' || f === 'FREEZING') return 'frozen';
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`no dump took hold of ${pid} within ${timeoutMs} ms`);
}

/** Resolves once the process is gone. */
export function processGone(pid: number, timeoutMs = 60_000): Promise<true> {
  return waitFor(`process ${pid} to exit`, async () => {
    const st = await readProcStat(pid);
    return st === undefined || st.state === 'Z' || st.state === 'X' ? true : undefined;
  }, timeoutMs, 50);
}
