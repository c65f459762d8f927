// /proc/<pid>/stat: the process state and its start time (field 22, in clock
// ticks since boot), which runc records as init_process_start to tell its
// init from a later process that got the same PID.
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T, t, Z, X, ... */
  state: string;
  ppid: number;
  /** Field 22, clock ticks after boot. */
  startTime: bigint;
}

/** Parses one /proc/<pid>/stat line; comm may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`malformed /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields from 3 (state) on.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0];
  const ppid = rest[1];
  const start = rest[22 - 3];
  if (state === undefined || ppid === undefined || start === undefined || !/^\d+$/.test(start)) {
    throw new Error(`malformed /proc stat line: ${text.slice(0, 80)}`);
  }
  return { pid, comm, state, ppid: Number(ppid), startTime: BigInt(start) };
}

/** Reads /proc/<pid>/stat (procRoot lets tests and other mount views point elsewhere); undefined if the process is gone. */
export async function readProcStat(pid: number, procRoot = '/proc'): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
}
