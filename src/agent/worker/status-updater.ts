// Status changes made from a long-running job: each one reads the object
// fresh, applies a change to it, and writes it with that resourceVersion,
// retrying on conflict (the controller may write meanwhile). The change
// function sees the current object and may refuse (return undefined), e.g.
// when the controller has already failed the checkpoint: the job then stops.
//
// A result is the one thing a dump cannot redo, so a write that meets an API
// server that is restarting, overloaded or unreachable is retried with
// backoff for a while (retryForMs) rather than dropped: otherwise a
// checkpoint that succeeded on disk would end DeadlineExceeded. Right after
// a restart the API server also answers 401 and 403 until its authenticator
// and RBAC caches have synced, so those are retried within the same window.
import type { ContainerCheckpoint, ContainerCheckpointStatus } from '../../api/container-checkpoint.ts';
import { resources } from '../../api/names.ts';
import { Backoff } from '../../runtime/backoff.ts';
import { sleep, systemClock, type Clock } from '../../runtime/clock.ts';
import { isApiError, isConflict, isNotFound, isTransient } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';

export type Ckpt = ContainerCheckpoint & KubeObject;

export class CheckpointGoneError extends Error {
  override readonly name = 'CheckpointGoneError';
}

export class StatusRefusedError extends Error {
  override readonly name = 'StatusRefusedError';
}

export interface MutateOptions {
  signal?: AbortSignal;
  /** Conflicts in a row before giving up (default 10). */
  conflictAttempts?: number;
  /** How long transient failures are retried (default 120 s). */
  retryForMs?: number;
  clock?: Clock;
}

export type StatusClient = Pick<KubeClient, 'get' | 'updateStatus'>;

export async function mutateStatus(client: StatusClient, namespace: string, name: string,
  change: (c: Ckpt) => ContainerCheckpointStatus | undefined, o: MutateOptions = {}): Promise<Ckpt> {
  const clock = o.clock ?? systemClock;
  const giveUpAt = clock.now() + (o.retryForMs ?? 120_000);
  const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
  let conflicts = 0;
  for (;;) {
    try {
      return await attempt(client, namespace, name, change, o.signal);
    } catch (err) {
      if (isConflict(err)) {
        if (++conflicts >= (o.conflictAttempts ?? 10)) throw err;
        continue;
      }
      const delay = backoff.next();
      if (!mayPassLater(err) || o.signal?.aborted === true || clock.now() + delay > giveUpAt) throw err;
      await sleep(clock, delay, o.signal);
    }
  }
}

function mayPassLater(err: unknown): boolean {
  return isTransient(err) || (isApiError(err) && (err.code === 401 || err.code === 403));
}

async function attempt(client: StatusClient, namespace: string, name: string,
  change: (c: Ckpt) => ContainerCheckpointStatus | undefined, signal: AbortSignal | undefined): Promise<Ckpt> {
  let current: Ckpt;
  try {
    current = await client.get<Ckpt>(resources.containerCheckpoints, name, namespace, signal);
  } catch (err) {
    if (isNotFound(err)) throw new CheckpointGoneError(`${namespace}/${name} was deleted`, { cause: err });
    throw err;
  }
  const status = change(current);
  if (status === undefined) throw new StatusRefusedError(`${namespace}/${name} is no longer ours to update`);
  return client.updateStatus<Ckpt>(resources.containerCheckpoints, { ...current, status }, signal === undefined ? {} : { signal });
}
