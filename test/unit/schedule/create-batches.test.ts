import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInBatches } from '../../../src/controller/schedule/create-batches.ts';
import type { Checkpoint } from '../../../src/controller/schedule/schedule-object.ts';
import { apiErrorFrom } from '../../../src/runtime/kube/api-error.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';

function ckpt(i: number): Checkpoint {
  return { apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name: `c${String(i)}`, namespace: 'shop' }, spec: { podName: `p${String(i)}` } };
}

const status = (code: number, reason: string) => JSON.stringify({ kind: 'Status', code, reason, message: reason });

/** A client that answers each create after a tick, recording how many were in flight at once. */
function fakeClient(fail: (name: string) => Error | undefined = () => undefined) {
  let inFlight = 0;
  const seen = { maxInFlight: 0, names: [] as string[] };
  return {
    seen,
    create: async <T extends KubeObject>(_r: unknown, obj: T): Promise<T> => {
      inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
      seen.names.push(obj.metadata?.name ?? '');
      await new Promise((r) => setImmediate(r));
      inFlight--;
      const err = fail(obj.metadata?.name ?? '');
      if (err !== undefined) throw err;
      return { ...obj, metadata: { ...obj.metadata, uid: `uid-${obj.metadata?.name ?? ''}` } };
    },
  };
}

describe('createInBatches', () => {
  it('creates every checkpoint with at most batchSize requests in flight', async () => {
    const client = fakeClient();
    const list = Array.from({ length: 200 }, (_, i) => ckpt(i));
    const out = await createInBatches(client, list, 30);
    assert.equal(out.created.length, 200);
    assert.equal(client.seen.maxInFlight, 30);
    assert.deepEqual(client.seen.names, list.map((c) => c.metadata.name));
    assert.ok(out.created.every((c) => c.metadata.uid?.startsWith('uid-')));
  });

  it('reads AlreadyExists as done, and keeps refusals that a retry would not change', async () => {
    const client = fakeClient((name) => {
      if (name === 'c1') return apiErrorFrom('POST', '/x', 409, status(409, 'AlreadyExists'));
      if (name === 'c2') return apiErrorFrom('POST', '/x', 422, status(422, 'Invalid'));
      if (name === 'c3') return apiErrorFrom('POST', '/x', 403, status(403, 'Forbidden'));
      return undefined;
    });
    const out = await createInBatches(client, [0, 1, 2, 3, 4].map(ckpt), 2);
    assert.deepEqual(out.created.map((c) => c.metadata.name), ['c0', 'c4']);
    assert.deepEqual(out.existing.map((c) => c.metadata.name), ['c1']);
    assert.deepEqual(out.refused.map((r) => r.checkpoint.metadata.name), ['c2', 'c3']);
    assert.match(out.refused[0]?.message ?? '', /422 Invalid/);
  });

  it('stops after the batch that hit a retryable error and throws it, for the run to be retried', async () => {
    const client = fakeClient((name) => (name === 'c3' ? apiErrorFrom('POST', '/x', 503, status(503, 'ServiceUnavailable')) : undefined));
    await assert.rejects(createInBatches(client, Array.from({ length: 10 }, (_, i) => ckpt(i)), 4), /503 ServiceUnavailable/);
    // The whole first batch went out; nothing after it.
    assert.deepEqual(client.seen.names, ['c0', 'c1', 'c2', 'c3']);
  });
});
