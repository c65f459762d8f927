// The pause an application sees during a dump, measured from outside: a
// thread samples, every quarter millisecond, the container init's state
// (CRIU holds seized tasks in a tracing stop, 't') and its cgroup freezer
// (FREEZING or FROZEN while CRIU freezes it). The pause is the time from the
// first sample that saw the task held to the last one. A thread of its own,
// so that sampling never waits on the event loop the code under test uses.
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface PauseSample {
  /** First held sample to last held sample, ms (0 when never seen held). */
  pauseMs: number;
  /** First to last sample that saw the freezer not THAWED, ms. */
  freezerMs: number;
  samples: number;
}

interface SamplerData {
  pid: number;
  freezerState: string;
  stop: SharedArrayBuffer;
}

/** Field 3 of /proc/<pid>/stat (R, S, D, t, T, Z, ...), or 'gone'. */
function taskState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3);
  } catch {
    return 'gone';
  }
}

function freezerState(file: string): string {
  try {
    return readFileSync(file, 'latin1').trim();
  } catch {
    return 'gone';
  }
}

function sample(d: SamplerData): PauseSample {
  const stop = new Int32Array(d.stop);
  let first = -1;
  let last = -1;
  let frozenFirst = -1;
  let frozenLast = -1;
  let samples = 0;
  while (Atomics.load(stop, 0) === 0) {
    const t = performance.now();
    const state = taskState(d.pid);
    const freezer = freezerState(d.freezerState);
    const frozen = freezer === 'FREEZING' || freezer === 'FROZEN';
    if (frozen) {
      if (frozenFirst < 0) frozenFirst = t;
      frozenLast = t;
    }
    if (frozen || state === 't' || state === 'T') {
      if (first < 0) first = t;
      last = t;
    }
    samples++;
    Atomics.wait(stop, 0, 0, 0.25);
  }
  return { pauseMs: first < 0 ? 0 : last - first, freezerMs: frozenFirst < 0 ? 0 : frozenLast - frozenFirst, samples };
}

if (!isMainThread) parentPort?.postMessage(sample(workerData as SamplerData));

export interface PauseSampler {
  stop(): Promise<PauseSample>;
}

/** Starts sampling a container's init and freezer; stop() ends it and returns the pause seen. */
export async function startPauseSampler(pid: number, freezerState: string): Promise<PauseSampler> {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(new URL(import.meta.url), { workerData: { pid, freezerState, stop } satisfies SamplerData });
  const result = new Promise<PauseSample>((resolve, reject) => {
    worker.once('message', (m: PauseSample) => { resolve(m); });
    worker.once('error', reject);
  });
  await new Promise<void>((resolve) => worker.once('online', () => { resolve(); }));
  // Let the thread take its first samples before the dump starts.
  await new Promise((r) => setTimeout(r, 5));
  return {
    async stop() {
      Atomics.store(new Int32Array(stop), 0, 1);
      Atomics.notify(new Int32Array(stop), 0);
      const r = await result;
      await worker.terminate();
      return r;
    },
  };
}
