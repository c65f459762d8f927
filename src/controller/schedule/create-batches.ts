// Creating a run's checkpoints: at most `batchSize` requests in flight, batch
// after batch, so that a run over thousands of pods neither floods the API
// server nor holds the reconcile for one request per pod in a row. Names are
// deterministic, so AlreadyExists means an earlier attempt (maybe before a
// crash) created it: done.
import { resources } from '../../api/names.ts';
import { ApiError, isAlreadyExists, isTransient } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { Checkpoint } from './schedule-object.ts';

export interface Refusal {
  checkpoint: Checkpoint;
  message: string;
}

export interface CreateOutcome {
  /** As the server returned them. */
  created: Checkpoint[];
  /** Already there. */
  existing: Checkpoint[];
  /** Refused for good (invalid, forbidden, namespace gone or terminating); retrying the run would not help. */
  refused: Refusal[];
}

export async function createInBatches(
  client: Pick<KubeClient, 'create'>, list: readonly Checkpoint[], batchSize: number, signal?: AbortSignal,
): Promise<CreateOutcome> {
  const out: CreateOutcome = { created: [], existing: [], refused: [] };
  const size = Math.max(1, Math.floor(batchSize));
  for (let i = 0; i < list.length; i += size) {
    const batch = list.slice(i, i + size);
    const results = await Promise.allSettled(batch.map((c) => client.create<Checkpoint>(resources.containerCheckpoints, c, signal !== undefined ? { signal } : {})));
    let retryable: unknown;
    results.forEach((r, j) => {
      const c = batch[j];
      if (c === undefined) return;
      if (r.status === 'fulfilled') out.created.push(r.value);
      else if (isAlreadyExists(r.reason)) out.existing.push(c);
      else if (isPermanent(r.reason)) out.refused.push({ checkpoint: c, message: r.reason instanceof Error ? r.reason.message : String(r.reason) });
      else retryable ??= r.reason;
    });
    // The rest of the run waits for the retry, which creates everything
    // again and reads what this attempt made as AlreadyExists.
    if (retryable !== undefined) throw retryable instanceof Error ? retryable : new Error('creating a checkpoint failed', { cause: retryable });
  }
  return out;
}

// An answer that is neither transient nor a conflict: the request itself is
// wrong for this server, and the same request will be refused again.
function isPermanent(err: unknown): boolean {
  return err instanceof ApiError && !isTransient(err) && err.code !== 409;
}
