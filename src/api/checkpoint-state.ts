// Reading a ContainerCheckpoint's progress from its conditions, the same way
// in the controller, the agent and the kubectl plugin.
import { conditionTypes } from './conditions.ts';
import type { ContainerCheckpoint } from './container-checkpoint.ts';
import type { Condition } from './fields.ts';

export function conditionOf(c: ContainerCheckpoint, type: string): Condition | undefined {
  return c.status?.conditions?.find((x) => x.type === type);
}

/** 'succeeded' or 'failed' once the checkpoint is over, undefined before. */
export function outcomeOf(c: ContainerCheckpoint): 'succeeded' | 'failed' | undefined {
  if (conditionOf(c, conditionTypes.succeeded)?.status === 'True') return 'succeeded';
  if (conditionOf(c, conditionTypes.failed)?.status === 'True') return 'failed';
  return undefined;
}

export function isFinished(c: ContainerCheckpoint): boolean {
  return outcomeOf(c) !== undefined;
}
