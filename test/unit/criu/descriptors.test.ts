// descriptors.json as runc writes it: Go's JSON for a []string, 0600.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { goJsonStringArray, writeDescriptorsJson } from '../../../src/criu/descriptors.ts';

describe('descriptors.json', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'ckpt-desc-test-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('matches Go\'s encoding, HTML-safe escapes and nil included', () => {
    assert.equal(goJsonStringArray(['pipe:[72167]', '/dev/null', 'socket:[9]']), '["pipe:[72167]","/dev/null","socket:[9]"]');
    assert.equal(goJsonStringArray(['/a<b>&c']), '["/a\\u003cb\\u003e\\u0026c"]');
    assert.equal(goJsonStringArray(null), 'null');
    assert.equal(goJsonStringArray([]), '[]');
  });

  it('is written 0600 into the images directory', async () => {
    await writeDescriptorsJson(dir, ['pipe:[1]', 'pipe:[2]', 'pipe:[3]']);
    const path = join(dir, 'descriptors.json');
    assert.equal(await readFile(path, 'utf8'), '["pipe:[1]","pipe:[2]","pipe:[3]"]');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('replaces an older file but never writes through a symlink', async () => {
    const other = join(dir, 'elsewhere');
    await writeFile(other, 'keep');
    const sub = await mkdtemp(join(dir, 'img-'));
    await symlink(other, join(sub, 'descriptors.json'));
    await assert.rejects(writeDescriptorsJson(sub, ['x']), (err: NodeJS.ErrnoException) => err.code === 'ELOOP');
    assert.equal(await readFile(other, 'utf8'), 'keep');
  });
});
