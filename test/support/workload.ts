// Reads the workload program's tick counter (see hack/workload/workload.c)
// from inside a container, to tell whether it runs and from which state.
import type { NodeHandle } from '../env/node-handle.ts';
import { waitFor } from '../env/run.ts';

export async function ticks(node: NodeHandle, pid: number): Promise<number> {
  // The container's root as its init process sees it.
  const out = await node.execOk(['cat', `/proc/${pid}/root/tmp/ticks`]);
  return Number(out.trim());
}

/** Resolves once the counter moved past `after`, proving the process runs. */
export function ticksAfter(node: NodeHandle, pid: number, after: number, timeoutMs = 10_000): Promise<number> {
  return waitFor(`workload ${pid} to tick past ${after}`, async () => {
    const t = await ticks(node, pid);
    return t > after ? t : undefined;
  }, timeoutMs, 100);
}
