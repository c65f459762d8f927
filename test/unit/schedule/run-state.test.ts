import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scheduledTimeAnnotation, scheduleRunLabel } from '../../../src/api/names.ts';
import { runSizeAnnotation } from '../../../src/api/names.ts';
import { activeCheckpoints, checkpointTime, lastSuccessfulTime, retainedCheckpoints, runsOf, runState } from '../../../src/controller/schedule/run-state.ts';
import type { Checkpoint } from '../../../src/controller/schedule/schedule-object.ts';

const t0 = Date.parse('2027-01-01T00:00:00Z');

function ckpt(name: string, o: {
  run?: string; size?: number; state?: 'Succeeded' | 'Failed' | 'Running'; done?: number; bytes?: string; deleting?: boolean; pinned?: boolean;
}): Checkpoint {
  const state = o.state ?? 'Running';
  const run = o.run ?? '1';
  const at = new Date(t0 + (o.done ?? 0) * 1000).toISOString();
  return {
    apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint',
    metadata: {
      name, namespace: 'shop', creationTimestamp: '2026-06-01T00:00:00Z',
      labels: { [scheduleRunLabel]: run, ...(o.pinned === true ? { 'ckpt.dev/pinned': 'true' } : {}) },
      annotations: {
        [scheduledTimeAnnotation]: new Date(Number(run) * 60_000).toISOString().replace('.000Z', 'Z'),
        ...(o.size !== undefined ? { [runSizeAnnotation]: String(o.size) } : {}),
      },
      ...(o.deleting === true ? { deletionTimestamp: '2027-01-01T00:00:00Z' } : {}),
    },
    spec: { podName: name, containerNames: ['app'] },
    ...(state === 'Running' ? {} : {
      status: {
        completionTime: at,
        ...(o.bytes !== undefined ? { totalSizeBytes: o.bytes } : {}),
        conditions: [{ type: state, status: 'True', reason: state === 'Succeeded' ? 'CheckpointCompleted' : 'CriuFailed', message: '', lastTransitionTime: at }],
      },
    }),
  };
}

describe('run state', () => {
  it('a run is over once as many checkpoints as it created have finished', () => {
    const a = ckpt('a', { size: 3, state: 'Succeeded', done: 1 });
    const b = ckpt('b', { size: 3, state: 'Succeeded', done: 5 });
    // Still being created: 2 of 3 exist.
    assert.equal(runState('1', [a, b]).over, false);
    const c = ckpt('c', { size: 3, state: 'Running' });
    assert.equal(runState('1', [a, b, c]).over, false);
    const c2 = ckpt('c', { size: 3, state: 'Succeeded', done: 3 });
    const over = runState('1', [a, b, c2]);
    assert.deepEqual({ over: over.over, outcome: over.outcome, finishedAt: over.finishedAt?.toISOString() },
      { over: true, outcome: 'succeeded', finishedAt: '2027-01-01T00:00:05.000Z' });
    assert.equal(runState('1', [a, ckpt('b', { size: 3, state: 'Failed', done: 2 }), c2]).outcome, 'failed');
  });

  it('a run made by hand (no size) is over when what exists has finished', () => {
    assert.equal(runState('1', [ckpt('a', { state: 'Succeeded' })]).over, true);
  });

  it('groups by run label and ignores checkpoints without one', () => {
    const loose = ckpt('loose', {});
    delete loose.metadata.labels;
    const runs = runsOf([ckpt('a', { run: '1' }), ckpt('b', { run: '2' }), ckpt('c', { run: '2' }), loose]);
    assert.deepEqual([...runs.keys()], ['1', '2']);
    assert.equal(runs.get('2')?.members.length, 2);
  });

  it('active: unfinished and not being deleted, sorted, with their run', () => {
    const list = [ckpt('b', { run: '2' }), ckpt('a', { run: '1' }), ckpt('done', { state: 'Succeeded' }), ckpt('gone', { deleting: true })];
    assert.deepEqual(activeCheckpoints(list), [{ namespace: 'shop', name: 'a', run: '1' }, { namespace: 'shop', name: 'b', run: '2' }]);
  });

  it('lastSuccessfulTime: the latest finish of a successful run, never earlier than the current one', () => {
    const runs = runsOf([
      ckpt('a', { run: '1', size: 1, state: 'Succeeded', done: 10 }),
      ckpt('b', { run: '2', size: 1, state: 'Failed', done: 20 }),
      ckpt('c', { run: '3', size: 2, state: 'Succeeded', done: 30 }),
    ]);
    assert.equal(lastSuccessfulTime(runs.values(), undefined)?.toISOString(), '2027-01-01T00:00:10.000Z');
    const later = new Date(t0 + 100_000);
    assert.equal(lastSuccessfulTime(runs.values(), later), later);
  });

  it('retention sees a run only once it is settled', () => {
    // Run 1 is over; run 2 (the newest) has a failed checkpoint and one still running.
    const list = [
      ckpt('r1', { run: '1', size: 1, state: 'Succeeded', bytes: '100' }),
      ckpt('r2-failed', { run: '2', size: 2, state: 'Failed' }),
      ckpt('r2-running', { run: '2', size: 2 }),
    ];
    const retained = retainedCheckpoints(list, runsOf(list));
    assert.deepEqual(retained.map((r) => [r.name, r.finished, r.succeeded, r.failed]), [
      ['r1', true, true, false], ['r2-failed', false, false, true], ['r2-running', false, false, false],
    ]);
    assert.equal(retained[0]?.sizeBytes, 100n);
    // An older run that lost a checkpoint (deleted by hand) is settled once a newer run exists.
    const older = [ckpt('o', { run: '1', size: 2, state: 'Succeeded' }), ckpt('n', { run: '2', size: 1 })];
    assert.deepEqual(retainedCheckpoints(older, runsOf(older)).map((r) => r.finished), [true, false]);
  });

  it('times a checkpoint by its run\'s scheduled instant, else by its creation', () => {
    const c = ckpt('a', { run: '29000000' });
    assert.equal(checkpointTime(c).toISOString(), new Date(29_000_000 * 60_000).toISOString());
    delete c.metadata.annotations;
    assert.equal(checkpointTime(c).toISOString(), '2026-06-01T00:00:00.000Z');
  });
});
