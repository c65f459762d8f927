// The checkpoint reconciler's own judgement calls, on plain caches and a
// recording client: a verdict that rests on the agent's Lease is checked
// against the Lease as the server has it, and the archive finalizer is let go
// only where no agent has anything to delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { ContainerCheckpoint } from '../../../src/api/container-checkpoint.ts';
import type { AgentLease } from '../../../src/controller/checkpoint/agent-lease.ts';
import { CheckpointReconciler } from '../../../src/controller/checkpoint/reconciler.ts';
import { checkpointIndexers } from '../../../src/controller/checkpoint/related.ts';
import type { ReconcileContext } from '../../../src/runtime/controller/reconciler.ts';
import type { EventRecorder, EventSpec } from '../../../src/runtime/events/event-recorder.ts';
import { ObjectCache } from '../../../src/runtime/informer/object-cache.ts';
import { ApiError } from '../../../src/runtime/kube/api-error.ts';
import type { KubeClient } from '../../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';
import { silentLogger } from '../../../src/runtime/logging/logger.ts';

type Ckpt = ContainerCheckpoint & KubeObject;
const t0 = new Date('2026-11-26T12:00:00Z');
const at = (s: number): string => new Date(t0.getTime() + s * 1000).toISOString();

interface Call { method: string; path: string; body?: unknown }

/** Records writes; answers GETs of leases from a map (404 when absent). */
function fakeClient(liveLeases: Record<string, AgentLease>): { client: KubeClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    get: (_r: unknown, name: string) => {
      calls.push({ method: 'GET', path: name });
      const l = liveLeases[name];
      return l === undefined ? Promise.reject(new ApiError('GET', name, 404, undefined, 'not found')) : Promise.resolve({ metadata: { name }, ...l });
    },
    updateStatus: (_r: unknown, obj: KubeObject) => { calls.push({ method: 'PUT status', path: obj.metadata?.name ?? '', body: obj }); return Promise.resolve(obj); },
    update: (_r: unknown, obj: KubeObject) => { calls.push({ method: 'PUT', path: obj.metadata?.name ?? '', body: obj }); return Promise.resolve(obj); },
    patch: (_r: unknown, name: string, _ns: unknown, body: unknown) => { calls.push({ method: 'PATCH', path: name, body }); return Promise.resolve({ metadata: { name } }); },
    delete: (_r: unknown, name: string) => { calls.push({ method: 'DELETE', path: name }); return Promise.resolve({}); },
  };
  return { client: client as unknown as KubeClient, calls };
}

const lease = (holder: string, renewedAt: number): AgentLease => ({ spec: { holderIdentity: holder, renewTime: at(renewedAt), leaseDurationSeconds: 15 } });

function setup(c: Ckpt, o: { cachedLease?: AgentLease; liveLease?: AgentLease; nodes?: string[]; now: number }) {
  const checkpoints = new ObjectCache<Ckpt>(checkpointIndexers);
  checkpoints.set('shop/c', c);
  const leases = new ObjectCache<AgentLease & KubeObject>();
  if (o.cachedLease !== undefined) leases.set('ckpt-system/ckpt-agent-n1', { metadata: { name: 'ckpt-agent-n1', namespace: 'ckpt-system' }, ...o.cachedLease });
  const nodes = new ObjectCache<KubeObject>();
  for (const n of o.nodes ?? ['n1']) nodes.set(n, { metadata: { name: n } });
  const namespaces = new ObjectCache<KubeObject>();
  namespaces.set('shop', { metadata: { name: 'shop', labels: { 'ckpt.dev/checkpoints': 'enabled' } } });
  const { client, calls } = fakeClient(o.liveLease !== undefined ? { 'ckpt-agent-n1': o.liveLease } : {});
  const events: EventSpec[] = [];
  const recorder = { event: (_o: unknown, e: EventSpec) => { events.push(e); } } as unknown as EventRecorder;
  const r = new CheckpointReconciler({
    client, checkpoints, pods: new ObjectCache<V1Pod & KubeObject>(), leases, nodes, namespaces, agentNamespace: 'ckpt-system',
    events: recorder, optIn: { required: true, label: 'ckpt.dev/checkpoints', value: 'enabled' },
    config: { agentWaitSeconds: 30, deadlineGraceSeconds: 15 }, now: () => new Date(t0.getTime() + o.now * 1000),
  });
  const ctx: ReconcileContext = { controller: 'c', reconcileId: 'r', namespace: 'shop', name: 'c', logger: silentLogger(), signal: new AbortController().signal, retries: 0 };
  return { run: () => r.reconcile(ctx, 'shop/c'), calls, events };
}

function claimed(extra: Partial<Ckpt['metadata']> = {}): Ckpt {
  return {
    apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint',
    metadata: { name: 'c', namespace: 'shop', resourceVersion: '7', generation: 1, creationTimestamp: at(0), finalizers: ['ckpt.dev/archive'], ...extra },
    spec: { podName: 'web', timeoutSeconds: 600 },
    status: {
      nodeName: 'n1', agent: { identity: 'agent-a', claimTime: at(1) }, startTime: at(1),
      conditions: [{ type: 'Ready', status: 'False', reason: 'CheckpointInProgress', message: '', lastTransitionTime: at(1) }],
    },
  };
}

describe('CheckpointReconciler', () => {
  it('does not fail AgentLost on a stale Lease cache when the server has the Lease renewed', async () => {
    const t = setup(claimed(), { cachedLease: lease('agent-a', 0), liveLease: lease('agent-a', 55), now: 60 });
    const r = await t.run();
    assert.deepEqual(t.calls.map((c) => c.method), ['GET']);
    assert.ok(r?.requeueAfterMs !== undefined && r.requeueAfterMs > 0);
  });
  it('fails AgentLost when the server agrees the Lease ran out', async () => {
    const t = setup(claimed(), { cachedLease: lease('agent-a', 0), liveLease: lease('agent-a', 0), now: 60 });
    await t.run();
    assert.deepEqual(t.calls.map((c) => c.method), ['GET', 'PUT status']);
    const written = t.calls[1]?.body as Ckpt;
    assert.equal(written.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'AgentLost');
    assert.equal(written.metadata.resourceVersion, '7');
    assert.deepEqual(t.events.map((e) => e.reason), ['AgentLost']);
  });
  it('fails AgentLost when the Lease is gone from the server', async () => {
    const t = setup(claimed(), { now: 60 });
    await t.run();
    assert.deepEqual(t.calls.map((c) => c.method), ['GET', 'PUT status']);
  });
  it('keeps the finalizer of a claimed checkpoint being deleted for its agent', async () => {
    const t = setup(claimed({ deletionTimestamp: at(70) }), { cachedLease: lease('agent-a', 69), now: 71 });
    await t.run();
    assert.deepEqual(t.calls, []);
  });
  it('releases the finalizer of a claimed checkpoint whose node is gone', async () => {
    const t = setup(claimed({ deletionTimestamp: at(70) }), { nodes: [], now: 71 });
    await t.run();
    assert.deepEqual(t.calls.map((c) => [c.method, c.body]), [['PATCH', { metadata: { resourceVersion: '7', finalizers: [] } }]]);
  });
  it('releases the finalizer of a checkpoint no agent claimed, guarded by the resourceVersion it read', async () => {
    const c = claimed({ deletionTimestamp: at(70) });
    delete c.status?.agent;
    const t = setup(c, { cachedLease: lease('agent-a', 69), now: 71 });
    await t.run();
    assert.deepEqual(t.calls.map((x) => [x.method, x.body]), [['PATCH', { metadata: { resourceVersion: '7', finalizers: [] } }]]);
  });
});
