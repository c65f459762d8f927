// A checkpoint's state in one word, and its summary, for people.
import { conditionTypes } from '../../api/conditions.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';

export function condition(c: ContainerCheckpoint, type: string): { status: string; reason: string; message: string } | undefined {
  return c.status?.conditions?.find((x) => x.type === type);
}

/** The Ready reason (Pending, CheckpointInProgress, CheckpointCompleted, CheckpointFailed), as `kubectl get ckpt` shows it. */
export function stateOf(c: ContainerCheckpoint): string {
  return condition(c, conditionTypes.ready)?.reason ?? '';
}

export function outcome(c: ContainerCheckpoint): 'succeeded' | 'failed' | undefined {
  if (condition(c, conditionTypes.succeeded)?.status === 'True') return 'succeeded';
  if (condition(c, conditionTypes.failed)?.status === 'True') return 'failed';
  return undefined;
}
