// Status changes made from a long-running job: each one reads the object
// fresh, applies a change to it, and writes it with that resourceVersion,
// retrying on conflict (the controller may write meanwhile). The change
// function sees the current object and may refuse (return undefined), e.g.
// when the controller has already failed the checkpoint: the job then stops.
import type { ContainerCheckpoint, ContainerCheckpointStatus } from '../../api/container-checkpoint.ts';
import { resources } from '../../api/names.ts';
import { isConflict, isNotFound } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';

export type Ckpt = ContainerCheckpoint & KubeObject;

export class CheckpointGoneError extends Error {
  override readonly name = 'CheckpointGoneError';
}

export class StatusRefusedError extends Error {
  override readonly name = 'StatusRefusedError';
}

export async function mutateStatus(client: KubeClient, namespace: string, name: string,
  change: (c: Ckpt) => ContainerCheckpointStatus | undefined, signal?: AbortSignal, attempts = 10): Promise<Ckpt> {
  for (let i = 0; ; i++) {
    let current: Ckpt;
    try {
      current = await client.get<Ckpt>(resources.containerCheckpoints, name, namespace, signal);
    } catch (err) {
      if (isNotFound(err)) throw new CheckpointGoneError(`${namespace}/${name} was deleted`, { cause: err });
      throw err;
    }
    const status = change(current);
    if (status === undefined) throw new StatusRefusedError(`${namespace}/${name} is no longer ours to update`);
    try {
      return await client.updateStatus<Ckpt>(resources.containerCheckpoints, { ...current, status }, signal === undefined ? {} : { signal });
    } catch (err) {
      if (!isConflict(err) || i + 1 >= attempts) throw err;
    }
  }
}
