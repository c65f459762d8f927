import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideConcurrency, type ActiveCheckpoint } from '../../../src/controller/schedule/concurrency.ts';

const earlier: ActiveCheckpoint[] = [
  { namespace: 'b', name: 'nightly-100-db-0-aaaa', run: '100' },
  { namespace: 'a', name: 'nightly-100-web-0-bbbb', run: '100' },
];

describe('decideConcurrency', () => {
  for (const policy of ['Allow', 'Forbid', 'Replace', undefined] as const) {
    it(`${policy ?? 'unset'}: starts when nothing is active`, () => {
      assert.deepEqual(decideConcurrency(policy, [], '160'), { action: 'Start' });
    });
  }

  it('Allow (and the default) start alongside earlier runs', () => {
    assert.deepEqual(decideConcurrency('Allow', earlier, '160'), { action: 'Start' });
    assert.deepEqual(decideConcurrency(undefined, earlier, '160'), { action: 'Start' });
  });

  it('Forbid skips the run with a reason for the event', () => {
    const d = decideConcurrency('Forbid', earlier, '160');
    assert.ok(d.action === 'Skip');
    assert.equal(d.reason, 'RunAlreadyActive');
    assert.match(d.message, /Not starting run 160: concurrencyPolicy is Forbid and checkpoints a\/nightly-100-web-0-bbbb, b\/nightly-100-db-0-aaaa of an earlier run are still in progress/);
  });

  it('Replace deletes the earlier ones first, in a stable order', () => {
    const d = decideConcurrency('Replace', earlier, '160');
    assert.ok(d.action === 'Replace');
    assert.equal(d.reason, 'ReplacingActiveRun');
    assert.deepEqual(d.toDelete.map((a) => `${a.namespace}/${a.name}`), ['a/nightly-100-web-0-bbbb', 'b/nightly-100-db-0-aaaa']);
  });

  it("a run's own unfinished checkpoints (after a restart mid-run) hold nothing back", () => {
    const own: ActiveCheckpoint[] = [{ namespace: 'a', name: 'nightly-160-web-0-cccc', run: '160' }];
    assert.deepEqual(decideConcurrency('Forbid', own, '160'), { action: 'Start' });
    assert.deepEqual(decideConcurrency('Replace', own, '160'), { action: 'Start' });
    const mixed = decideConcurrency('Replace', [...own, ...earlier], '160');
    assert.ok(mixed.action === 'Replace');
    assert.equal(mixed.toDelete.length, 2);
    assert.ok(mixed.toDelete.every((a) => a.run === '100'));
  });

  it('an active checkpoint without a run label counts as an earlier run', () => {
    const d = decideConcurrency('Forbid', [{ namespace: 'a', name: 'x' }], '160');
    assert.equal(d.action, 'Skip');
  });

  it('keeps the message short for long lists', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ namespace: 'a', name: `c${String(i).padStart(2, '0')}`, run: '1' }));
    const d = decideConcurrency('Forbid', many, '2');
    assert.ok(d.action === 'Skip');
    assert.match(d.message, /checkpoints a\/c00, a\/c01, a\/c02, a\/c03, a\/c04 and 35 more/);
  });
});
