// The slim pod the controller caches must answer every question the
// reconcilers ask exactly as the full pod would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { slimPod } from '../../../src/controller/cached-pod.ts';
import { resolveTargets } from '../../../src/controller/checkpoint/resolve-targets.ts';
import { podRecordOf } from '../../../src/controller/schedule/select-pods.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';

const t = new Date('2026-11-26T12:00:00Z');

function pod(phase: string, states: Record<string, V1ContainerState>): V1Pod & KubeObject {
  const names = Object.keys(states);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '5', labels: { app: 'web' }, annotations: { big: 'x'.repeat(1000) } },
    spec: { nodeName: 'n1', containers: names.map((name) => ({ name, image: 'registry.example/app:1', args: ['serve'] })) },
    status: {
      phase, startTime: t,
      containerStatuses: names.map((name) => ({
        name, image: 'registry.example/app:1', imageID: `registry.example/app:1@sha256:${'0'.repeat(64)}`, containerID: `containerd://${name}-id`,
        ready: states[name]?.running !== undefined, started: true, restartCount: 2, state: states[name],
      })),
    },
  };
}

describe('slimPod', () => {
  const full = pod('Running', {
    app: { running: { startedAt: t } },
    created: { waiting: {} },
    crashing: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
    done: { terminated: { exitCode: 3, reason: 'Error', startedAt: t, finishedAt: t } },
    quiet: { terminated: { exitCode: 0 } },
  });
  const slim = slimPod(full);

  it('resolves every container as the full pod does', () => {
    for (const names of [undefined, ['app'], ['created'], ['crashing'], ['done'], ['quiet'], ['nope']]) {
      const spec = { podName: 'web', ...(names !== undefined ? { containerNames: names } : {}) };
      assert.deepEqual(resolveTargets(spec, 'shop', slim), resolveTargets(spec, 'shop', full), JSON.stringify(names));
    }
    const pending = pod('Pending', { app: { running: { startedAt: t } } });
    assert.deepEqual(resolveTargets({ podName: 'web' }, 'shop', slimPod(pending)), resolveTargets({ podName: 'web' }, 'shop', pending));
  });
  it('gives schedules the same pod record', () => {
    assert.deepEqual(podRecordOf(slim), podRecordOf(full));
  });
  it('drops what nobody reads', () => {
    assert.equal(slim.metadata?.annotations, undefined);
    const first = slim.status?.containerStatuses?.[0];
    assert.equal(first?.imageID, '');
    assert.deepEqual(first.state, { running: {} });
  });
});
