import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveSuccessfulHistoryLimit, planRetention, retentionPolicyOf, type RetainedCheckpoint, type RetentionPolicy } from '../../../src/controller/schedule/retention.ts';

const now = new Date('2027-06-01T12:00:00Z');
const hour = 3600_000;

interface Opts {
  pod?: string;
  namespace?: string;
  containers?: string[];
  hoursAgo: number;
  state?: 'Succeeded' | 'Failed' | 'Running';
  size?: bigint;
  labels?: Record<string, string>;
  run?: string;
  deleting?: boolean;
}

function ckpt(name: string, o: Opts): RetainedCheckpoint {
  const state = o.state ?? 'Succeeded';
  const created = new Date(now.getTime() - o.hoursAgo * hour);
  return {
    namespace: o.namespace ?? 'shop', name, pod: o.pod ?? 'web-0', containerNames: o.containers ?? ['app'],
    creationTime: created,
    finished: state !== 'Running', succeeded: state === 'Succeeded', failed: state === 'Failed',
    sizeBytes: o.size ?? 100n,
    labels: { 'ckpt.dev/run': o.run ?? String(Math.floor(created.getTime() / 60_000)), ...o.labels },
    deleting: o.deleting,
  };
}

// History limits high enough to stay out of the way of the retention block.
const roomy: RetentionPolicy = { successfulHistoryLimit: 1000, failedHistoryLimit: 1000 };

function plan(list: RetainedCheckpoint[], policy: RetentionPolicy) {
  return planRetention(list, policy, now);
}

const names = (p: ReturnType<typeof plan>) => p.deletions.map((d) => d.name);

describe('planRetention', () => {
  it('deletes nothing without rules', () => {
    const p = plan([ckpt('a', { hoursAgo: 1 })], roomy);
    assert.deepEqual(p, { deletions: [], freedBytes: 0n, warnings: [] });
  });

  describe('keepLast', () => {
    it('keeps the newest N per container, deleting the oldest first', () => {
      const list = [3, 1, 5, 2, 4].map((h) => ckpt(`c${h}`, { hoursAgo: h }));
      const p = plan(list, { ...roomy, keepLast: 2 });
      assert.deepEqual(names(p), ['c5', 'c4', 'c3']);
      assert.ok(p.deletions.every((d) => d.rule === 'keepLast'));
      assert.equal(p.freedBytes, 300n);
    });

    it('counts each pod separately, across namespaces too', () => {
      const list = [
        ...[1, 2, 3].map((h) => ckpt(`web0-${h}`, { pod: 'web-0', hoursAgo: h })),
        ...[1, 2, 3].map((h) => ckpt(`web1-${h}`, { pod: 'web-1', hoursAgo: h })),
        ...[1, 2, 3].map((h) => ckpt(`other-web0-${h}`, { namespace: 'other', pod: 'web-0', hoursAgo: h })),
      ];
      assert.deepEqual(names(plan(list, { ...roomy, keepLast: 2 })).sort(), ['other-web0-3', 'web0-3', 'web1-3']);
    });

    it('groups a multi-container checkpoint by its exact container set', () => {
      const list = [
        ...[1, 2, 3].map((h) => ckpt(`both-${h}`, { containers: ['sidecar', 'app'], hoursAgo: h })),
        ...[4, 5].map((h) => ckpt(`app-${h}`, { containers: ['app'], hoursAgo: h })),
      ];
      // The container order in the record does not matter.
      list.push(ckpt('both-6', { containers: ['app', 'sidecar'], hoursAgo: 6 }));
      assert.deepEqual(names(plan(list, { ...roomy, keepLast: 2 })), ['both-6', 'both-3']);
    });
  });

  describe('pinned checkpoints', () => {
    const pinned = { 'ckpt.dev/pinned': 'true' };

    it('are never deleted, by any rule', () => {
      const list = [
        ckpt('old-pinned', { hoursAgo: 1000, labels: pinned, size: 1n << 40n }),
        ckpt('failed-pinned', { hoursAgo: 900, state: 'Failed', labels: pinned }),
        ckpt('failed-pinned-2', { hoursAgo: 800, state: 'Failed', labels: pinned }),
        ckpt('new', { hoursAgo: 1 }),
      ];
      const p = planRetention(list, { keepLast: 1, maxAge: '1h', maxTotalBytes: '1', successfulHistoryLimit: 0, failedHistoryLimit: 0 }, now);
      assert.ok(!names(p).some((n) => n.includes('pinned')), names(p).join());
      assert.deepEqual(names(p), ['new']);
    });

    it('do not count toward keepLast or maxTotalBytes', () => {
      const list = [
        ckpt('pinned-newest', { hoursAgo: 1, labels: pinned, size: 1000n }),
        ckpt('c2', { hoursAgo: 2, size: 10n }),
        ckpt('c3', { hoursAgo: 3, size: 10n }),
        ckpt('c4', { hoursAgo: 4, size: 10n }),
      ];
      assert.deepEqual(names(plan(list, { ...roomy, keepLast: 2 })), ['c4']);
      assert.deepEqual(names(plan(list, { ...roomy, maxTotalBytes: '20' })), ['c4']);
    });

    it('need the value "true" and follow pinLabel', () => {
      const list = [
        ckpt('yes', { hoursAgo: 3, labels: { 'ckpt.dev/pinned': 'yes' } }),
        ckpt('custom', { hoursAgo: 2, labels: { 'example.com/keep': 'true' } }),
        ckpt('new', { hoursAgo: 1 }),
      ];
      assert.deepEqual(names(plan(list, { ...roomy, keepLast: 1 })), ['yes', 'custom']);
      assert.deepEqual(names(plan(list, { ...roomy, keepLast: 1, pinLabel: 'example.com/keep' })), ['yes']);
    });
  });

  it('never deletes or counts unfinished checkpoints, nor ones already being deleted', () => {
    const list = [
      ckpt('running', { hoursAgo: 0, state: 'Running' }),
      ckpt('running-old', { hoursAgo: 500, state: 'Running' }),
      ckpt('going', { hoursAgo: 1, deleting: true }),
      ckpt('c2', { hoursAgo: 2 }),
      ckpt('c3', { hoursAgo: 3 }),
    ];
    const p = planRetention(list, { keepLast: 1, maxAge: '100h', successfulHistoryLimit: 1, failedHistoryLimit: 0 }, now);
    assert.deepEqual(names(p), ['c3']);
  });

  describe('maxAge', () => {
    it('deletes succeeded checkpoints older than a Go duration', () => {
      const list = [1, 100, 167, 168, 169, 400].map((h) => ckpt(`c${h}`, { hoursAgo: h }));
      const p = plan(list, { ...roomy, maxAge: '168h' });
      assert.deepEqual(names(p), ['c400', 'c169']);
      assert.ok(p.deletions.every((d) => d.rule === 'maxAge'));
    });

    it('reads compound durations', () => {
      const list = [1, 1.4, 1.6, 2].map((h) => ckpt(`c${h}`, { hoursAgo: h }));
      assert.deepEqual(names(plan(list, { ...roomy, maxAge: '1h30m' })), ['c2', 'c1.6']);
    });

    it('does not apply to failed checkpoints, which follow failedHistoryLimit only', () => {
      const list = [ckpt('f-old', { hoursAgo: 500, state: 'Failed' })];
      assert.deepEqual(names(plan(list, { maxAge: '1h', failedHistoryLimit: 1 })), []);
    });

    it('is skipped with a warning when it is not a duration, the other rules still applying', () => {
      const list = [1, 2, 3].map((h) => ckpt(`c${h}`, { hoursAgo: h }));
      const p = plan(list, { ...roomy, maxAge: '7d', keepLast: 2 });
      assert.deepEqual(names(p), ['c3']);
      assert.equal(p.warnings.length, 1);
      assert.match(p.warnings[0] ?? '', /retention.maxAge "7d" is not applied: invalid duration "7d": unknown unit "d"/);
    });

    it('refuses a negative duration', () => {
      const p = plan([ckpt('c1', { hoursAgo: 1 })], { ...roomy, maxAge: '-1h' });
      assert.deepEqual(names(p), []);
      assert.match(p.warnings[0] ?? '', /must not be negative/);
    });
  });

  describe('maxTotalBytes', () => {
    it('deletes the oldest until the rest fit, per container', () => {
      const list = [
        ...[1, 2, 3, 4].map((h) => ckpt(`web0-${h}`, { hoursAgo: h, size: 400n << 20n })),
        ...[1, 2].map((h) => ckpt(`web1-${h}`, { pod: 'web-1', hoursAgo: h, size: 400n << 20n })),
      ];
      const p = plan(list, { ...roomy, maxTotalBytes: '1Gi' });
      assert.deepEqual(names(p), ['web0-4', 'web0-3']);
      assert.ok(p.deletions.every((d) => d.rule === 'maxTotalBytes'));
      assert.equal(p.freedBytes, 800n << 20n);
    });

    it('is exact for sizes above 2^53', () => {
      const big = (1n << 60n) + 1n; // 1 EiB and a byte: not representable as a double
      const list = [1, 2, 3, 4].map((h) => ckpt(`c${h}`, { hoursAgo: h, size: big }));
      // 2Ei holds exactly two 1 EiB archives, but not two of 1 EiB + 1 byte.
      const p = plan(list, { ...roomy, maxTotalBytes: '2Ei' });
      assert.deepEqual(names(p), ['c4', 'c3', 'c2']);
      assert.equal(p.freedBytes, 3n * big);
      assert.deepEqual(p.deletions.map((d) => d.bytes), [big, big, big]);
      const fits = plan(list.map((c) => ({ ...c, sizeBytes: 1n << 60n })), { ...roomy, maxTotalBytes: '2Ei' });
      assert.deepEqual(names(fits), ['c4', 'c3']);
      assert.equal(fits.freedBytes, 2n << 60n);
    });

    it('never deletes the newest checkpoint of a container, and warns when it alone is over budget', () => {
      const list = [ckpt('c1', { hoursAgo: 1, size: 5000n }), ckpt('c2', { hoursAgo: 2, size: 10n })];
      const p = plan(list, { ...roomy, maxTotalBytes: '1k' });
      assert.deepEqual(names(p), ['c2']);
      assert.match(p.warnings[0] ?? '', /shop\/c1 alone \(5000 bytes\) exceeds retention.maxTotalBytes 1k/);
    });

    it('counts only what the earlier rules keep', () => {
      const list = [1, 2, 3].map((h) => ckpt(`c${h}`, { hoursAgo: h, size: 100n }));
      const p = plan(list, { ...roomy, keepLast: 2, maxTotalBytes: '200' });
      assert.deepEqual(p.deletions.map((d) => [d.name, d.rule]), [['c3', 'keepLast']]);
    });

    it('counts an unknown size as zero', () => {
      const list = [ckpt('c1', { hoursAgo: 1 }), { ...ckpt('c2', { hoursAgo: 2 }), sizeBytes: undefined }];
      assert.deepEqual(names(plan(list, { ...roomy, maxTotalBytes: '100' })), []);
    });
  });

  describe('history limits', () => {
    it('failedHistoryLimit keeps the newest failed checkpoints of the schedule (default 1)', () => {
      const list = [
        ckpt('f1', { hoursAgo: 1, state: 'Failed', pod: 'a' }),
        ckpt('f2', { hoursAgo: 2, state: 'Failed', pod: 'b' }),
        ckpt('f3', { hoursAgo: 3, state: 'Failed', pod: 'c', size: 7n }),
        ckpt('ok', { hoursAgo: 4 }),
      ];
      const byDefault = plan(list, { successfulHistoryLimit: 1000 });
      assert.deepEqual(byDefault.deletions.map((d) => [d.name, d.rule]), [['f3', 'failedHistoryLimit'], ['f2', 'failedHistoryLimit']]);
      assert.equal(byDefault.freedBytes, 107n);
      assert.deepEqual(names(plan(list, { successfulHistoryLimit: 1000, failedHistoryLimit: 0 })), ['f3', 'f2', 'f1']);
      assert.deepEqual(names(plan(list, { successfulHistoryLimit: 1000, failedHistoryLimit: 5 })), []);
    });

    it('a checkpoint that finished without success counts as failed', () => {
      const odd = { ...ckpt('odd', { hoursAgo: 2 }), succeeded: false };
      assert.deepEqual(names(plan([odd, ckpt('f', { hoursAgo: 1, state: 'Failed' })], { failedHistoryLimit: 1 })), ['odd']);
    });

    it('successfulHistoryLimit counts runs, not checkpoints (default 3)', () => {
      const list: RetainedCheckpoint[] = [];
      for (const [i, run] of ['r1', 'r2', 'r3', 'r4', 'r5'].entries()) {
        for (const pod of ['web-0', 'web-1']) list.push(ckpt(`${run}-${pod}`, { pod, run, hoursAgo: 10 - i }));
      }
      const p = plan(list, {});
      assert.deepEqual(names(p).sort(), ['r1-web-0', 'r1-web-1', 'r2-web-0', 'r2-web-1']);
      assert.ok(p.deletions.every((d) => d.rule === 'successfulHistoryLimit'));
      assert.equal(names(plan(list, { successfulHistoryLimit: 1 })).length, 8);
      assert.equal(names(plan(list, { successfulHistoryLimit: 0 })).length, 10);
    });

    it('an explicit limit still applies with retention rules, and names the rule', () => {
      const list = [1, 2, 3, 4, 5].map((h) => ckpt(`c${h}`, { hoursAgo: h }));
      const p = plan(list, { keepLast: 10, maxAge: '1m', successfulHistoryLimit: 3 });
      assert.deepEqual(p.deletions.map((d) => [d.name, d.rule]), [
        ['c5', 'successfulHistoryLimit'], ['c4', 'successfulHistoryLimit'],
        ['c3', 'maxAge'], ['c2', 'maxAge'], ['c1', 'maxAge'],
      ]);
    });

    it('unset, does not cap retention: keepLast 10 keeps 10 runs', () => {
      const list = Array.from({ length: 12 }, (_, i) => ckpt(`c${String(i + 1).padStart(2, '0')}`, { hoursAgo: i + 1 }));
      const p = plan(list, { keepLast: 10 });
      assert.deepEqual(p.deletions.map((d) => [d.name, d.rule]), [['c12', 'keepLast'], ['c11', 'keepLast']]);
      assert.deepEqual(names(plan(list, { maxTotalBytes: '1000' })), ['c12', 'c11']);
      assert.deepEqual(names(plan(list, { maxAge: '100h' })), []);
    });

    it('unset with a retention block that has no rule (only pinLabel, as the API server defaults it), keeps 3 runs', () => {
      const list = [1, 2, 3, 4, 5].map((h) => ckpt(`c${h}`, { hoursAgo: h }));
      assert.deepEqual(names(plan(list, { pinLabel: 'ckpt.dev/pinned' })), ['c5', 'c4']);
    });
  });

  it('effectiveSuccessfulHistoryLimit: the user\'s value, else 3 without retention rules, else none', () => {
    assert.equal(effectiveSuccessfulHistoryLimit({}), 3);
    assert.equal(effectiveSuccessfulHistoryLimit({ pinLabel: 'x/keep' }), 3);
    assert.equal(effectiveSuccessfulHistoryLimit({ keepLast: 10 }), Infinity);
    assert.equal(effectiveSuccessfulHistoryLimit({ maxAge: '1h' }), Infinity);
    assert.equal(effectiveSuccessfulHistoryLimit({ maxTotalBytes: '1Gi' }), Infinity);
    assert.equal(effectiveSuccessfulHistoryLimit({ keepLast: 10, successfulHistoryLimit: 2 }), 2);
    assert.equal(effectiveSuccessfulHistoryLimit({ successfulHistoryLimit: 0 }), 0);
    assert.equal(effectiveSuccessfulHistoryLimit(retentionPolicyOf({ retention: { keepLast: 4 } })), Infinity);
  });

  it('retentionPolicyOf reads a schedule spec', () => {
    assert.deepEqual(retentionPolicyOf({
      retention: { keepLast: 5, maxAge: '168h', maxTotalBytes: '10Gi', pinLabel: 'x/keep' }, successfulHistoryLimit: 7, failedHistoryLimit: 2,
    }), { keepLast: 5, maxAge: '168h', maxTotalBytes: '10Gi', pinLabel: 'x/keep', successfulHistoryLimit: 7, failedHistoryLimit: 2 });
    assert.deepEqual(retentionPolicyOf({}), { successfulHistoryLimit: undefined, failedHistoryLimit: undefined });
  });

  it('lists deletions oldest first, with a stable order for equal times', () => {
    const list = [
      ckpt('b', { pod: 'p2', hoursAgo: 5 }), ckpt('a', { pod: 'p1', hoursAgo: 5 }),
      ckpt('c', { pod: 'p1', hoursAgo: 6 }), ckpt('n1', { pod: 'p1', hoursAgo: 1 }), ckpt('n2', { pod: 'p2', hoursAgo: 1 }),
    ];
    assert.deepEqual(names(plan(list, { ...roomy, keepLast: 1 })), ['c', 'a', 'b']);
  });
});
