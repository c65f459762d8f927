// Reading runc's state.json: what is parsed from a real containerd state, and
// the path tricks that must not work.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RuncError } from '../../../src/runc/errors.ts';
import { annotations, bundleDir, parseRuncState, readRuncState } from '../../../src/runc/state.ts';
import { fakeContainer, fakeRuntime, fixtures, type FakeRuntime } from './fake-runtime.ts';

function reason(r: string) {
  return (err: unknown): boolean => err instanceof RuncError && err.reason === r;
}

describe('runc state parsing', () => {
  it('reads the fields a checkpoint needs from a containerd container\'s state', async () => {
    const s = parseRuncState(await readFile(join(fixtures, 'containerd-state.json'), 'utf8'));
    assert.equal(s.id, 'x1');
    assert.equal(s.initProcessPid, 28662);
    assert.equal(s.initProcessStart, 91959n);
    assert.equal(s.config.rootfs, '/run/containerd/io.containerd.runtime.v2.task/k8s.io/x1/rootfs');
    assert.equal(bundleDir(s), '/run/containerd/io.containerd.runtime.v2.task/k8s.io/x1');
    assert.equal(s.cgroupPaths.freezer, '/sys/fs/cgroup/freezer/k8s.io/x1');
    assert.equal(s.cgroupPaths[''], '/sys/fs/cgroup/unified/k8s.io/x1');
    assert.equal(s.namespacePaths.NEWNET, '/proc/28662/ns/net');
    assert.deepEqual(s.externalDescriptors, ['pipe:[72167]', 'pipe:[72168]', 'pipe:[72169]']);
    assert.ok(s.config.namespaces.every((n) => n.path === ''));
    assert.deepEqual(s.config.devices.map((d) => `${d.type} ${d.path}`), ['c /dev/null', 'c /dev/random', 'c /dev/full', 'c /dev/tty', 'c /dev/zero', 'c /dev/urandom']);
    assert.ok(s.config.maskPaths.includes('/proc/kcore'));
    assert.deepEqual(s.config.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/run']);
    assert.equal(s.config.cgroupsPath, '/k8s.io/x1');
  });

  it('sees namespaces joined from a sandbox and the annotations runc keeps as labels', async () => {
    const s = parseRuncState(await readFile(join(fixtures, 'joined-netns-state.json'), 'utf8'));
    const joined = Object.fromEntries(s.config.namespaces.filter((n) => n.path !== '').map((n) => [n.type, n.path]));
    assert.deepEqual(Object.keys(joined).sort(), ['NEWIPC', 'NEWNET', 'NEWUTS']);
    assert.match(joined.NEWNET ?? '', /^\/proc\/\d+\/ns\/net$/);
    assert.deepEqual(annotations(s), { 'io.kubernetes.cri.container-name': 'app', 'org.example.x': '<a&b>' });
  });

  it('refuses state that is not what runc writes', () => {
    assert.throws(() => parseRuncState('not json'), reason('InvalidRuncState'));
    assert.throws(() => parseRuncState('{"id":"x"}'), reason('InvalidRuncState'));
    assert.throws(() => parseRuncState('{"id":"x","init_process_pid":"1","init_process_start":1,"config":{"rootfs":"/"}}'), reason('InvalidRuncState'));
  });
});

describe('runc state files', () => {
  let rt: FakeRuntime;
  before(async () => {
    rt = await fakeRuntime();
    await fakeContainer(rt, { id: 'good', pid: 100, recordedStart: 2n ** 60n + 3n });
  });
  after(async () => { await rt.cleanup(); });

  it('reads <root>/<id>/state.json with an exact start time', async () => {
    const f = await readRuncState(rt.root, 'good');
    assert.equal(f.state.initProcessStart, 2n ** 60n + 3n);
    assert.equal(f.stateDir, join(rt.root, 'good'));
    assert.equal(f.execFifoPresent, false);
  });

  it('notices exec.fifo', async () => {
    await fakeContainer(rt, { id: 'fresh', pid: 101, recordedStart: 1, execFifo: true });
    assert.equal((await readRuncState(rt.root, 'fresh')).execFifoPresent, true);
  });

  it('refuses IDs that are paths', async () => {
    await assert.rejects(readRuncState(rt.root, '../runc/good'), reason('InvalidContainerId'));
    await assert.rejects(readRuncState(rt.root, '..'), reason('InvalidContainerId'));
  });

  it('reports a missing container or state file as not found', async () => {
    await assert.rejects(readRuncState(rt.root, 'absent'), reason('ContainerNotFound'));
    await mkdir(join(rt.root, 'empty'));
    await assert.rejects(readRuncState(rt.root, 'empty'), reason('ContainerNotFound'));
  });

  it('never follows a symlinked state directory', async () => {
    await symlink(join(rt.root, 'good'), join(rt.root, 'linked'));
    await assert.rejects(readRuncState(rt.root, 'linked'), reason('UnsafeStatePath'));
  });

  it('never follows a symlinked state.json', async () => {
    await mkdir(join(rt.root, 'trap'));
    await symlink(join(rt.root, 'good', 'state.json'), join(rt.root, 'trap', 'state.json'));
    await assert.rejects(readRuncState(rt.root, 'trap'), reason('UnsafeStatePath'));
  });

  it('refuses a state directory that is a file, or a state.json that is not a regular file', async () => {
    await writeFile(join(rt.root, 'afile'), '{}');
    await assert.rejects(readRuncState(rt.root, 'afile'), reason('UnsafeStatePath'));
    await mkdir(join(rt.root, 'dirstate', 'state.json'), { recursive: true });
    await assert.rejects(readRuncState(rt.root, 'dirstate'), reason('UnsafeStatePath'));
    await rm(join(rt.root, 'dirstate'), { recursive: true });
  });
});
