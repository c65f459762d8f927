// A container's status the way runc decides it (libcontainer refreshState):
// paused if its freezer cgroup is frozen, stopped if init is gone, a zombie,
// or not the process runc started, created while exec.fifo exists, else
// running.
import { Freezer } from './freezer.ts';
import { readProcStat } from './proc-stat.ts';
import type { RuncStateFile } from './state.ts';

export type RuncStatus = 'created' | 'running' | 'paused' | 'stopped';

/** Why a container counts as stopped. */
export type StoppedBecause = 'no-process' | 'zombie' | 'pid-reused';

export interface StatusReport {
  status: RuncStatus;
  stoppedBecause?: StoppedBecause;
}

export interface StatusOptions {
  /** Where runc's paths (cgroups) are visible from this process; "/" by default. */
  fsRoot?: string;
  /** The /proc of the pid namespace runc's PIDs belong to. */
  procRoot?: string;
}

export async function runcStatus(file: RuncStateFile, opts: StatusOptions = {}): Promise<StatusReport> {
  const { state } = file;
  const freezer = Freezer.fromCgroupPaths(state.cgroupPaths, opts.fsRoot ?? '/');
  if (freezer !== undefined && await freezer.isPaused()) return { status: 'paused' };
  if (state.initProcessPid <= 0) return { status: 'stopped', stoppedBecause: 'no-process' };
  const stat = await readProcStat(state.initProcessPid, opts.procRoot);
  if (stat === undefined) return { status: 'stopped', stoppedBecause: 'no-process' };
  if (stat.startTime !== state.initProcessStart) return { status: 'stopped', stoppedBecause: 'pid-reused' };
  if (stat.state === 'Z' || stat.state === 'X') return { status: 'stopped', stoppedBecause: 'zombie' };
  if (file.execFifoPresent) return { status: 'created' };
  return { status: 'running' };
}
