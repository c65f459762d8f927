import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointName, runId, scheduleLabelValue, type CheckpointIdentity } from '../../../src/controller/schedule/checkpoint-name.ts';

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function assertValidName(name: string) {
  assert.ok(name.length <= 253, `${name.length} characters`);
  assert.match(name, dnsSubdomain);
}

const base: CheckpointIdentity = {
  scheduleKind: 'CheckpointSchedule', scheduleNamespace: 'shop', scheduleName: 'nightly',
  run: runId(new Date('2027-03-28T01:30:00Z')), podNamespace: 'shop', podName: 'web-0',
};

describe('runId', () => {
  it('is the scheduled instant in Unix minutes', () => {
    assert.equal(runId(new Date('2027-03-28T01:30:00Z')), String(Date.UTC(2027, 2, 28, 1, 30) / 60_000));
    assert.equal(runId(new Date('2027-03-28T01:30:59.999Z')), runId(new Date('2027-03-28T01:30:00Z')));
  });
});

describe('checkpointName', () => {
  it('reads schedule, run and pod, with a hash', () => {
    const name = checkpointName(base);
    assert.match(name, new RegExp(`^nightly-${base.run}-web-0-[0-9a-f]{8}$`));
    assertValidName(name);
  });

  it('is deterministic', () => {
    assert.equal(checkpointName({ ...base }), checkpointName({ ...base }));
  });

  it('differs by kind, namespace, run and pod, even where the readable part is the same', () => {
    const names = new Set([
      checkpointName(base),
      checkpointName({ ...base, scheduleKind: 'ClusterCheckpointSchedule', scheduleNamespace: undefined }),
      checkpointName({ ...base, run: String(Number(base.run) + 1) }),
      checkpointName({ ...base, podName: 'web-1' }),
      checkpointName({ ...base, podNamespace: 'other' }),
      // "a-1" + "b" against "a" + "1-b" read the same before the hash.
      checkpointName({ ...base, scheduleName: `nightly-${base.run}`, run: base.run, podName: 'x' }),
      checkpointName({ ...base, scheduleName: 'nightly', podName: `${base.run}-x` }),
    ]);
    assert.equal(names.size, 7);
  });

  it('stays a valid DNS subdomain of at most 253 characters for the longest names', () => {
    const long = (c: string) => `${c.repeat(250)}-ab`;
    for (const [scheduleName, podName] of [
      [long('s'), long('p')],
      [long('s'), 'web-0'],
      ['nightly', long('p')],
      ['a'.repeat(116) + '.' + 'b'.repeat(136), 'c'.repeat(116) + '-' + 'd'.repeat(136)], // cuts land on "." and "-"
      ['x.y'.repeat(84), 'p-q'.repeat(84)],
    ] as const) {
      const name = checkpointName({ ...base, scheduleName, podName });
      assertValidName(name);
      assert.ok(name.includes(`-${base.run}-`), name);
    }
  });

  it('keeps long names unique when they share a long prefix', () => {
    const prefix = 'p'.repeat(240);
    const a = checkpointName({ ...base, scheduleName: 's'.repeat(200), podName: `${prefix}-a` });
    const b = checkpointName({ ...base, scheduleName: 's'.repeat(200), podName: `${prefix}-b` });
    assert.notEqual(a, b);
    assert.equal(a.length, 253);
  });

  it('gives a short name the unused share of the budget', () => {
    const name = checkpointName({ ...base, scheduleName: 'n', podName: 'p'.repeat(253) });
    assert.equal(name.length, 253);
    assert.ok(name.startsWith(`n-${base.run}-ppp`));
  });
});

describe('scheduleLabelValue', () => {
  it('is the name when it fits a label value', () => {
    assert.equal(scheduleLabelValue('nightly'), 'nightly');
    assert.equal(scheduleLabelValue('a'.repeat(63)), 'a'.repeat(63));
  });

  it('cuts and hashes a longer name into a valid, distinct label value', () => {
    const a = scheduleLabelValue(`${'a'.repeat(60)}.x-one`);
    const b = scheduleLabelValue(`${'a'.repeat(60)}.x-two`);
    for (const v of [a, b]) {
      assert.ok(v.length <= 63);
      assert.match(v, labelValue);
    }
    assert.notEqual(a, b);
    assert.equal(scheduleLabelValue(`${'a'.repeat(53)}.-b${'c'.repeat(20)}`).includes('.-'), false);
  });
});
