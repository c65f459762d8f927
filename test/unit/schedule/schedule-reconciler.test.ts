// The reconciler on fakes: what a crash or a lagging cache would make it do
// twice. The real control plane suites cover the rest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { resources, scheduleRunLabel } from '../../../src/api/names.ts';
import { ScheduleMetrics } from '../../../src/controller/metrics/schedule-metrics.ts';
import { runId } from '../../../src/controller/schedule/checkpoint-name.ts';
import type { Checkpoint, Schedule } from '../../../src/controller/schedule/schedule-object.ts';
import { ScheduleReconciler } from '../../../src/controller/schedule/schedule-reconciler.ts';
import type { CachedPod } from '../../../src/controller/schedule/select-pods.ts';
import type { ReconcileContext } from '../../../src/runtime/controller/reconciler.ts';
import { EventRecorder } from '../../../src/runtime/events/event-recorder.ts';
import { FakeClock } from '../../../src/runtime/fake-clock.ts';
import { ObjectCache } from '../../../src/runtime/informer/object-cache.ts';
import { apiErrorFrom } from '../../../src/runtime/kube/api-error.ts';
import type { KubeClient } from '../../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';
import type { ResourceType } from '../../../src/runtime/kube/resource.ts';
import { silentLogger } from '../../../src/runtime/logging/logger.ts';

const created = Date.parse('2027-01-01T00:00:30Z');
const instant = new Date('2027-01-01T00:05:00Z');

const schedule: Schedule = {
  apiVersion: 'ckpt.dev/v1alpha1', kind: 'CheckpointSchedule',
  metadata: { name: 'nightly', namespace: 'shop', uid: 'uid-s', generation: 1, resourceVersion: '10', creationTimestamp: new Date(created).toISOString() },
  spec: { schedule: '*/5 * * * *', podSelector: {} },
};

function pod(name: string): CachedPod {
  return {
    metadata: { name, namespace: 'shop', uid: `uid-${name}` },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x', imageID: 'x', state: { running: {} } }] },
  };
}

const alreadyExists = (): Error => apiErrorFrom('POST', '/x', 409, JSON.stringify({ kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'exists' }));
const unavailable = (): Error => apiErrorFrom('POST', '/x', 503, JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'busy' }));

/** The API server as far as the reconciler writes to it. */
function fakeServer(failOnce: Set<string>) {
  const objects = new Map<string, Checkpoint>();
  const calls = { creates: [] as string[], statusWrites: [] as Schedule[] };
  const client = {
    create: <T extends KubeObject>(r: ResourceType, obj: T): Promise<T> => {
      if (r.plural !== resources.containerCheckpoints.plural) return Promise.resolve(obj);
      const name = obj.metadata?.name ?? '';
      calls.creates.push(name);
      if (failOnce.delete(name)) return Promise.reject(unavailable());
      if (objects.has(name)) return Promise.reject(alreadyExists());
      const stored = { ...(obj as unknown as Checkpoint), metadata: { ...(obj as unknown as Checkpoint).metadata, uid: `uid-${name}`, resourceVersion: '1' } };
      objects.set(name, stored);
      return Promise.resolve(stored as unknown as T);
    },
    updateStatus: <T extends KubeObject>(_r: ResourceType, obj: T): Promise<T> => {
      calls.statusWrites.push(structuredClone(obj as unknown as Schedule));
      return Promise.resolve(obj);
    },
    patch: <T extends KubeObject>(): Promise<T> => Promise.resolve({} as T),
    delete: () => Promise.resolve({}),
  };
  return { objects, calls, client: client as unknown as KubeClient };
}

function setUp(failOnce: Set<string>) {
  const server = fakeServer(failOnce);
  const schedules = new ObjectCache<Schedule>();
  schedules.set('shop/nightly', schedule);
  const checkpoints = new ObjectCache<Checkpoint>();
  const pods = new ObjectCache<CachedPod>();
  for (let i = 0; i < 5; i++) pods.set(`shop/web-${String(i)}`, pod(`web-${String(i)}`));
  const clock = new FakeClock(instant.getTime());
  const reconciler = new ScheduleReconciler({
    kind: 'CheckpointSchedule', client: server.client, schedules, checkpoints, pods, namespaces: new ObjectCache<KubeObject>(),
    events: new EventRecorder({ client: server.client, reportingController: 'ckpt.dev/controller', reportingInstance: 'test', clock }),
    metrics: new ScheduleMetrics(new Registry()), clock, config: { defaultTimeZone: 'UTC', maxCreatesPerRun: 2 },
  });
  const ctx: ReconcileContext = {
    controller: 'checkpointschedule', reconcileId: 'r', namespace: 'shop', name: 'nightly', logger: silentLogger(), signal: new AbortController().signal, retries: 0,
  };
  return { server, checkpoints, reconciler, ctx };
}

describe('ScheduleReconciler', () => {
  it('completes a run cut short, creating nothing twice, and records it only once it is complete', async () => {
    // What the run creates, from an undisturbed reconcile.
    const probe = setUp(new Set());
    await probe.reconciler.reconcile(probe.ctx, 'shop/nightly');
    const all = [...probe.server.objects.keys()].sort();
    assert.equal(all.length, 5);

    // Batches of 2: the second batch meets a 503 on its second checkpoint.
    const { server, checkpoints, reconciler, ctx } = setUp(new Set([all[3] ?? '']));
    await assert.rejects(reconciler.reconcile(ctx, 'shop/nightly'), /503/);
    assert.deepEqual([...server.objects.keys()].sort(), all.slice(0, 3));
    assert.equal(server.calls.statusWrites.length, 0, 'the run is not recorded before it is complete');

    // The retry sees one of them in its cache, meets the others as AlreadyExists, and creates the rest.
    const [cached] = [...server.objects.values()];
    assert.ok(cached !== undefined);
    checkpoints.set(`shop/${cached.metadata.name ?? ''}`, cached);
    const result = await reconciler.reconcile(ctx, 'shop/nightly');
    assert.deepEqual([...server.objects.keys()].sort(), all);
    assert.equal(server.calls.creates.filter((n) => n === cached.metadata.name).length, 1);
    const [status] = server.calls.statusWrites;
    assert.equal(status?.status?.lastScheduleTime, '2027-01-01T00:05:00Z');
    assert.equal(status.status.nextScheduleTime, '2027-01-01T00:10:00Z');
    assert.equal(status.status.active?.length, 5);
    assert.deepEqual(result, { requeueAfterMs: 5 * 60_000 });
  });

  it('does not start a run again when the cache still shows the status from before it', async () => {
    const { server, reconciler, ctx } = setUp(new Set());
    await reconciler.reconcile(ctx, 'shop/nightly');
    assert.equal(server.calls.creates.length, 5);
    // Neither the status write nor the checkpoints have reached the caches.
    await reconciler.reconcile(ctx, 'shop/nightly');
    assert.equal(server.calls.creates.length, 5);
    const last = server.calls.statusWrites.at(-1);
    assert.equal(last?.status?.lastScheduleTime, '2027-01-01T00:05:00Z');
    assert.ok([...server.objects.values()].every((c) => c.metadata.labels?.[scheduleRunLabel] === runId(instant)));
  });
});
