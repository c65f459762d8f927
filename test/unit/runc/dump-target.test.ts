// How a resolved container becomes the description the CRIU request is built
// from: joined namespaces, bind and cgroup mounts, masked files, devices.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RuncContainer } from '../../../src/runc/container.ts';
import { describeDumpTarget, freezeCgroupOf } from '../../../src/runc/dump-target.ts';
import { parseRuncState, type RuncState } from '../../../src/runc/state.ts';
import { fakeRuntime, fixtures, type FakeRuntime } from './fake-runtime.ts';

describe('dump target of a runc container', () => {
  let rt: FakeRuntime;
  let state: RuncState;
  const pid = 321;
  before(async () => {
    rt = await fakeRuntime();
    state = parseRuncState(await readFile(join(fixtures, 'joined-netns-state.json'), 'utf8'));
    const proc = join(rt.proc, String(pid));
    const root = join(proc, 'root');
    await mkdir(join(proc, 'ns'), { recursive: true });
    await writeFile(join(proc, 'ns', 'net'), '');
    await writeFile(join(proc, 'ns', 'pid'), '');
    // The container's filesystem: a masked file, a masked directory, a symlinked mount target.
    await mkdir(join(root, 'proc', 'acpi'), { recursive: true });
    await writeFile(join(root, 'proc', 'keys'), '');
    await mkdir(join(root, 'run', 'secrets'), { recursive: true });
    await symlink('/run', join(root, 'var-run'));
    await writeFile(join(proc, 'mountinfo'), [
      '99 46 0:44 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
      '120 99 0:60 /k8s.io/c /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory',
      '121 99 0:61 /k8s.io/c /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct',
      '122 99 0:62 / /sys/fs/cgroup/unified ro - cgroup2 cgroup2 rw',
      '123 99 0:63 / /elsewhere ro - cgroup cgroup rw,pids',
      '',
    ].join('\n'));
  });
  after(async () => { await rt.cleanup(); });

  function container(s: RuncState): RuncContainer {
    return { id: s.id, root: rt.root, stateDir: join(rt.root, s.id), state: s, status: 'running', pid };
  }

  it('takes pid, rootfs, labels and the freezer cgroup from the state', async () => {
    const t = await describeDumpTarget(container(state), { procRoot: rt.proc });
    assert.equal(t.pid, pid);
    assert.equal(t.rootfs, state.config.rootfs);
    assert.deepEqual(t.labels, state.config.labels);
    assert.equal(t.freezeCgroup, state.cgroupPaths.freezer);
    assert.deepEqual(t.devices, ['/dev/null', '/dev/random', '/dev/full', '/dev/tty', '/dev/zero', '/dev/urandom']);
  });

  it('marks the joined network namespace external with the inode the container sees', async () => {
    const t = await describeDumpTarget(container(state), { procRoot: rt.proc });
    const ino = (await stat(join(rt.proc, String(pid), 'ns', 'net'), { bigint: true })).ino;
    assert.deepEqual(t.externalNamespaces, [{ type: 'net', inode: ino }]);
  });

  it('lists only masked paths that are files in the container', async () => {
    const t = await describeDumpTarget(container(state), { procRoot: rt.proc });
    assert.deepEqual(t.maskedFiles, ['/proc/keys']);
  });

  it('resolves bind mount destinations inside the rootfs and expands a v1 cgroup mount into its hierarchies', async () => {
    const s: RuncState = {
      ...state,
      config: {
        ...state.config,
        mounts: [
          ...state.config.mounts,
          { source: '/var/lib/kubelet/pods/x/volumes/token', destination: '/var-run/secrets', device: 'bind', flags: 0, data: '' },
          { source: '/var/lib/kubelet/pods/x/etc-hosts', destination: '/etc/hosts', device: 'bind', flags: 0, data: '' },
          { source: 'cgroup', destination: '/sys/fs/cgroup', device: 'cgroup', flags: 0, data: '' },
        ],
      },
    };
    const t = await describeDumpTarget(container(s), { procRoot: rt.proc });
    assert.deepEqual(t.bindMounts, ['/run/secrets', '/etc/hosts', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu,cpuacct']);
  });

  it('leaves a cgroup mount alone with a cgroup namespace or on a unified host', async () => {
    const cgroupMount = { source: 'cgroup', destination: '/sys/fs/cgroup', device: 'cgroup', flags: 0, data: '' };
    const withNs: RuncState = { ...state, config: { ...state.config, mounts: [cgroupMount], namespaces: [...state.config.namespaces, { type: 'NEWCGROUP', path: '' }] } };
    assert.deepEqual((await describeDumpTarget(container(withNs), { procRoot: rt.proc })).bindMounts, []);
    const unified: RuncState = { ...state, cgroupPaths: { '': '/sys/fs/cgroup/k8s.io/c' }, config: { ...state.config, mounts: [cgroupMount] } };
    const t = await describeDumpTarget(container(unified), { procRoot: rt.proc });
    assert.deepEqual(t.bindMounts, []);
    assert.equal(t.freezeCgroup, '/sys/fs/cgroup/k8s.io/c');
  });

  it('names the freezer cgroup CRIU should use', () => {
    assert.equal(freezeCgroupOf({ freezer: '/f', '': '/u' }), '/f');
    assert.equal(freezeCgroupOf({ '': '/u' }), '/u');
    assert.equal(freezeCgroupOf({}), undefined);
  });
});
