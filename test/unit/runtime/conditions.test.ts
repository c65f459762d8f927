import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionsEqual, findCondition, isConditionTrue, removeCondition, setCondition, type Condition,
} from '../../../src/runtime/objects/conditions.ts';

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const t1 = t0 + 60_000;

describe('setCondition', () => {
  it('adds a missing condition with the transition time now', () => {
    const c = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'PodNotFound', message: 'no pod', observedGeneration: 3 }, t0);
    assert.deepEqual(c, [{
      type: 'Ready', status: 'False', observedGeneration: 3, lastTransitionTime: '2026-01-01T12:00:00Z', reason: 'PodNotFound', message: 'no pod',
    }]);
  });

  it('keeps lastTransitionTime when only reason, message or generation change', () => {
    const a = setCondition([], { type: 'Ready', status: 'False', reason: 'Pending', observedGeneration: 1 }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'StillPending', message: 'later', observedGeneration: 2 }, t1);
    const c = findCondition(b, 'Ready');
    assert.equal(c?.lastTransitionTime, '2026-01-01T12:00:00Z');
    assert.equal(c.reason, 'StillPending');
    assert.equal(c.message, 'later');
    assert.equal(c.observedGeneration, 2);
  });

  it('moves lastTransitionTime when status changes', () => {
    const a = setCondition([], { type: 'Ready', status: 'False', reason: 'Pending' }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'Succeeded' }, t1);
    assert.equal(findCondition(b, 'Ready')?.lastTransitionTime, '2026-01-01T12:01:00Z');
    assert.ok(isConditionTrue(b, 'Ready'));
  });

  it('treats conditions as a map keyed by type and leaves the input untouched', () => {
    const a: readonly Condition[] = Object.freeze(setCondition([], { type: 'A', status: 'True', reason: 'Yes' }, t0));
    const b = setCondition(a, { type: 'B', status: 'Unknown', reason: 'Maybe' }, t0);
    const c = setCondition(b, { type: 'A', status: 'False', reason: 'No' }, t1);
    assert.deepEqual(c.map((x) => x.type), ['A', 'B']);
    assert.equal(a.length, 1);
    assert.equal(findCondition(a, 'A')?.status, 'True');
    assert.deepEqual(removeCondition(c, 'A').map((x) => x.type), ['B']);
  });

  it('refuses reasons that are not CamelCase and statuses that are not True/False/Unknown', () => {
    assert.throws(() => setCondition([], { type: 'Ready', status: 'True', reason: 'pod not found' }), /CamelCase/);
    assert.throws(() => setCondition([], { type: 'Ready', status: 'True', reason: 'pod_not_found' }), /CamelCase/);
    assert.throws(() => setCondition([], { type: 'Ready', status: 'yes' as 'True', reason: 'Ok' }), /True, False or Unknown/);
    assert.throws(() => setCondition([], { type: 'bad type!', status: 'True', reason: 'Ok' }), /condition type/);
  });

  it('compares condition lists regardless of order', () => {
    const a = setCondition(setCondition([], { type: 'A', status: 'True', reason: 'Yes' }, t0), { type: 'B', status: 'True', reason: 'Yes' }, t0);
    const b = [...a].reverse();
    assert.ok(conditionsEqual(a, b));
    assert.ok(!conditionsEqual(a, setCondition(a, { type: 'A', status: 'True', reason: 'Other' }, t0)));
  });
});
