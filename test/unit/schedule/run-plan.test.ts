import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specErrors, type CheckpointTemplate } from '../../../src/api/index.ts';
import { scheduledTimeAnnotation } from '../../../src/api/names.ts';
import { runSizeAnnotation } from '../../../src/api/names.ts';
import { planRun, type PodRecord, type RunPlanInput, type ScheduleRef } from '../../../src/controller/schedule/run-plan.ts';

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const scheduledTime = new Date('2027-03-29T00:30:00Z');
const run = String(scheduledTime.getTime() / 60_000);

const namespaced: ScheduleRef = { kind: 'CheckpointSchedule', name: 'nightly', namespace: 'shop', uid: 'uid-sched' };
const cluster: ScheduleRef = { kind: 'ClusterCheckpointSchedule', name: 'fleet', uid: 'uid-cluster' };

function pod(name: string, over: Partial<PodRecord> = {}): PodRecord {
  return {
    namespace: 'shop', name, uid: `uid-${name}`, phase: 'Running', labels: { app: 'web' },
    containers: [{ name: 'app', running: true, ready: true }, { name: 'sidecar', running: true, ready: false }],
    ...over,
  };
}

function plan(over: Partial<RunPlanInput> = {}) {
  return planRun({ schedule: namespaced, scheduledTime, pods: [pod('web-0')], ...over });
}

describe('planRun', () => {
  it('makes one checkpoint per pod, owned by the schedule, labelled with schedule, kind and run', () => {
    const p = plan();
    assert.equal(p.run, run);
    assert.equal(p.checkpoints.length, 1);
    const [c] = p.checkpoints;
    assert.ok(c !== undefined);
    assert.equal(c.apiVersion, 'ckpt.dev/v1alpha1');
    assert.equal(c.kind, 'ContainerCheckpoint');
    assert.equal(c.metadata.namespace, 'shop');
    assert.match(c.metadata.name ?? '', new RegExp(`^nightly-${run}-web-0-[0-9a-f]{8}$`));
    assert.deepEqual(c.metadata.labels, { 'ckpt.dev/schedule': 'nightly', 'ckpt.dev/schedule-kind': 'CheckpointSchedule', 'ckpt.dev/run': run });
    assert.deepEqual(c.metadata.annotations, { [scheduledTimeAnnotation]: '2027-03-29T00:30:00Z', [runSizeAnnotation]: '1' });
    assert.deepEqual(c.metadata.ownerReferences, [{
      apiVersion: 'ckpt.dev/v1alpha1', kind: 'CheckpointSchedule', name: 'nightly', uid: 'uid-sched', controller: true, blockOwnerDeletion: true,
    }]);
    // "Every running container", decided now and written down.
    assert.deepEqual(c.spec, { podName: 'web-0', containerNames: ['app', 'sidecar'] });
    assert.deepEqual(specErrors(c), []);
  });

  it('applies the template, without letting it override the schedule labels or the pod', () => {
    const template: CheckpointTemplate = {
      metadata: {
        labels: { team: 'shop', 'ckpt.dev/schedule': 'someone-else', 'ckpt.dev/run': '1' },
        annotations: { note: 'nightly', [scheduledTimeAnnotation]: 'never', [runSizeAnnotation]: '9' },
      },
      spec: { options: { tcpEstablished: true }, archive: { compression: 'None' }, timeoutSeconds: 600, ttlSecondsAfterFinished: 86400 },
    };
    const p = plan({ template, containerNames: ['app'] });
    const [c] = p.checkpoints;
    assert.ok(c !== undefined);
    assert.deepEqual(c.metadata.labels, { team: 'shop', 'ckpt.dev/schedule': 'nightly', 'ckpt.dev/schedule-kind': 'CheckpointSchedule', 'ckpt.dev/run': run });
    assert.deepEqual(c.metadata.annotations, { note: 'nightly', [scheduledTimeAnnotation]: '2027-03-29T00:30:00Z', [runSizeAnnotation]: '1' });
    assert.deepEqual(c.spec, {
      options: { tcpEstablished: true }, archive: { compression: 'None' }, timeoutSeconds: 600, ttlSecondsAfterFinished: 86400,
      podName: 'web-0', containerNames: ['app'],
    });
    assert.deepEqual(specErrors(c), []);
    // The plan does not share objects with the template.
    c.spec.options.tcpEstablished = false;
    assert.deepEqual(template.spec?.options, { tcpEstablished: true });
  });

  it('plans all of 200 pods, with valid, unique names, in a stable order', () => {
    const pods = Array.from({ length: 200 }, (_, i) => pod(`worker-${String(199 - i)}`));
    const p = plan({ pods });
    assert.equal(p.checkpoints.length, 200);
    assert.equal(p.skippedPods.length, 0);
    const names = p.checkpoints.map((c) => c.metadata.name ?? '');
    assert.equal(new Set(names).size, 200);
    for (const n of names) {
      assert.ok(n.length <= 253);
      assert.match(n, dnsSubdomain);
    }
    const podNames = p.checkpoints.map((c) => c.spec.podName);
    assert.deepEqual(podNames, [...podNames].sort());
    // Each says how many the run made, so that the run is known to be over only when all have finished.
    assert.ok(p.checkpoints.every((c) => c.metadata.annotations?.[runSizeAnnotation] === '200'));
    assert.deepEqual(plan({ pods: [...pods].reverse() }), p);
    for (const c of p.checkpoints) assert.deepEqual(specErrors(c), []);
  });

  it('is the same plan when computed again (idempotent creation after a crash)', () => {
    const pods = [pod('a'), pod('b')];
    assert.deepEqual(plan({ pods }), plan({ pods: structuredClone(pods) }));
  });

  it('plans a pod listed twice once', () => {
    assert.equal(plan({ pods: [pod('a'), pod('a')] }).checkpoints.length, 1);
  });

  it('skips pods that are not running, with reasons for events', () => {
    const p = plan({
      pods: [
        pod('pending', { phase: 'Pending' }),
        pod('done', { phase: 'Succeeded' }),
        pod('going', { terminating: true }),
        pod('idle', { containers: [{ name: 'app', running: false }] }),
        pod('ok'),
      ],
    });
    assert.deepEqual(p.checkpoints.map((c) => c.spec.podName), ['ok']);
    assert.deepEqual(p.skippedPods.map((s) => [s.name, s.reason]), [
      ['done', 'PodNotRunning'], ['going', 'PodTerminating'], ['idle', 'ContainerNotRunning'], ['pending', 'PodNotRunning'],
    ]);
    assert.match(p.skippedPods[0]?.message ?? '', /Pod shop\/done is Succeeded, not Running/);
  });

  describe('containerNames', () => {
    it('checkpoints only the named containers, ready or not', () => {
      const p = plan({ containerNames: ['sidecar'] });
      assert.deepEqual(p.checkpoints[0]?.spec.containerNames, ['sidecar']);
    });

    it('leaves out named containers that are missing or not running, and says so', () => {
      const p = plan({
        containerNames: ['app', 'sidecar', 'cache'],
        pods: [pod('web-0', { containers: [{ name: 'app', running: true }, { name: 'sidecar', running: false }] })],
      });
      assert.deepEqual(p.checkpoints[0]?.spec.containerNames, ['app']);
      assert.deepEqual(p.skippedContainers.map((s) => [s.pod, s.containers, s.reason]), [
        ['web-0', ['cache'], 'UnknownContainer'],
        ['web-0', ['sidecar'], 'ContainerNotRunning'],
      ]);
    });

    it('skips a pod with none of the named containers', () => {
      const p = plan({ containerNames: ['cache'] });
      assert.equal(p.checkpoints.length, 0);
      assert.deepEqual(p.skippedPods.map((s) => s.reason), ['UnknownContainer']);
    });

    it('skips a pod whose named containers are not running', () => {
      const p = plan({ containerNames: ['app'], pods: [pod('web-0', { containers: [{ name: 'app', running: false }] })] });
      assert.equal(p.checkpoints.length, 0);
      assert.deepEqual(p.skippedPods.map((s) => s.reason), ['ContainerNotRunning']);
    });
  });

  describe('ClusterCheckpointSchedule', () => {
    it('creates each checkpoint in its pod namespace, owned by the cluster-scoped schedule', () => {
      const pods = ['team-a', 'team-b', 'team-c'].map((namespace) => pod('db-0', { namespace }));
      const p = planRun({ schedule: cluster, scheduledTime, pods });
      assert.deepEqual(p.checkpoints.map((c) => c.metadata.namespace), ['team-a', 'team-b', 'team-c']);
      for (const c of p.checkpoints) {
        assert.deepEqual(c.metadata.ownerReferences, [{
          apiVersion: 'ckpt.dev/v1alpha1', kind: 'ClusterCheckpointSchedule', name: 'fleet', uid: 'uid-cluster', controller: true, blockOwnerDeletion: true,
        }]);
        assert.equal(c.metadata.labels?.['ckpt.dev/schedule-kind'], 'ClusterCheckpointSchedule');
        assert.equal(c.metadata.labels['ckpt.dev/schedule'], 'fleet');
      }
    });

    it('names differ from a namespaced schedule of the same name on the same pod', () => {
      const same: ScheduleRef = { ...cluster, name: 'nightly' };
      const a = plan().checkpoints[0]?.metadata.name;
      const b = planRun({ schedule: same, scheduledTime, pods: [pod('web-0')] }).checkpoints[0]?.metadata.name;
      assert.ok(a !== undefined && b !== undefined);
      assert.notEqual(a, b);
    });
  });

  it('a namespaced schedule refuses pods of other namespaces', () => {
    const p = plan({ pods: [pod('web-0', { namespace: 'elsewhere' })] });
    assert.equal(p.checkpoints.length, 0);
    assert.deepEqual(p.skippedPods.map((s) => s.reason), ['PodInOtherNamespace']);
  });

  it('labels a long schedule name with a valid label value', () => {
    const p = plan({ schedule: { ...namespaced, name: `${'n'.repeat(100)}.daily` } });
    const v = p.checkpoints[0]?.metadata.labels?.['ckpt.dev/schedule'] ?? '';
    assert.ok(v.length <= 63);
    assert.match(p.checkpoints[0]?.metadata.name ?? '', dnsSubdomain);
  });
});
