// Each runc checkpoint option and each container property changes the CRIU
// request the way runc's libcontainer Checkpoint() would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDumpRequest, criuConfigFile, DumpOptionError, externalNamespaceKey, type DumpTarget } from '../../../src/criu/dump-request.ts';
import { decodeCriuReq, encodeCriuReq } from '../../../src/criu/rpc-messages.ts';

const target: DumpTarget = {
  pid: 4242,
  rootfs: '/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/rootfs',
  labels: ['bundle=/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1'],
  freezeCgroup: '/sys/fs/cgroup/freezer/k8s.io/c1',
  externalNamespaces: [],
  bindMounts: [],
  devices: [],
  maskedFiles: [],
};

describe('dump request: what runc sends for any container', () => {
  const { type, opts } = buildDumpRequest(target);

  it('is a DUMP of the init pid with the container rootfs as root', () => {
    assert.equal(type, 'DUMP');
    assert.equal(opts.pid, 4242);
    assert.equal(opts.root, target.rootfs);
  });

  it('logs verbosely to dump.log, asks for notify scripts and an orphan pts master', () => {
    assert.equal(opts.logLevel, 4);
    assert.equal(opts.logFile, 'dump.log');
    assert.equal(opts.notifyScripts, true);
    assert.equal(opts.orphanPtsMaster, true);
  });

  it('manages cgroups in CRIU\'s default mode and freezes through the freezer cgroup', () => {
    assert.equal(opts.manageCgroups, true);
    assert.equal(opts.manageCgroupsMode, 'DEFAULT');
    assert.equal(opts.freezeCgroup, '/sys/fs/cgroup/freezer/k8s.io/c1');
  });

  it('stops the container after the dump unless told otherwise, and sets every flag explicitly', () => {
    assert.equal(opts.leaveRunning, false);
    for (const k of ['tcpEstablished', 'extUnixSk', 'shellJob', 'fileLocks', 'tcpSkipInFlight', 'linkRemap', 'autoDedup'] as const) {
      assert.equal(opts[k], false, k);
    }
    // runc always asks for an empty network namespace (setEmptyNsMask).
    assert.equal(opts.emptyNs, 0x40000000);
  });

  it('points CRIU at runc\'s configuration file', () => {
    assert.equal(opts.configFile, '/etc/criu/runc.conf');
  });

  it('has no page server, parent, memory tracking, external namespaces or mounts', () => {
    for (const k of ['ps', 'parentImg', 'trackMem', 'external', 'extMnt', 'timeout'] as const) assert.equal(opts[k], undefined, k);
  });

  it('leaves the directory fds to the caller, and encodes once they are set', () => {
    assert.equal('imagesDirFd' in opts, false);
    const wire = decodeCriuReq(encodeCriuReq({ type, opts: { ...opts, imagesDirFd: 9, workDirFd: 10 } }));
    assert.ok(wire.opts !== undefined);
    assert.equal(wire.opts.imagesDirFd, 9);
    assert.equal(wire.opts.workDirFd, 10);
    assert.equal(wire.opts.manageCgroupsMode, 'DEFAULT');
  });
});

describe('dump request: the container', () => {
  it('marks a joined network namespace external under runc\'s key', () => {
    const { opts } = buildDumpRequest({ ...target, externalNamespaces: [{ type: 'net', inode: 4026532301n }] });
    assert.deepEqual(opts.external, ['net[4026532301]:extRootNetNS']);
  });

  it('marks a joined pid namespace external too, as runc does', () => {
    assert.equal(externalNamespaceKey({ type: 'pid', inode: 4026531836 }), 'pid[4026531836]:extRootPidNS');
  });

  it('maps bind mounts and devices to themselves and masked files to /dev/null, bind mounts first', () => {
    const { opts } = buildDumpRequest({
      ...target,
      bindMounts: ['/etc/hosts', '/var/run/secrets/kubernetes.io/serviceaccount', '/sys/fs/cgroup/memory'],
      devices: ['/dev/null', '/dev/zero'],
      maskedFiles: ['/proc/keys'],
    });
    assert.deepEqual(opts.extMnt, [
      { key: '/etc/hosts', val: '/etc/hosts' },
      { key: '/var/run/secrets/kubernetes.io/serviceaccount', val: '/var/run/secrets/kubernetes.io/serviceaccount' },
      { key: '/sys/fs/cgroup/memory', val: '/sys/fs/cgroup/memory' },
      { key: '/proc/keys', val: '/dev/null' },
      { key: '/dev/null', val: '/dev/null' },
      { key: '/dev/zero', val: '/dev/zero' },
    ]);
  });

  it('lists a mount point once', () => {
    const { opts } = buildDumpRequest({ ...target, bindMounts: ['/dev/null'], devices: ['/dev/null'] });
    assert.deepEqual(opts.extMnt, [{ key: '/dev/null', val: '/dev/null' }]);
  });

  it('lets CRIU stop tasks with ptrace when there is no freezer cgroup', () => {
    const noFreezer: DumpTarget = { ...target };
    delete noFreezer.freezeCgroup;
    assert.equal(buildDumpRequest(noFreezer).opts.freezeCgroup, undefined);
  });

  it('follows the org.criu.config annotation for CRIU\'s configuration file', () => {
    assert.equal(criuConfigFile(['org.criu.config=/etc/criu/custom.conf']), '/etc/criu/custom.conf');
    assert.equal(criuConfigFile(['org.criu.config=']), undefined);
    assert.equal(buildDumpRequest({ ...target, labels: ['org.criu.config='] }).opts.configFile, undefined);
  });

  it('refuses an org.criu.config outside /etc/criu: a CRIU configuration can run scripts as root', () => {
    for (const path of ['/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/rootfs/tmp/evil.conf', '/etc/criu/../shadow', 'relative.conf', '/etc/criu']) {
      assert.throws(() => buildDumpRequest({ ...target, labels: [`org.criu.config=${path}`] }),
        (err: unknown) => err instanceof DumpOptionError && err.reason === 'ConfigFileNotAllowed', path);
    }
  });
});

describe('dump request: runc checkpoint options', () => {
  const cases: [string, Parameters<typeof buildDumpRequest>[1], Record<string, unknown>][] = [
    ['--leave-running', { leaveRunning: true }, { leaveRunning: true }],
    ['--tcp-established', { tcpEstablished: true }, { tcpEstablished: true }],
    ['--ext-unix-sk', { extUnixSk: true }, { extUnixSk: true }],
    ['--shell-job', { shellJob: true }, { shellJob: true }],
    ['--file-locks', { fileLocks: true }, { fileLocks: true }],
    ['--tcp-skip-in-flight', { tcpSkipInFlight: true }, { tcpSkipInFlight: true }],
    ['--link-remap', { linkRemap: true }, { linkRemap: true }],
    ['--auto-dedup', { autoDedup: true }, { autoDedup: true }],
    ['--page-server', { pageServer: { address: '10.0.0.5', port: 27000 } }, { ps: { address: '10.0.0.5', port: 27000 } }],
    ['--manage-cgroups-mode soft', { manageCgroupsMode: 'soft' }, { manageCgroupsMode: 'SOFT' }],
    ['--manage-cgroups-mode full', { manageCgroupsMode: 'full' }, { manageCgroupsMode: 'FULL' }],
    ['--manage-cgroups-mode strict', { manageCgroupsMode: 'strict' }, { manageCgroupsMode: 'STRICT' }],
    ['--manage-cgroups-mode ignore', { manageCgroupsMode: 'ignore' }, { manageCgroupsMode: 'IGNORE' }],
    ['--parent-path', { parentImage: '../pre1' }, { parentImg: '../pre1', trackMem: true }],
    ['track memory', { trackMem: true }, { trackMem: true }],
    ['log level', { logLevel: 2 }, { logLevel: 2 }],
    ['log file', { logFile: 'checkpoint.log' }, { logFile: 'checkpoint.log' }],
    ['CRIU timeout', { criuTimeoutSeconds: 30 }, { timeout: 30 }],
  ];
  for (const [name, options, expected] of cases) {
    it(`${name} sets ${Object.keys(expected).join(', ')}`, () => {
      const base = buildDumpRequest(target).opts as Record<string, unknown>;
      const { opts } = buildDumpRequest(target, options);
      const changed = Object.fromEntries(Object.entries(opts).filter(([k, v]) => JSON.stringify(base[k]) !== JSON.stringify(v)));
      assert.deepEqual(changed, expected);
    });
  }

  it('--empty-ns network changes nothing: runc empties the network namespace in every dump', () => {
    assert.deepEqual(buildDumpRequest(target, { emptyNamespaces: ['network'] }), buildDumpRequest(target));
  });

  it('--pre-dump makes a PRE_DUMP that leaves the container running and skips mounts like runc', () => {
    const { type, opts } = buildDumpRequest({ ...target, bindMounts: ['/etc/hosts'], devices: ['/dev/null'] }, { preDump: true });
    assert.equal(type, 'PRE_DUMP');
    assert.equal(opts.leaveRunning, true);
    assert.equal(opts.extMnt, undefined);
    // CRIU tracks memory for a pre-dump by itself; runc does not set track_mem.
    assert.equal(opts.trackMem, undefined);
  });

  it('refuses what runc refuses', () => {
    const bad: Parameters<typeof buildDumpRequest>[1][] = [
      { pageServer: { address: '10.0.0.5', port: 0 } },
      { pageServer: { address: '10.0.0.5', port: 70000 } },
      { pageServer: { address: '10.0.0.5', port: 1.5 } },
      { pageServer: { address: '', port: 27000 } },
      { emptyNamespaces: ['pid'] },
      { logLevel: 7 },
      { logFile: '../escape.log' },
      { parentImage: '/abs/parent' },
      { preDump: true, leaveRunning: false },
      { criuTimeoutSeconds: 0 },
    ];
    for (const options of bad) {
      assert.throws(() => buildDumpRequest(target, options), DumpOptionError, JSON.stringify(options));
    }
  });
});
