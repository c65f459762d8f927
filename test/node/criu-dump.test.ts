// Dumps through `criu swrk` on the real node: CRIU 4.1.1 runs inside the node
// root (nsenter into containerd's mount namespace, CRIU_FAULT=130 from the
// node's environment), the images directory is handed over as an fd.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriuError } from '../../src/criu/errors.ts';
import { readCriuImage } from '../../src/criu/image.ts';
import type { CriuRunner } from '../../src/criu/swrk.ts';
import { criuCheck, criuFeatures, criuVersion } from '../../src/criu/version.ts';
import { checkpointContainer } from '../../src/runc/checkpoint.ts';
import { resolveContainer, type RuncContainer } from '../../src/runc/container.ts';
import { RuncError } from '../../src/runc/errors.ts';
import { Freezer } from '../../src/runc/freezer.ts';
import { runcRoot, TestNode } from '../support/node.ts';
import { ticks, ticksAfter } from '../support/workload.ts';

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<CriuError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CriuError, `expected a CriuError, got ${String(err)}`);
    assert.equal(err.reason, reason, `${err.message}\n${err.details.logTail ?? ''}`);
    return err;
  }
  assert.fail(`expected a ${reason} failure`);
}

describe('CRIU dumps through swrk on the node', () => {
  let node: TestNode;
  let fsRoot: string;
  let runner: CriuRunner;
  let n = 0;

  /** Fresh images and work directories under the share (host view). */
  async function dirs(name: string): Promise<{ imagesDir: string; workDir: string }> {
    const base = join(node.info.share, `${name}-${++n}`);
    const imagesDir = join(base, 'images');
    const workDir = join(base, 'work');
    await mkdir(imagesDir, { recursive: true, mode: 0o700 });
    await mkdir(workDir, { mode: 0o700 });
    return { imagesDir, workDir };
  }

  async function resolve(id: string): Promise<RuncContainer> {
    return resolveContainer(join(fsRoot, runcRoot), id, { fsRoot });
  }

  /** The container runs, its cgroup is thawed, and it keeps working. */
  async function assertRunningAndThawed(c: RuncContainer): Promise<void> {
    const freezer = Freezer.fromCgroupPaths(c.state.cgroupPaths, fsRoot);
    assert.ok(freezer !== undefined);
    assert.equal(await freezer.state(), 'THAWED');
    assert.equal((await resolve(c.id)).status, 'running');
    await ticksAfter(node, c.pid, await ticks(node, c.pid));
  }

  before(async () => {
    node = await TestNode.start();
    fsRoot = `/proc/${node.info.pid}/root`;
    runner = { command: [...node.enterArgv(), 'criu'], env: node.info.criuEnv };
  });
  after(async () => { await node.stop(); });

  it('reports its version and passes its own check', async () => {
    const v = await criuVersion({ runner });
    assert.equal(`${v.majorNumber}.${v.minorNumber}`, '4.1');
    const check = await criuCheck({ runner });
    assert.equal(check.ok, true, check.message);
  });

  it('dumps a running container with leave-running: statistics, images, and it keeps ticking', async () => {
    const pid = await node.runContainer({ id: 'cd-mem', args: ['/bin/workload', 'mem', '64'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-mem');
    const { imagesDir, workDir } = await dirs('cd-mem');
    const answered: string[] = [];
    const r = await checkpointContainer({
      container: c, imagesDir, workDir, options: { leaveRunning: true }, runner, timeoutMs: 120_000, fsRoot,
      onNotify: (msg) => { answered.push(msg.script ?? ''); },
    });

    // Every notification CRIU sent was answered, in CRIU's order.
    assert.deepEqual(r.notifications, answered);
    for (const script of ['pre-dump', 'network-lock', 'post-dump', 'network-unlock']) assert.ok(r.notifications.includes(script), script);
    assert.ok(r.notifications.indexOf('network-lock') < r.notifications.indexOf('network-unlock'));

    assert.ok(r.stats !== undefined, r.statsError);
    assert.ok(r.stats.pagesWritten >= 16384n, `64 MiB is 16384 pages, wrote ${r.stats.pagesWritten}`);
    assert.ok(r.stats.pagesScanned >= r.stats.pagesWritten);
    assert.ok(r.stats.frozenTimeUs > 0 && r.stats.memdumpTimeUs > 0);

    const files = await readdir(imagesDir);
    for (const f of ['inventory.img', 'pstree.img', 'core-1.img', 'mm-1.img', 'pagemap-1.img', 'files.img', 'descriptors.json']) assert.ok(files.includes(f), f);
    const pages = files.filter((f) => /^pages-\d+\.img$/.test(f));
    const pageBytes = (await Promise.all(pages.map(async (f) => (await stat(join(imagesDir, f))).size))).reduce((a, b) => a + b, 0);
    assert.ok(pageBytes >= 64 * 1024 * 1024, `pages images hold ${pageBytes} bytes`);
    const core = await readCriuImage(join(imagesDir, 'core-1.img'));
    assert.equal((core.entries[0]?.value as { tc: { comm: string } }).tc.comm, 'workload');
    assert.equal(await readFile(join(imagesDir, 'descriptors.json'), 'utf8'), JSON.stringify(c.state.externalDescriptors));
    assert.match(await readFile(r.logFile, 'utf8'), /Dumping finished successfully/);

    // The request is runc's for this container.
    assert.equal(r.request.opts.root, c.state.config.rootfs);
    assert.equal(r.request.opts.freezeCgroup, c.state.cgroupPaths.freezer);
    assert.equal(r.request.opts.orphanPtsMaster, true);

    await assertRunningAndThawed(c);
  });

  it('dumps a container that joined a sandbox\'s network namespace, marking it external', async () => {
    const sandboxPid = await node.runContainer({ id: 'cd-sandbox', args: ['/bin/sleep', '2147483647'] });
    const pid = await node.runContainer({
      id: 'cd-app', args: ['/bin/workload', 'mem', '4'],
      joinNamespaces: { network: `/proc/${sandboxPid}/ns/net`, ipc: `/proc/${sandboxPid}/ns/ipc`, uts: `/proc/${sandboxPid}/ns/uts` },
    });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-app');
    const { imagesDir, workDir } = await dirs('cd-app');
    const r = await checkpointContainer({ container: c, imagesDir, workDir, options: { leaveRunning: true }, runner, timeoutMs: 120_000, fsRoot });
    const ino = (await stat(`/proc/${sandboxPid}/ns/net`, { bigint: true })).ino;
    assert.deepEqual(r.request.opts.external, [`net[${ino}]:extRootNetNS`]);
    assert.match(await readFile(r.logFile, 'utf8'), new RegExp(`net\\[${ino}\\] netns is external`));
    await assertRunningAndThawed(c);
  });

  it('kills CRIU at the deadline and leaves the container running and thawed, whatever the phase', async () => {
    const pid = await node.runContainer({ id: 'cd-timeout', args: ['/bin/workload', 'mem', '32'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-timeout');
    // Deadlines that land in different phases: start-up, seizing, memory dump.
    for (const timeoutMs of [1, 40, 80, 120, 160, 200]) {
      const { imagesDir, workDir } = await dirs('cd-timeout');
      const p = checkpointContainer({ container: c, imagesDir, workDir, options: { leaveRunning: true }, runner, timeoutMs, fsRoot });
      try {
        await p;
      } catch (err) {
        assert.ok(err instanceof CriuError && err.reason === 'CriuTimeout', `deadline ${timeoutMs} ms: ${String(err)}`);
        assert.equal(err.details.signal, 'SIGKILL');
      }
      await assertRunningAndThawed(c);
    }
  });

  it('thaws a container CRIU left frozen when it was killed', async () => {
    const pid = await node.runContainer({ id: 'cd-frozen', args: ['/bin/workload', 'mem', '4'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-frozen');
    const freezer = Freezer.fromCgroupPaths(c.state.cgroupPaths, fsRoot);
    assert.ok(freezer !== undefined);
    const { imagesDir, workDir } = await dirs('cd-frozen');
    // The cgroup is frozen only briefly inside CRIU; a notification handler
    // makes that moment last: it freezes the cgroup and never answers.
    const err = await rejectsWith(checkpointContainer({
      container: c, imagesDir, workDir, options: { leaveRunning: true }, runner, timeoutMs: 3_000, fsRoot,
      onNotify: async (msg) => {
        if (msg.script !== 'network-lock') return;
        await freezer.freeze();
        await new Promise(() => undefined);
      },
    }), 'CriuTimeout');
    assert.equal(err.details.cleanup, 'container freezer: thawed');
    await assertRunningAndThawed(c);
  });

  it('lets a failing notification handler abort the dump cleanly', async () => {
    const pid = await node.runContainer({ id: 'cd-notify', args: ['/bin/workload', 'mem', '4'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-notify');
    const { imagesDir, workDir } = await dirs('cd-notify');
    const err = await rejectsWith(checkpointContainer({
      container: c, imagesDir, workDir, options: { leaveRunning: false }, runner, timeoutMs: 120_000, fsRoot,
      onNotify: (msg) => { if (msg.script === 'post-dump') throw new Error('archive root is full'); },
    }), 'NotifyHandlerFailed');
    assert.match(err.message, /archive root is full/);
    // Even with leave-running false, a dump that fails before its end leaves the container alive.
    await assertRunningAndThawed(c);
  });

  it('names a container that exits mid-dump ContainerGone, and one gone before it ContainerStopped', async () => {
    const pid = await node.runContainer({ id: 'cd-exit', args: ['/bin/workload', 'mem', '4'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-exit');
    const mid = await dirs('cd-exit');
    await rejectsWith(checkpointContainer({
      container: c, ...mid, options: { leaveRunning: true }, runner, timeoutMs: 60_000, fsRoot,
      onNotify: (msg) => { if (msg.script === 'network-lock') process.kill(pid, 'SIGKILL'); },
    }), 'ContainerGone');
    const before = await dirs('cd-exit');
    await assert.rejects(
      checkpointContainer({ container: c, ...before, options: { leaveRunning: true }, runner, timeoutMs: 60_000, fsRoot }),
      (err: unknown) => err instanceof RuncError && err.reason === 'ContainerStopped',
    );
  });

  it('ends a pre-dump and a dump with a parent in MemoryTrackingUnavailable on this kernel', async () => {
    const features = await criuFeatures({ memTrack: true }, { runner });
    assert.equal(features.memTrack, false, 'this test expects a kernel without soft-dirty tracking');
    const pid = await node.runContainer({ id: 'cd-predump', args: ['/bin/workload', 'mem', '4'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-predump');
    const pre = await dirs('cd-predump');
    const e1 = await rejectsWith(checkpointContainer({ container: c, ...pre, options: { preDump: true }, runner, timeoutMs: 60_000, fsRoot }), 'MemoryTrackingUnavailable');
    assert.match(e1.message, /soft-dirty/);
    const child = await dirs('cd-predump');
    const parentImage = relative(child.imagesDir, pre.imagesDir);
    await rejectsWith(checkpointContainer({ container: c, ...child, options: { leaveRunning: true, parentImage }, runner, timeoutMs: 60_000, fsRoot }), 'MemoryTrackingUnavailable');
    await assertRunningAndThawed(c);
  });

  it('ends a dump to an unreachable page server in PageServerUnreachable', async () => {
    const pid = await node.runContainer({ id: 'cd-ps', args: ['/bin/workload', 'mem', '4'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-ps');
    const { imagesDir, workDir } = await dirs('cd-ps');
    // Port 1 on loopback: nothing listens there.
    await rejectsWith(checkpointContainer({
      container: c, imagesDir, workDir, options: { leaveRunning: true, pageServer: { address: '127.0.0.1', port: 1 } }, runner, timeoutMs: 60_000, fsRoot,
    }), 'PageServerUnreachable');
    await assertRunningAndThawed(c);
  });

  it('stops the container when leave-running is false', async () => {
    const pid = await node.runContainer({ id: 'cd-stop', args: ['/bin/workload', 'mem', '4'] });
    await ticksAfter(node, pid, 0);
    const c = await resolve('cd-stop');
    const { imagesDir, workDir } = await dirs('cd-stop');
    const r = await checkpointContainer({ container: c, imagesDir, workDir, options: { leaveRunning: false }, runner, timeoutMs: 120_000, fsRoot });
    assert.ok(r.stats !== undefined);
    await assert.rejects(resolve('cd-stop'), /stopped/);
  });
});
