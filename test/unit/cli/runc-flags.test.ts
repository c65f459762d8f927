import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlagError, optionsFromFlags, parsePageServer } from '../../../src/cli/plugin/runc-flags.ts';
import { age, humanBytes } from '../../../src/cli/plugin/format.ts';

describe('runc flags', () => {
  it('parse ADDRESS:PORT as runc does, with its messages', () => {
    assert.deepEqual(parsePageServer('10.0.0.1:8000'), { address: '10.0.0.1', port: 8000 });
    assert.deepEqual(parsePageServer('[fd00::1]:9000'), { address: 'fd00::1', port: 9000 });
    assert.throws(() => parsePageServer('10.0.0.1'), /Use --page-server ADDRESS:PORT/);
    assert.throws(() => parsePageServer('10.0.0.1:http'), /Invalid port number/);
  });
  it('map every flag to an option', () => {
    assert.deepEqual(optionsFromFlags({
      'leave-running': 'false', 'tcp-established': true, 'ext-unix-sk': true, 'shell-job': true, 'file-locks': true,
      'manage-cgroups-mode': 'full', 'empty-ns': ['network'], 'page-server': 'a:1', 'image-path': 'i', 'work-path': 'w',
    }), {
      leaveRunning: false, tcpEstablished: true, extUnixSk: true, shellJob: true, fileLocks: true,
      manageCgroupsMode: 'Full', emptyNamespaces: ['Network'], pageServer: { address: 'a', port: 1 }, imagePath: 'i', workPath: 'w',
    });
  });
  it('refuse what runc refuses', () => {
    assert.throws(() => optionsFromFlags({ 'manage-cgroups-mode': 'partial' }), /Invalid manage cgroups mode/);
    assert.throws(() => optionsFromFlags({ 'empty-ns': ['pid'] }), FlagError);
    assert.throws(() => optionsFromFlags({ 'leave-running': 'maybe' }), FlagError);
  });
});

describe('format', () => {
  it('prints sizes and ages like kubectl', () => {
    assert.equal(humanBytes('1536'), '1.5KiB');
    assert.equal(humanBytes(64 * 2 ** 20), '64MiB');
    assert.equal(age('2026-01-01T00:00:00Z', new Date('2026-01-01T00:00:42Z')), '42s');
    assert.equal(age('2026-01-01T00:00:00Z', new Date('2026-01-01T03:00:00Z')), '3h');
    assert.equal(age('2026-01-01T00:00:00Z', new Date('2026-01-03T00:00:00Z')), '2d');
  });
});
