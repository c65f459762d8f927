import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxActiveEntries, nextStatus, statusDiffers } from '../../../src/controller/schedule/schedule-status.ts';

const now = Date.parse('2027-03-28T00:30:10Z');

describe('schedule status', () => {
  it('says what the reconcile decided, with a ScheduleValid condition', () => {
    const s = nextStatus({
      current: undefined, generation: 4, now, validity: { ok: true },
      lastScheduleTime: new Date('2027-03-28T00:30:00Z'), nextScheduleTime: new Date('2027-03-28T01:30:00Z'),
      lastSuccessfulTime: new Date('2027-03-27T23:31:07.250Z'),
      active: [{ namespace: 'shop', name: 'a', run: '1' }],
    });
    assert.deepEqual(s, {
      observedGeneration: 4,
      conditions: [{
        type: 'ScheduleValid', status: 'True', reason: 'Valid', message: 'the schedule and time zone can be evaluated',
        observedGeneration: 4, lastTransitionTime: '2027-03-28T00:30:10Z',
      }],
      lastScheduleTime: '2027-03-28T00:30:00Z', nextScheduleTime: '2027-03-28T01:30:00Z', lastSuccessfulTime: '2027-03-27T23:31:07Z',
      active: [{ namespace: 'shop', name: 'a' }],
    });
    // Computed again later from the same facts: nothing to write.
    const again = nextStatus({
      current: s, generation: 4, now: now + 60_000, validity: { ok: true },
      lastScheduleTime: new Date('2027-03-28T00:30:00Z'), nextScheduleTime: new Date('2027-03-28T01:30:00Z'),
      lastSuccessfulTime: new Date('2027-03-27T23:31:07Z'), active: [{ namespace: 'shop', name: 'a' }],
    });
    assert.equal(statusDiffers(s, again), false);
    assert.equal(statusDiffers({ ...structuredClone(s), nextScheduleTime: undefined }, again), true);
  });

  it('an invalid schedule: False with the reason, and no next time', () => {
    const s = nextStatus({
      current: undefined, generation: 1, now, validity: { ok: false, reason: 'UnknownTimeZone', message: 'no such zone' },
      lastScheduleTime: undefined, nextScheduleTime: undefined, lastSuccessfulTime: undefined, active: [],
    });
    assert.deepEqual(s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['ScheduleValid', 'False', 'UnknownTimeZone', 'no such zone']]);
    assert.equal('nextScheduleTime' in s, false);
    assert.equal('active' in s, false);
  });

  it('lists at most what the CRD allows as active', () => {
    const active = Array.from({ length: maxActiveEntries + 5 }, (_, i) => ({ namespace: 'ns', name: `c${String(i)}` }));
    const s = nextStatus({ current: undefined, generation: 1, now, validity: { ok: true }, lastScheduleTime: undefined, nextScheduleTime: undefined, lastSuccessfulTime: undefined, active });
    assert.equal(s.active?.length, maxActiveEntries);
  });

  it('compares without regard to key order or unset keys', () => {
    assert.equal(statusDiffers({ lastScheduleTime: 'x', observedGeneration: 1 }, { observedGeneration: 1, lastScheduleTime: 'x', nextScheduleTime: undefined }), false);
    assert.equal(statusDiffers(undefined, {}), false);
  });
});
