import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveInRoot } from '../../../src/runc/secure-join.ts';

describe('resolving a path inside a container root', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ckpt-sj-test-'));
    await mkdir(join(root, 'run/secrets'), { recursive: true });
    await symlink('/run', join(root, 'var-run'));
    await symlink('../../../../../../etc', join(root, 'escape'));
    await symlink('run/secrets', join(root, 'rel'));
    await symlink('loop2', join(root, 'loop1'));
    await symlink('loop1', join(root, 'loop2'));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  it('keeps plain and missing paths as they are, cleaned', async () => {
    assert.equal(await resolveInRoot(root, '/run/secrets/token'), '/run/secrets/token');
    assert.equal(await resolveInRoot(root, '//run/./secrets/'), '/run/secrets');
  });

  it('follows symlinks as if the root were /', async () => {
    assert.equal(await resolveInRoot(root, '/var-run/secrets'), '/run/secrets');
    assert.equal(await resolveInRoot(root, '/rel/x'), '/run/secrets/x');
  });

  it('never leaves the root', async () => {
    assert.equal(await resolveInRoot(root, '/escape/passwd'), '/etc/passwd');
    assert.equal(await resolveInRoot(root, '/../../etc'), '/etc');
  });

  it('gives up on symlink loops', async () => {
    await assert.rejects(resolveInRoot(root, '/loop1/x'), /too many symlinks/);
  });
});
