// The freezer helper on fake cgroup files (the kernel's transitions are
// covered by the node tests): what it reads, what it writes, how it ends.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RuncError } from '../../../src/runc/errors.ts';
import { Freezer } from '../../../src/runc/freezer.ts';
import { fakeRuntime, type FakeRuntime } from './fake-runtime.ts';

describe('freezer', () => {
  let rt: FakeRuntime;
  before(async () => { rt = await fakeRuntime(); });
  after(async () => { await rt.cleanup(); });

  async function v1(name: string, state: string, self = '1'): Promise<Freezer> {
    const dir = join(rt.fsRoot, 'sys/fs/cgroup/freezer', name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'freezer.state'), `${state}\n`);
    await writeFile(join(dir, 'freezer.self_freezing'), `${self}\n`);
    return new Freezer('v1', dir);
  }

  async function v2(name: string, freeze: string, frozen: string): Promise<Freezer> {
    const dir = join(rt.fsRoot, 'sys/fs/cgroup', name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'cgroup.freeze'), `${freeze}\n`);
    await writeFile(join(dir, 'cgroup.events'), `populated 1\nfrozen ${frozen}\n`);
    return new Freezer('v2', dir);
  }

  it('picks the v1 freezer on v1 and hybrid hosts, the unified cgroup on v2', () => {
    const hybrid = Freezer.fromCgroupPaths({ freezer: '/sys/fs/cgroup/freezer/k8s.io/a', '': '/sys/fs/cgroup/unified/k8s.io/a' }, '/host');
    assert.deepEqual(hybrid && { version: hybrid.version, dir: hybrid.dir }, { version: 'v1', dir: '/host/sys/fs/cgroup/freezer/k8s.io/a' });
    const unified = Freezer.fromCgroupPaths({ '': '/sys/fs/cgroup/k8s.io/a' });
    assert.deepEqual(unified && { version: unified.version, dir: unified.dir }, { version: 'v2', dir: '/sys/fs/cgroup/k8s.io/a' });
    assert.equal(Freezer.fromCgroupPaths({}), undefined);
  });

  it('reads v1 states and counts only a self-frozen cgroup as paused', async () => {
    assert.equal(await (await v1('a', 'THAWED', '0')).state(), 'THAWED');
    const frozen = await v1('b', 'FROZEN', '1');
    assert.equal(await frozen.state(), 'FROZEN');
    assert.equal(await frozen.isPaused(), true);
    assert.equal(await (await v1('c', 'FROZEN', '0')).isPaused(), false, 'frozen through a parent only');
  });

  it('reads v2 states', async () => {
    assert.equal(await (await v2('d', '0', '0')).state(), 'THAWED');
    assert.equal(await (await v2('e', '1', '0')).state(), 'FREEZING');
    const f = await v2('f', '1', '1');
    assert.equal(await f.state(), 'FROZEN');
    assert.equal(await f.isPaused(), true);
  });

  it('thaws a frozen v1 cgroup by writing THAWED', async () => {
    const f = await v1('g', 'FROZEN');
    assert.equal(await f.ensureThawed(), 'thawed');
    assert.equal((await readFile(join(f.dir, 'freezer.state'), 'utf8')).trim(), 'THAWED');
    assert.equal(await f.ensureThawed(), 'not-frozen');
  });

  it('thaws a frozen v2 cgroup by writing 0 to cgroup.freeze', async () => {
    const f = await v2('h', '1', '1');
    assert.equal(await f.ensureThawed(), 'thawed');
    assert.equal((await readFile(join(f.dir, 'cgroup.freeze'), 'utf8')).trim(), '0');
  });

  it('treats a vanished cgroup as a gone container, not an error', async () => {
    const f = await v1('i', 'FROZEN');
    await rm(f.dir, { recursive: true });
    assert.equal(await f.state(), 'gone');
    assert.equal(await f.ensureThawed(), 'gone');
    assert.equal(await f.isPaused(), false);
  });

  it('reports FreezerFailed when the freezer cannot be written', async () => {
    const f = await v1('j', 'FROZEN');
    await rm(join(f.dir, 'freezer.state'));
    await mkdir(join(f.dir, 'freezer.state'));
    await assert.rejects(f.thaw(300), (err: unknown) => err instanceof RuncError && err.reason === 'FreezerFailed');
  });
});
