// From the API's CheckpointOptions to CRIU: each option the agent reads
// from a ContainerCheckpoint changes the CRIU request the way the runc flag
// of the same name would, the directories land where the spec says, below
// the archive root, and every failure ends in a documented reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckpointOptions } from '../../../src/api/checkpoint-options.ts';
import { failureReasons } from '../../../src/api/conditions.ts';
import { PathEscapeError, PathInUseError } from '../../../src/agent/archive/archive-root.ts';
import { containerDirs, criuOptions } from '../../../src/agent/pipeline/container-dump.ts';
import { DumpFailure, toDumpFailure } from '../../../src/agent/pipeline/dump-failure.ts';
import { chosenDirs } from '../../../src/agent/worker/layout.ts';
import type { Ckpt } from '../../../src/agent/worker/status-updater.ts';
import { buildDumpRequest, DumpOptionError, type DumpTarget } from '../../../src/criu/dump-request.ts';
import { CriuError, criuFailureReasons } from '../../../src/criu/errors.ts';
import { RuncError, runcFailureReasons } from '../../../src/runc/errors.ts';

const target: DumpTarget = {
  pid: 4242,
  rootfs: '/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/rootfs',
  labels: ['bundle=/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1'],
  freezeCgroup: '/sys/fs/cgroup/freezer/k8s.io/c1',
  externalNamespaces: [{ type: 'net', inode: 4026532300n }],
  bindMounts: ['/etc/hosts'],
  devices: ['/dev/null'],
  maskedFiles: ['/proc/kcore'],
};

/** The request CRIU gets for a spec's options (page server already checked). */
function requestFor(o: CheckpointOptions, pageServerAddress?: string, parentImage?: string): ReturnType<typeof buildDumpRequest>['opts'] {
  return buildDumpRequest(target, criuOptions(o, pageServerAddress, 4, parentImage)).opts;
}

describe('CheckpointOptions to the CRIU request', () => {
  it('defaults: leave running, nothing widened, CRIU\'s default cgroups mode as runc sends it, verbose log', () => {
    const opts = requestFor({});
    assert.equal(opts.leaveRunning, true);
    for (const k of ['tcpEstablished', 'extUnixSk', 'shellJob', 'fileLocks'] as const) assert.equal(opts[k], false, k);
    assert.equal(opts.manageCgroupsMode, 'DEFAULT');
    assert.equal(opts.emptyNs, 0x40000000, 'an empty network namespace, as runc always asks');
    assert.equal(opts.ps, undefined);
    assert.equal(opts.logLevel, 4);
    // What runc adds for any container is still there.
    assert.deepEqual(opts.external, ['net[4026532300]:extRootNetNS']);
    assert.equal(opts.freezeCgroup, '/sys/fs/cgroup/freezer/k8s.io/c1');
  });

  it('leaveRunning false stops the container after the dump', () => {
    assert.equal(requestFor({ leaveRunning: false }).leaveRunning, false);
    assert.equal(requestFor({ leaveRunning: true }).leaveRunning, true);
  });

  const flags: [keyof CheckpointOptions, 'tcpEstablished' | 'extUnixSk' | 'shellJob' | 'fileLocks'][] = [
    ['tcpEstablished', 'tcpEstablished'], ['extUnixSk', 'extUnixSk'], ['shellJob', 'shellJob'], ['fileLocks', 'fileLocks'],
  ];
  for (const [option, field] of flags) {
    it(`${option} sets ${field} and nothing else`, () => {
      const opts = requestFor({ [option]: true });
      assert.equal(opts[field], true);
      for (const [, other] of flags) if (other !== field) assert.equal(opts[other], false, other);
      assert.equal(opts.leaveRunning, true);
    });
  }

  it('manageCgroupsMode maps each API word to CRIU\'s mode', () => {
    for (const [mode, wire] of [['Soft', 'SOFT'], ['Full', 'FULL'], ['Strict', 'STRICT'], ['Ignore', 'IGNORE']] as const) {
      assert.equal(requestFor({ manageCgroupsMode: mode }).manageCgroupsMode, wire);
    }
  });

  it('emptyNamespaces Network: an empty network namespace (CLONE_NEWNET), which runc, and so the agent, asks for anyway', () => {
    assert.equal(requestFor({ emptyNamespaces: ['Network'] }).emptyNs, 0x40000000);
    assert.equal(requestFor({ emptyNamespaces: [] }).emptyNs, 0x40000000);
  });

  it('a page server goes to CRIU as the checked address, never as the spec wrote it', () => {
    const opts = requestFor({ pageServer: { address: 'pages.example', port: 9000 } }, '10.0.0.7');
    assert.deepEqual(opts.ps, { address: '10.0.0.7', port: 9000 });
  });

  it('refuses a page server that was not checked against the allowlist', () => {
    assert.throws(() => criuOptions({ pageServer: { address: '10.0.0.7', port: 9000 } }, undefined, 4),
      (err: unknown) => err instanceof DumpFailure && err.reason === failureReasons.pageServerNotAllowed);
  });

  it('preDump makes a PRE_DUMP request that leaves the container running', () => {
    const r = buildDumpRequest(target, criuOptions({ preDump: true }, undefined, 4));
    assert.equal(r.type, 'PRE_DUMP');
    assert.equal(r.opts.leaveRunning, true);
    assert.equal(r.opts.extMnt, undefined);
  });

  it('parentCheckpoint sends the parent\'s images, relative to the images directory, and tracks memory', () => {
    const opts = requestFor({ parentCheckpoint: 'base' }, undefined, '../../../base-0123abcd/app/checkpoint');
    assert.equal(opts.parentImg, '../../../base-0123abcd/app/checkpoint');
    assert.equal(opts.trackMem, true);
    assert.throws(() => criuOptions({ parentCheckpoint: 'base' }, undefined, 4),
      (err: unknown) => err instanceof DumpFailure && err.reason === failureReasons.parentNotFound);
  });

  it('the agent\'s log level reaches CRIU', () => {
    assert.equal(buildDumpRequest(target, criuOptions({}, undefined, 2)).opts.logLevel, 2);
  });
});

describe('where a container\'s images and work files go', () => {
  const base = 'shop/first-0123abcd';

  it('by default: work directory per container in the checkpoint\'s directory, images inside it', () => {
    assert.deepEqual(containerDirs(base, 'app', {}), { images: `${base}/app/checkpoint`, work: `${base}/app`, userChosen: false });
  });

  it('imagePath and workPath are relative to the archive root, one directory per container', () => {
    assert.deepEqual(containerDirs(base, 'app', { imagePath: 'keep/images', workPath: 'keep/work' }),
      { images: 'keep/images/app', work: 'keep/work/app', userChosen: true });
  });

  it('one of them alone keeps the other in the checkpoint\'s directory', () => {
    assert.deepEqual(containerDirs(base, 'app', { imagePath: 'keep/images' }),
      { images: 'keep/images/app', work: `${base}/app/work/app`, userChosen: true });
    assert.deepEqual(containerDirs(base, 'app', { workPath: 'keep/work' }),
      { images: `${base}/app/checkpoint/app`, work: 'keep/work/app', userChosen: true });
  });

  it('cleanup looks at the chosen directories outside the checkpoint\'s own, per container', () => {
    const c = {
      metadata: { namespace: 'shop', name: 'first', uid: '0123abcd-0000' },
      spec: { podName: 'web', options: { imagePath: 'keep/images' } },
      status: { containers: [{ name: 'app', containerID: 'containerd://a' }, { name: 'side', containerID: 'containerd://b' }] },
    } as unknown as Ckpt;
    assert.deepEqual(chosenDirs(c), ['keep/images/app', 'keep/images/side']);
    assert.deepEqual(chosenDirs({ ...c, spec: { podName: 'web' } }), []);
  });
});

describe('failure reasons', () => {
  const documented = new Set<string>(Object.values(failureReasons));

  it('every runc and CRIU cause maps to a documented reason, and the container keeps the finer one', () => {
    for (const r of runcFailureReasons) {
      const f = toDumpFailure(new RuncError(r, 'x'));
      assert.ok(documented.has(f.reason), `${r} -> ${f.reason}`);
      assert.ok(f.containerReason === r || f.containerReason === f.reason);
    }
    for (const r of criuFailureReasons) {
      const f = toDumpFailure(new CriuError(r, 'x'));
      assert.ok(documented.has(f.reason), `${r} -> ${f.reason}`);
    }
  });

  const cases: [string, unknown, string, string?][] = [
    ['a created container', new RuncError('ContainerCreated', 'x'), 'ContainerCreated'],
    ['a reused PID', new RuncError('PidReused', 'x'), 'PidReused'],
    ['a container gone before the dump', new RuncError('ContainerNotFound', 'x'), 'ContainerGone', 'ContainerNotFound'],
    ['a stopped container', new RuncError('ContainerStopped', 'x'), 'ContainerNotRunning', 'ContainerStopped'],
    ['a symlinked state directory', new RuncError('UnsafeStatePath', 'x'), 'PathEscape', 'UnsafeStatePath'],
    ['a container gone mid-dump', new CriuError('ContainerGone', 'x'), 'ContainerGone'],
    ['held file locks', new CriuError('FileLocksHeld', 'x'), 'CriuFailed', 'FileLocksHeld'],
    ['a CRIU timeout', new CriuError('CriuTimeout', 'x'), 'CriuTimeout'],
    ['a cancelled dump', new CriuError('CriuAborted', 'x'), 'AgentRestarted', 'CriuAborted'],
    ['an unreachable page server', new CriuError('PageServerUnreachable', 'x'), 'PageServerUnreachable'],
    ['CRIU out of space', new CriuError('DiskFull', 'x'), 'DiskFull'],
    ['the archive out of space', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 'DiskFull'],
    ['a planted symlink', new PathEscapeError('x'), 'PathEscape'],
    ['a directory another checkpoint made', new PathInUseError('keep/app already exists'), 'InvalidSpec', 'PathInUse'],
    ['a bad option', new DumpOptionError('x'), 'InvalidSpec', 'InvalidDumpOption'],
    ['a CRIU config file outside /etc/criu', new DumpOptionError('x', 'ConfigFileNotAllowed'), 'NotPermitted', 'ConfigFileNotAllowed'],
    ['anything else', new Error('tar broke'), 'ArchiveFailed'],
  ];
  for (const [what, err, reason, detail] of cases) {
    it(`${what}: ${reason}${detail === undefined ? '' : ` (${detail})`}`, () => {
      const f = toDumpFailure(err);
      assert.equal(f.reason, reason);
      assert.equal(f.containerReason, detail ?? reason);
    });
  }

  it('keeps the tail of CRIU\'s log and what was undone in the message', () => {
    const f = toDumpFailure(new CriuError('CriuTimeout', 'CRIU did not finish', { logTail: 'last line', cleanup: 'container freezer: thawed' }));
    assert.match(f.message, /CRIU did not finish \(container freezer: thawed\)\n--- dump.log \(tail\) ---\nlast line/);
  });
});
