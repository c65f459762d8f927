import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabelSelector } from '../../../src/api/fields.ts';
import { compileLabelSelector, type CompiledLabelSelector } from '../../../src/controller/schedule/label-selector.ts';

function compile(selector: LabelSelector): CompiledLabelSelector {
  const r = compileLabelSelector(selector);
  if (!r.ok) assert.fail(r.message);
  return r.selector;
}

describe('compileLabelSelector', () => {
  it('an empty selector matches everything, with an empty query', () => {
    const s = compile({});
    assert.equal(s.matchesEverything, true);
    assert.equal(s.query, '');
    assert.equal(s.matches(undefined), true);
    assert.equal(s.matches({ any: 'thing' }), true);
    assert.equal(compile({ matchLabels: {}, matchExpressions: [] }).matchesEverything, true);
  });

  it('matchLabels: every key must equal its value', () => {
    const s = compile({ matchLabels: { app: 'web', tier: 'front' } });
    assert.equal(s.matchesEverything, false);
    assert.equal(s.matches({ app: 'web', tier: 'front', extra: 'x' }), true);
    assert.equal(s.matches({ app: 'web' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'back' }), false);
    assert.equal(s.matches(undefined), false);
  });

  it('In: the key is there with one of the values', () => {
    const s = compile({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] });
    assert.equal(s.matches({ env: 'prod' }), true);
    assert.equal(s.matches({ env: 'staging' }), true);
    assert.equal(s.matches({ env: 'dev' }), false);
    assert.equal(s.matches({}), false);
  });

  it('NotIn: the key is missing or has none of the values', () => {
    const s = compile({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] });
    assert.equal(s.matches({ env: 'dev' }), true);
    assert.equal(s.matches({}), true);
    assert.equal(s.matches({ env: 'prod' }), false);
  });

  it('Exists and DoesNotExist look at the key only, an empty value included', () => {
    const exists = compile({ matchExpressions: [{ key: 'ckpt.dev/pinned', operator: 'Exists' }] });
    assert.equal(exists.matches({ 'ckpt.dev/pinned': '' }), true);
    assert.equal(exists.matches({}), false);
    const missing = compile({ matchExpressions: [{ key: 'ckpt.dev/pinned', operator: 'DoesNotExist' }] });
    assert.equal(missing.matches({}), true);
    assert.equal(missing.matches({ 'ckpt.dev/pinned': '' }), false);
  });

  it('ANDs everything', () => {
    const s = compile({
      matchLabels: { app: 'db' },
      matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'skip', operator: 'DoesNotExist' }],
    });
    assert.equal(s.matches({ app: 'db', env: 'prod' }), true);
    assert.equal(s.matches({ app: 'db', env: 'prod', skip: 'yes' }), false);
    assert.equal(s.matches({ app: 'web', env: 'prod' }), false);
  });

  it('does not see keys inherited from Object.prototype', () => {
    const s = compile({ matchExpressions: [{ key: 'constructor', operator: 'DoesNotExist' }] });
    assert.equal(s.matches({}), true);
    assert.equal(compile({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }).matches({}), false);
  });

  it('writes the query as apimachinery does: sorted by key, values sorted', () => {
    const s = compile({
      matchLabels: { tier: 'front', app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['staging', 'dev'] },
        { key: 'zone', operator: 'In', values: ['b', 'a'] },
        { key: 'ckpt.dev/pinned', operator: 'DoesNotExist' },
        { key: 'backup', operator: 'Exists' },
      ],
    });
    assert.equal(s.query, 'app=web,backup,!ckpt.dev/pinned,env notin (dev,staging),tier=front,zone in (a,b)');
  });

  it('refuses what the API server would refuse', () => {
    const bad: Array<[LabelSelector, RegExp]> = [
      [{ matchExpressions: [{ key: 'env', operator: 'In', values: [] }] }, /matchExpressions\[0\]: In needs at least one value/],
      [{ matchExpressions: [{ key: 'env', operator: 'NotIn' }] }, /NotIn needs at least one value/],
      [{ matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] }, /Exists takes no values/],
      [{ matchExpressions: [{ key: 'env', operator: 'Gt' as 'In', values: ['1'] }] }, /unknown operator "Gt"/],
      [{ matchLabels: { 'bad key': 'x' } }, /matchLabels: label key "bad key" must be letters/],
      [{ matchLabels: { 'Example.com/app': 'x' } }, /prefix that is not a DNS subdomain/],
      [{ matchLabels: { ['k'.repeat(64)]: 'x' } }, /1 to 63 characters/],
      [{ matchLabels: { 'example.com/': 'x' } }, /1 to 63 characters/],
      [{ matchLabels: { app: 'a b' } }, /label value "a b" of app/],
      [{ matchLabels: { app: 'v'.repeat(64) } }, /at most 63/],
      [{ matchExpressions: [{ key: 'app', operator: 'In', values: ['ok', '-bad'] }] }, /label value "-bad"/],
    ];
    for (const [selector, message] of bad) {
      const r = compileLabelSelector(selector);
      assert.ok(!r.ok, JSON.stringify(selector));
      assert.match(r.message, message);
    }
  });

  it('takes an empty label value and prefixed keys', () => {
    const s = compile({ matchLabels: { 'app.kubernetes.io/name': '', 'kubernetes.io/metadata.name': 'team-a' } });
    assert.equal(s.query, 'app.kubernetes.io/name=,kubernetes.io/metadata.name=team-a');
    assert.equal(s.matches({ 'app.kubernetes.io/name': '', 'kubernetes.io/metadata.name': 'team-a' }), true);
  });
});
