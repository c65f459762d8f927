import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultOptInPolicy, optInVerdict } from '../../../src/policy/opt-in.ts';
import { PageServerAllowlist, PageServerNotAllowedError } from '../../../src/policy/page-server-allowlist.ts';

describe('opt-in policy', () => {
  const p = defaultOptInPolicy;
  it('permits a labelled namespace', () => {
    assert.equal(optInVerdict(p, { name: 'a', labels: { 'ckpt.dev/checkpoints': 'enabled' } }, { name: 'x' }).permitted, true);
  });
  it('permits a labelled pod in an unlabelled namespace', () => {
    assert.equal(optInVerdict(p, { name: 'a' }, { name: 'x', labels: { 'ckpt.dev/checkpoints': 'enabled' } }).permitted, true);
  });
  it('refuses everything else, saying how to opt in', () => {
    const v = optInVerdict(p, { name: 'a', labels: { 'ckpt.dev/checkpoints': 'yes' } }, { name: 'x' });
    assert.ok(!v.permitted && v.message.includes('ckpt.dev/checkpoints=enabled'));
  });
  it('permits everything when the admin turned the requirement off', () => {
    assert.equal(optInVerdict({ ...p, required: false }, { name: 'a' }, undefined).permitted, true);
  });
});

describe('page server allowlist', () => {
  it('refuses every page server by default', async () => {
    await assert.rejects(new PageServerAllowlist({ cidrs: [], ports: [] }).check('127.0.0.1', 8000), PageServerNotAllowedError);
  });
  const list = new PageServerAllowlist({ cidrs: ['10.1.0.0/16', '127.0.0.1/32', 'fd00::/8'], ports: [8000, 8001] });
  it('allows addresses and ports on the list', async () => {
    assert.equal(await list.check('10.1.2.3', 8000), '10.1.2.3');
    assert.equal(await list.check('127.0.0.1', 8001), '127.0.0.1');
    assert.equal(await list.check('fd00::1', 8000), 'fd00::1');
  });
  it('refuses other networks and ports', async () => {
    await assert.rejects(list.check('10.2.0.1', 8000), /outside the operator's page server allowlist/);
    await assert.rejects(list.check('10.1.0.1', 9000), PageServerNotAllowedError);
  });
  it('checks every address a name resolves to, and returns a checked address', async () => {
    assert.equal(await list.check('ps.example', 8000, () => Promise.resolve(['10.1.0.9'])), '10.1.0.9');
    await assert.rejects(list.check('ps.example', 8000, () => Promise.resolve(['10.1.0.9', '192.168.0.1'])), /192\.168\.0\.1/);
  });
  it('rejects a malformed CIDR at start-up', () => {
    assert.throws(() => new PageServerAllowlist({ cidrs: ['10.0.0.0/33'], ports: [] }), /not a CIDR/);
  });
});
