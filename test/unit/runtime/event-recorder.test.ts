import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventRecorder, type KubeEvent } from '../../../src/runtime/events/event-recorder.ts';
import { FakeClock } from '../../../src/runtime/fake-clock.ts';
import { ApiError } from '../../../src/runtime/kube/api-error.ts';
import type { KubeClient } from '../../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';

class FakeEvents implements Pick<KubeClient, 'create' | 'patch'> {
  readonly events = new Map<string, KubeEvent>();
  creates = 0;
  patches: unknown[] = [];

  create<T extends KubeObject>(_r: unknown, obj: T): Promise<T> {
    this.creates++;
    const e = structuredClone(obj) as unknown as KubeEvent;
    this.events.set(`${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`, e);
    return Promise.resolve(obj);
  }

  patch<T extends KubeObject>(_r: unknown, name: string, namespace: string | undefined, patch: unknown): Promise<T> {
    this.patches.push(patch);
    const key = `${namespace ?? ''}/${name}`;
    const e = this.events.get(key);
    if (e === undefined) return Promise.reject(new ApiError('PATCH', key, 404, { kind: 'Status', reason: 'NotFound', code: 404 }));
    Object.assign(e, patch);
    return Promise.resolve(e as unknown as T);
  }
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'shop', uid: 'u1', resourceVersion: '5' } };

describe('EventRecorder', () => {
  it('writes an events.k8s.io/v1 Event with reporter, regarding and related', async () => {
    const api = new FakeEvents();
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0, 123));
    const r = new EventRecorder({ client: api, reportingController: 'ckpt.dev/controller', reportingInstance: 'ctl-1', clock });
    r.event(pod, { type: 'Warning', reason: 'CheckpointFailed', action: 'Checkpoint', note: 'runc refused', related: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } } });
    await r.flush();
    const [e] = [...api.events.values()];
    assert.ok(e !== undefined);
    assert.equal(e.metadata?.namespace, 'shop');
    assert.match(e.metadata.name ?? '', /^web-0\.[0-9a-f]+$/);
    assert.equal(e.eventTime, '2026-01-01T00:00:00.123000Z');
    assert.deepEqual(e.regarding, { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'u1', resourceVersion: '5' });
    assert.deepEqual(e.related, { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n' });
    assert.equal(e.reportingController, 'ckpt.dev/controller');
    assert.equal(e.reportingInstance, 'ctl-1');
    assert.equal(e.type, 'Warning');
    assert.equal(e.series, undefined);
    await r.close();
  });

  it('folds repeats into one series instead of flooding', async () => {
    const api = new FakeEvents();
    const clock = new FakeClock();
    const r = new EventRecorder({ client: api, reportingController: 'ckpt.dev/controller', reportingInstance: 'ctl-1', clock, flushIntervalMs: 30_000 });
    r.event(pod, { type: 'Normal', reason: 'Waiting', action: 'Checkpoint', note: 'agent busy' });
    await r.flush();
    clock.advance(1000);
    r.event(pod, { type: 'Normal', reason: 'Waiting', action: 'Checkpoint', note: 'agent busy' });
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    assert.equal(api.patches.length, 1, 'the second occurrence starts the series at once');
    for (let i = 0; i < 50; i++) {
      clock.advance(100);
      r.event(pod, { type: 'Normal', reason: 'Waiting', action: 'Checkpoint', note: 'agent busy' });
    }
    assert.equal(api.patches.length, 1, 'later ones wait for the flush');
    clock.advance(30_000);
    await r.flush();
    assert.equal(api.creates, 1);
    assert.equal(api.patches.length, 2);
    const [e] = [...api.events.values()];
    assert.equal(e?.series?.count, 52);
    // A different note is a different event.
    r.event(pod, { type: 'Normal', reason: 'Waiting', action: 'Checkpoint', note: 'something else' });
    await r.flush();
    assert.equal(api.creates, 2);
    await r.close();
  });

  it('starts a new event when the series is older than the window or the event expired', async () => {
    const api = new FakeEvents();
    const clock = new FakeClock();
    const r = new EventRecorder({ client: api, reportingController: 'ckpt.dev/controller', reportingInstance: 'ctl-1', clock, seriesWindowMs: 60_000 });
    r.event(pod, { type: 'Normal', reason: 'Done', action: 'Checkpoint' });
    await r.flush();
    clock.advance(61_000);
    r.event(pod, { type: 'Normal', reason: 'Done', action: 'Checkpoint' });
    await r.flush();
    assert.equal(api.creates, 2);
    api.events.clear();
    r.event(pod, { type: 'Normal', reason: 'Done', action: 'Checkpoint' });
    await r.flush();
    assert.equal(api.creates, 3, 'the expired event is created anew');
    await r.close();
  });

  it('drops events beyond the pending-write bound instead of piling up', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((res) => { release = res; });
    let creates = 0;
    const slow: Pick<KubeClient, 'create' | 'patch'> = {
      create: async <T extends KubeObject>(_r: unknown, obj: T) => { creates++; await gate; return obj; },
      patch: () => Promise.reject(new Error('unused')),
    };
    const r = new EventRecorder({ client: slow, reportingController: 'ckpt.dev/controller', reportingInstance: 'x', maxPendingWrites: 3 });
    for (let i = 0; i < 10; i++) r.event({ ...pod, metadata: { ...pod.metadata, name: `p${i}` } }, { type: 'Normal', reason: 'R', action: 'A' });
    release();
    await r.close();
    assert.equal(creates, 3);
  });
});
