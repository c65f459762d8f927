import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { resolveTargets } from '../../../src/controller/checkpoint/resolve-targets.ts';

const running: V1ContainerState = { running: { startedAt: new Date() } };

function pod(over: { nodeName?: string; phase?: string; containers?: Array<{ name: string; state?: V1ContainerState; id?: string }> } = {}): V1Pod {
  const containers = over.containers ?? [{ name: 'app', state: running, id: 'containerd://abc' }];
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
    spec: { nodeName: 'nodeName' in over ? over.nodeName : 'n1', containers: containers.map((c) => ({ name: c.name })) },
    status: {
      phase: over.phase ?? 'Running',
      containerStatuses: containers.filter((c) => c.state !== undefined).map((c) => ({
        name: c.name, state: c.state, containerID: c.id, image: 'i', imageID: 'i', ready: true, restartCount: 0,
      })),
    },
  };
}

const reason = (r: ReturnType<typeof resolveTargets>): string => (r.ok ? 'ok' : r.reason);

describe('resolveTargets', () => {
  it('takes every running container by default', () => {
    const r = resolveTargets({ podName: 'web' }, 'shop', pod({ containers: [
      { name: 'app', state: running, id: 'containerd://a' },
      { name: 'side', state: running, id: 'containerd://b' },
      { name: 'done', state: { terminated: { exitCode: 0 } }, id: 'containerd://c' },
    ] }));
    assert.ok(r.ok);
    assert.deepEqual(r.targets, [{ name: 'app', containerID: 'containerd://a' }, { name: 'side', containerID: 'containerd://b' }]);
    assert.equal(r.nodeName, 'n1');
    assert.equal(r.podUID, 'u1');
  });
  it('accepts cri-o', () => {
    assert.equal(reason(resolveTargets({ podName: 'web' }, 'shop', pod({ containers: [{ name: 'app', state: running, id: 'cri-o://x' }] }))), 'ok');
  });
  it('refuses a missing pod', () => { assert.equal(reason(resolveTargets({ podName: 'web' }, 'shop', undefined)), 'PodNotFound'); });
  it('refuses an unscheduled pod', () => { assert.equal(reason(resolveTargets({ podName: 'web' }, 'shop', pod({ nodeName: undefined }))), 'PodNotScheduled'); });
  it('refuses a pod that is not running', () => {
    assert.equal(reason(resolveTargets({ podName: 'web' }, 'shop', pod({ phase: 'Pending' }))), 'PodNotRunning');
    assert.equal(reason(resolveTargets({ podName: 'web' }, 'shop', pod({ phase: 'Succeeded' }))), 'PodNotRunning');
  });
  it('refuses an unknown container', () => {
    const r = resolveTargets({ podName: 'web', containerNames: ['nope'] }, 'shop', pod());
    assert.equal(reason(r), 'UnknownContainer');
  });
  for (const [what, state] of [
    ['waiting', { waiting: { reason: 'ContainerCreating' } }],
    ['terminated', { terminated: { exitCode: 1, reason: 'Error' } }],
    ['without status', undefined],
  ] as const) {
    it(`refuses a container ${what}`, () => {
      const r = resolveTargets({ podName: 'web', containerNames: ['app'] }, 'shop', pod({ containers: [{ name: 'app', state, id: 'containerd://a' }] }));
      assert.equal(reason(r), 'ContainerNotRunning');
    });
  }
  it('refuses a pod with no running container', () => {
    assert.equal(reason(resolveTargets({ podName: 'web' }, 'shop', pod({ containers: [{ name: 'app', state: { waiting: {} } }] }))), 'ContainerNotRunning');
  });
  it('refuses an unsupported runtime', () => {
    const r = resolveTargets({ podName: 'web' }, 'shop', pod({ containers: [{ name: 'app', state: running, id: 'docker://a' }] }));
    assert.equal(reason(r), 'UnsupportedRuntime');
    assert.ok(!r.ok && r.message.includes('docker'));
  });
});
