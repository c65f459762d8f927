// A checkpoint's state in one word, for people.
import { conditionOf } from '../../api/checkpoint-state.ts';
import { conditionTypes } from '../../api/conditions.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';

/** The Ready reason (Pending, CheckpointInProgress, CheckpointCompleted, CheckpointFailed), as `kubectl get ckpt` shows it. */
export function stateOf(c: ContainerCheckpoint): string {
  return conditionOf(c, conditionTypes.ready)?.reason ?? '';
}
