// A fake runc root, /proc and cgroup tree in a temporary directory, for
// resolving containers without a real runtime.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const fixtures = join(import.meta.dirname, 'fixtures');

export interface FakeRuntime {
  dir: string;
  /** runc root holding <id>/state.json */
  root: string;
  /** stands in for /proc */
  proc: string;
  /** stands in for "/" of the runtime's view (cgroups live under it) */
  fsRoot: string;
  cleanup(): Promise<void>;
}

export async function fakeRuntime(): Promise<FakeRuntime> {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-runc-test-'));
  const rt = { dir, root: join(dir, 'runc'), proc: join(dir, 'proc'), fsRoot: join(dir, 'fs') };
  await Promise.all([mkdir(rt.root), mkdir(rt.proc), mkdir(rt.fsRoot)]);
  return { ...rt, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** /proc/<pid>/stat with the given state letter and start time (field 22). */
export function statLine(pid: number, comm: string, state: string, start: bigint | number): string {
  const fields = [state, '1', String(pid), String(pid), '0', '-1', '4194560', '0', '0', '0', '0', '0', '0', '0', '0', '20', '0', '1', '0', String(start), '4358144', '2'];
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

export interface FakeContainerOptions {
  id: string;
  pid: number;
  /** Start time recorded in state.json. */
  recordedStart: bigint | number;
  /** Process in the fake /proc; undefined: no such process. */
  process?: { state: string; start: bigint | number };
  freezer?: 'THAWED' | 'FROZEN' | 'FREEZING';
  execFifo?: boolean;
  fixture?: string;
}

/** Writes a container whose state.json is a real containerd one with the given pid, start and cgroup under fsRoot. */
export async function fakeContainer(rt: FakeRuntime, o: FakeContainerOptions): Promise<void> {
  const state = JSON.parse(await readFile(join(fixtures, o.fixture ?? 'containerd-state.json'), 'utf8')) as Record<string, unknown>;
  state.id = o.id;
  state.init_process_pid = o.pid;
  const freezerDir = `/sys/fs/cgroup/freezer/k8s.io/${o.id}`;
  state.cgroup_paths = { freezer: freezerDir, '': `/sys/fs/cgroup/unified/k8s.io/${o.id}` };
  // Keep the start time exact even past 2^53: splice the digits in as text.
  const text = JSON.stringify({ ...state, init_process_start: 0 }).replace('"init_process_start":0', `"init_process_start":${o.recordedStart.toString()}`);
  const stateDir = join(rt.root, o.id);
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'state.json'), text);
  if (o.execFifo === true) await writeFile(join(stateDir, 'exec.fifo'), '');
  if (o.process !== undefined) {
    await mkdir(join(rt.proc, String(o.pid)), { recursive: true });
    await writeFile(join(rt.proc, String(o.pid), 'stat'), statLine(o.pid, 'workload', o.process.state, o.process.start));
  }
  if (o.freezer !== undefined) {
    const fdir = join(rt.fsRoot, freezerDir);
    await mkdir(fdir, { recursive: true });
    await writeFile(join(fdir, 'freezer.state'), `${o.freezer}\n`);
    await writeFile(join(fdir, 'freezer.self_freezing'), o.freezer === 'THAWED' ? '0\n' : '1\n');
  }
}
