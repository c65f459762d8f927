import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileLabelSelector, type CompiledLabelSelector } from '../../../src/controller/schedule/label-selector.ts';
import { podRecordOf, selectPods, type CachedPod } from '../../../src/controller/schedule/select-pods.ts';
import { SeenMemo } from '../../../src/controller/schedule/seen-memo.ts';
import { ObjectCache } from '../../../src/runtime/informer/object-cache.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';

function selector(s: Parameters<typeof compileLabelSelector>[0]): CompiledLabelSelector {
  const c = compileLabelSelector(s);
  if (!c.ok) throw new Error(c.message);
  return c.selector;
}

function pod(namespace: string, name: string, labels: Record<string, string>, running = true): CachedPod {
  return {
    metadata: { namespace, name, uid: `uid-${name}`, labels },
    spec: { containers: [{ name: 'app' }, { name: 'sidecar' }] },
    status: {
      phase: running ? 'Running' : 'Pending',
      containerStatuses: running ? [
        { name: 'app', ready: true, restartCount: 0, image: 'x', imageID: 'x', state: { running: {} } },
        { name: 'sidecar', ready: false, restartCount: 3, image: 'x', imageID: 'x', state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ] : [],
    },
  };
}

describe('selectPods', () => {
  const pods = new ObjectCache<CachedPod>();
  const namespaces = new ObjectCache<KubeObject>();
  for (const [ns, tier] of [['a', 'gold'], ['b', 'gold'], ['c', 'bronze']] as const) {
    namespaces.set(ns, { metadata: { name: ns, labels: { tier } } });
    pods.set(`${ns}/db`, pod(ns, 'db', { app: 'db' }));
    pods.set(`${ns}/web`, pod(ns, 'web', { app: 'web' }));
  }

  it('a namespaced schedule: the matching pods of its namespace only', () => {
    const out = selectPods({ pods, namespaces, podSelector: selector({ matchLabels: { app: 'db' } }), namespace: 'a' });
    assert.deepEqual(out.map((p) => `${p.namespace}/${p.name}`), ['a/db']);
  });

  it('a cluster schedule: matching pods of the namespaces the namespaceSelector matches', () => {
    const out = selectPods({ pods, namespaces, podSelector: selector({ matchLabels: { app: 'db' } }), namespaceSelector: selector({ matchLabels: { tier: 'gold' } }) });
    assert.deepEqual(out.map((p) => `${p.namespace}/${p.name}`).sort(), ['a/db', 'b/db']);
    const everything = selectPods({ pods, namespaces, podSelector: selector({}), namespaceSelector: selector({}) });
    assert.equal(everything.length, 6);
  });

  it('reads which containers run from the pod status', () => {
    assert.deepEqual(podRecordOf(pod('a', 'db', {})).containers, [
      { name: 'app', running: true, ready: true }, { name: 'sidecar', running: false, ready: false },
    ]);
    const pending = podRecordOf(pod('a', 'db', {}, false));
    assert.equal(pending.phase, 'Pending');
    assert.ok(pending.containers.every((c) => !c.running));
    assert.equal(pending.terminating, false);
  });
});

describe('SeenMemo', () => {
  it('says first once per token and schedule, until forgotten', () => {
    const m = new SeenMemo();
    assert.equal(m.first('s', 'x'), true);
    assert.equal(m.first('s', 'x'), false);
    assert.equal(m.first('t', 'x'), true);
    m.forget('s');
    assert.equal(m.first('s', 'x'), true);
  });

  it('keeps a bounded number of tokens per schedule', () => {
    const m = new SeenMemo();
    for (let i = 0; i < 100; i++) m.first('s', String(i));
    assert.equal(m.first('s', '99'), false);
    assert.equal(m.first('s', '0'), true);
  });
});
