// Each checkpoint option on the real node, end to end: a ContainerCheckpoint
// with the option goes through the real controller and agent processes; the
// CRIU request the agent logged carries the option, and the dump succeeds
// where this machine supports it, with the effect the option promises
// (checked with CRIU's own crit, checkpointctl and tar). Where the machine
// cannot (inet sockets with CRIU 4.1 on Linux >= 6.16), the checkpoint fails
// with the classified reason and the container runs on, thawed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ArchiveSpec, CheckpointOptions } from '../../src/api/checkpoint-options.ts';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import type { DumpRequest } from '../../src/criu/dump-request.ts';
import { TestCluster } from '../support/cluster.ts';
import { createCheckpoint, failure, waitForOutcome } from '../support/checkpoints.ts';
import { archiveEntries, assertRunningAndThawed, filesBelow, loggedCriuRequest, PodNetHelper, sandboxPid } from '../support/agent-checks.ts';
import { TestNode } from '../support/node.ts';
import { agentArchiveRoot, startAgent, startController, type OperatorProcess } from '../support/operator.ts';
import { startPod, type RunningPod } from '../support/pods.ts';
import { waitFor } from '../env/run.ts';
import { ticksAfter } from '../support/workload.ts';

const ns = 'opts';
const pageServerPort = 27027;

describe('checkpoint options on the real node, through the controller and the agent', () => {
  let cluster: TestCluster;
  let node: TestNode;
  let controller: OperatorProcess;
  let agent: OperatorProcess;
  let baseline: DumpRequest;
  const helpers: PodNetHelper[] = [];
  let podCount = 0;

  before(async () => {
    [cluster, node] = await Promise.all([TestCluster.start(), TestNode.start()]);
    await cluster.installRbac();
    await cluster.kubectlOk(['create', 'namespace', ns]);
    await cluster.kubectlOk(['label', 'namespace', ns, 'ckpt.dev/checkpoints=enabled']);
    [controller, agent] = await Promise.all([
      startController(cluster),
      startAgent(cluster, node, { nodeName: 'node-1', args: ['--page-server-allowlist=127.0.0.1/32'] }),
    ]);
  });
  after(async () => {
    await Promise.allSettled(helpers.map((h) => h.stop()));
    await Promise.allSettled([controller.stop(), agent.stop()]);
    await Promise.all([cluster.stop(), node.stop()]);
  });

  /**
   * A fresh one-container pod running the workload with these arguments,
   * ticking (unless it waits for a peer first: then the test waits).
   */
  async function pod(args: string[], waitForTicks = true): Promise<RunningPod & { app: { id: string; pid: number } }> {
    const p = await startPod(cluster, node, { namespace: ns, name: `p${++podCount}`, nodeName: 'node-1', containers: [{ name: 'app', args }] });
    const app = p.containers.app;
    assert.ok(app !== undefined);
    if (waitForTicks) await ticksAfter(node, app.pid, 0, 30_000);
    return { ...p, app };
  }

  async function checkpoint(name: string, p: RunningPod, options: CheckpointOptions, archive: ArchiveSpec = {}): Promise<ContainerCheckpoint> {
    await createCheckpoint(cluster, ns, name, { podName: p.name, options, archive });
    return waitForOutcome(cluster, ns, name, 180_000);
  }

  function succeeded(c: ContainerCheckpoint): void {
    assert.equal(failure(c), undefined, `${JSON.stringify(c.status, null, 2)}\n${agent.logs().slice(-3000)}`);
  }

  function failedWith(c: ContainerCheckpoint, reason: string, containerReason: string, message: RegExp): void {
    const f = failure(c);
    assert.ok(f !== undefined, `expected a failure, got ${JSON.stringify(c.status, null, 2)}`);
    assert.equal(f.reason, reason, f.message);
    assert.match(f.message, message);
    assert.equal(c.status?.containers?.[0]?.reason, containerReason);
  }

  function archivePath(c: ContainerCheckpoint): string {
    const p = c.status?.containers?.[0]?.archive?.path;
    assert.ok(p !== undefined, JSON.stringify(c.status));
    return p;
  }

  /** The request differs from the default checkpoint's in exactly these option fields. */
  function assertOptionFields(r: DumpRequest, changed: Partial<DumpRequest['opts']>): void {
    const options = ['leaveRunning', 'tcpEstablished', 'extUnixSk', 'shellJob', 'fileLocks', 'emptyNs', 'manageCgroupsMode', 'ps', 'logLevel', 'trackMem', 'parentImg'] as const;
    for (const k of options) {
      const want = k in changed ? changed[k] : baseline.opts[k];
      assert.deepEqual(r.opts[k], want, `${k} in ${JSON.stringify(r.opts)}`);
    }
    assert.equal(r.type, 'DUMP');
    // runc's part of the request is there whatever the options.
    assert.equal(r.opts.notifyScripts, true);
    assert.equal(r.opts.orphanPtsMaster, true);
    assert.match(r.opts.freezeCgroup ?? '', /\/freezer\/k8s\.io\//);
    assert.match(r.opts.external?.[0] ?? '', /^net\[\d+\]:extRootNetNS$/);
  }

  it('defaults: leave running, a Zstd archive the tools read; the request the others are compared with', async () => {
    const p = await pod(['/bin/workload', 'mem', '16']);
    const c = await checkpoint('defaults', p, {});
    succeeded(c);
    baseline = loggedCriuRequest(agent, ns, 'defaults');
    assert.equal(baseline.opts.leaveRunning, true);
    for (const k of ['tcpEstablished', 'extUnixSk', 'shellJob', 'fileLocks'] as const) assert.equal(baseline.opts[k], false, k);
    // As runc: the network namespace is always dumped empty.
    assert.equal(baseline.opts.emptyNs, 0x40000000);
    // The API server defaults manageCgroupsMode to Soft, CRIU's own default.
    assert.equal(baseline.opts.manageCgroupsMode, 'SOFT');
    assert.equal(baseline.opts.ps, undefined);
    assert.equal(baseline.opts.pid, p.app.pid);
    await assertRunningAndThawed(node, p.app.id);
  });

  it('leaveRunning false: the dump stops the container', async () => {
    const p = await pod(['/bin/workload', 'mem', '8']);
    const c = await checkpoint('stop', p, { leaveRunning: false });
    succeeded(c);
    assertOptionFields(loggedCriuRequest(agent, ns, 'stop'), { leaveRunning: false });
    assert.ok((c.status?.containers?.[0]?.statistics?.pagesWritten ?? 0) >= 2048);
    const status = await node.taskStatus(p.app.id);
    assert.ok(status === 'STOPPED' || status === undefined, `the task is ${String(status)}`);
    await assert.rejects(stat(`/proc/${p.app.pid}/root/tmp/ticks`));
  });

  it('fileLocks: a held flock is checkpointed with it, and refused without it while the container runs on', async () => {
    const p = await pod(['/bin/workload', 'lock', '/tmp/held.lock', '4']);
    const without = await checkpoint('locks-off', p, {});
    failedWith(without, 'CriuFailed', 'FileLocksHeld', /holds file locks: checkpoint them with fileLocks/);
    await assertRunningAndThawed(node, p.app.id, 'after the refused dump');

    const c = await checkpoint('locks-on', p, { fileLocks: true });
    succeeded(c);
    assertOptionFields(loggedCriuRequest(agent, ns, 'locks-on'), { fileLocks: true });
    const dir = `/ckpt/unpacked-locks`;
    await node.execOk(['sh', '-c', `mkdir -p ${dir} && zstd -q -d -c ${agentArchiveRoot}/${archivePath(c)} | tar -x -C ${dir}`]);
    const locks = JSON.parse(await node.execOk(['crit', 'show', `${dir}/checkpoint/filelocks.img`])) as { entries: { type: number; flag: number; pid: number; fd: number }[] };
    await node.execOk(['rm', '-rf', dir]);
    assert.equal(locks.entries.length, 1, JSON.stringify(locks));
    // An flock (FL_FLOCK, 2) held by the container's init (PID 1 inside it) on its fd 3.
    assert.deepEqual(locks.entries.map((l) => ({ flag: l.flag, pid: l.pid, fd: l.fd })), [{ flag: 2, pid: 1, fd: 3 }]);
    await assertRunningAndThawed(node, p.app.id);
  });

  it('extUnixSk: a datagram socket connected to a peer outside the container (in the pod\'s network namespace) is checkpointed', async () => {
    const p = await pod(['/bin/workload', 'unixgram', '/tmp/log.sock', '4'], false);
    // The peer binds into the container's /tmp from outside it, in the pod's
    // network namespace (CRIU looks for peers there), like a log daemon would.
    const peer = await PodNetHelper.start(node, await sandboxPid(node, p.sandboxID), [
      'import socket, time',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      `s.bind('/proc/${p.app.pid}/root/tmp/log.sock')`,
      'print("ready")',
      'print(s.recv(100))',
      'time.sleep(100000)',
    ].join('\n'));
    helpers.push(peer);
    await ticksAfter(node, p.app.pid, 0, 30_000);
    await waitFor('the workload\'s greeting', () => Promise.resolve(/hello/.test(peer.output) ? true : undefined), 10_000);

    const without = await checkpoint('unix-off', p, {});
    failedWith(without, 'CriuFailed', 'ExternalUnixSocket', /allow it with extUnixSk/);
    await assertRunningAndThawed(node, p.app.id, 'after the refused dump');

    const c = await checkpoint('unix-on', p, { extUnixSk: true });
    succeeded(c);
    assertOptionFields(loggedCriuRequest(agent, ns, 'unix-on'), { extUnixSk: true });
    const dir = `/ckpt/unpacked-unix`;
    await node.execOk(['sh', '-c', `mkdir -p ${dir} && zstd -q -d -c ${agentArchiveRoot}/${archivePath(c)} | tar -x -C ${dir}`]);
    const files = JSON.parse(await node.execOk(['crit', 'show', `${dir}/checkpoint/files.img`])) as { entries: { type: string; usk?: { uflags: string; name: string; type: string; peer: number; ino: number } }[] };
    await node.execOk(['rm', '-rf', dir]);
    const sockets = files.entries.flatMap((e) => (e.usk !== undefined ? [e.usk] : []));
    const external = sockets.find((s) => (Number(s.uflags) & 1) === 1);
    assert.ok(external !== undefined, `an external (USK_EXTERN) socket in ${JSON.stringify(sockets)}`);
    assert.match(external.name, /\/tmp\/log\.sock/);
    assert.ok(sockets.some((s) => s.type === 'DGRAM' && s.peer === external.ino), 'the container\'s socket names the external one as its peer');
    await assertRunningAndThawed(node, p.app.id);
    assert.equal(peer.exited, false);
  });

  it('extUnixSk cannot save a stream connection to a peer outside: a clear refusal, the container runs on', async () => {
    const p = await pod(['/bin/workload', 'unix', '/tmp/stream.sock', '4'], false);
    const peer = await PodNetHelper.start(node, await sandboxPid(node, p.sandboxID), [
      'import socket, time',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
      `s.bind('/proc/${p.app.pid}/root/tmp/stream.sock')`,
      's.listen(1)',
      'print("ready")',
      'c, _ = s.accept()',
      'print(c.recv(100))',
      'time.sleep(100000)',
    ].join('\n'));
    helpers.push(peer);
    await ticksAfter(node, p.app.pid, 0, 30_000);
    const c = await checkpoint('unix-stream', p, { extUnixSk: true });
    failedWith(c, 'CriuFailed', 'ExternalUnixSocket', /stream UNIX socket connected to a peer outside it: CRIU cannot checkpoint that, even with extUnixSk/);
    await assertRunningAndThawed(node, p.app.id);
  });

  it('pageServer: a CRIU page server on loopback receives the memory; the archive holds none of it', async () => {
    const p = await pod(['/bin/workload', 'mem', '32']);
    // CRIU runs in the agent's network namespace (the node's), not the pod's:
    // the node's loopback reaches a page server started in the node.
    await node.execOk(['mkdir', '-p', '/ckpt/page-server']);
    const server = node.exec(['criu', 'page-server', '--images-dir', '/ckpt/page-server', '--address', '127.0.0.1', '--port', String(pageServerPort), '-o', 'page-server.log', '-v4'], { timeoutMs: 180_000 });
    // CRIU's page server is ready once it listens.
    await new Promise((r) => setTimeout(r, 1000));
    const c = await checkpoint('pages', p, { pageServer: { address: '127.0.0.1', port: pageServerPort } });
    succeeded(c);
    const served = await server;
    assert.equal(served.code, 0, `criu page-server: ${served.stderr}`);
    assertOptionFields(loggedCriuRequest(agent, ns, 'pages'), { ps: { address: '127.0.0.1', port: pageServerPort } });
    const received = await filesBelow(join(node.info.share, 'page-server'));
    const pagesFile = received.find((f) => /^pages-\d+\.img$/.test(f));
    assert.ok(pagesFile !== undefined && received.includes('pagemap-1.img'), `page server files: ${received.join(' ')}`);
    assert.ok((await stat(join(node.info.share, 'page-server', pagesFile))).size >= 32 * 1024 * 1024);
    const entries = await archiveEntries(node, `${agentArchiveRoot}/${archivePath(c)}`);
    assert.ok(entries.includes('checkpoint/inventory.img') && entries.includes('checkpoint/mm-1.img'), entries.join(' '));
    assert.ok(!entries.some((e) => /^checkpoint\/(pages|pagemap)-\d+\.img$/.test(e)), `the archive has no memory: ${entries.join(' ')}`);
    assert.ok(Number(c.status?.containers?.[0]?.archive?.sizeBytes ?? 0) < 8 * 1024 * 1024);
    await node.execOk(['rm', '-rf', '/ckpt/page-server']);
    await assertRunningAndThawed(node, p.app.id);
  });

  it('emptyNamespaces Network: an empty network namespace, as in every request (runc parity), and succeeds', async () => {
    const p = await pod(['/bin/workload', 'mem', '4']);
    const c = await checkpoint('empty-net', p, { emptyNamespaces: ['Network'] });
    succeeded(c);
    assertOptionFields(loggedCriuRequest(agent, ns, 'empty-net'), { emptyNs: 0x40000000 });
    await assertRunningAndThawed(node, p.app.id);
  });

  it('manageCgroupsMode: reaches CRIU as its mode and succeeds', async () => {
    const p = await pod(['/bin/workload', 'mem', '4']);
    const c = await checkpoint('cg-full', p, { manageCgroupsMode: 'Full' });
    succeeded(c);
    assertOptionFields(loggedCriuRequest(agent, ns, 'cg-full'), { manageCgroupsMode: 'FULL' });
    await assertRunningAndThawed(node, p.app.id);
  });

  it('tcpEstablished with an open TCP connection: dumped where CRIU can, else a classified failure; running, thawed and connected either way', async () => {
    const p = await pod(['/bin/workload', 'tcp', '8080', '4'], false);
    // A client in the pod's network namespace keeps a connection open and
    // writes to it; it exits if the connection breaks.
    const client = await PodNetHelper.start(node, await sandboxPid(node, p.sandboxID), [
      'import socket, time',
      'for i in range(300):',
      '    try:',
      '        s = socket.create_connection(("127.0.0.1", 8080)); break',
      '    except OSError: time.sleep(0.1)',
      'print("ready")',
      'while True:',
      '    s.send(b"x"); time.sleep(0.1)',
    ].join('\n'));
    helpers.push(client);
    await ticksAfter(node, p.app.pid, 0, 30_000);
    const c = await checkpoint('tcp', p, { tcpEstablished: true });
    assertOptionFields(loggedCriuRequest(agent, ns, 'tcp'), { tcpEstablished: true });
    const criu = (await node.execOk(['criu', '--version'])).match(/Version: (\d+)\.(\d+)/);
    const kernel = (await node.execOk(['uname', '-r'])).match(/^(\d+)\.(\d+)/);
    const atLeast = (m: RegExpMatchArray | null, major: number, minor: number): boolean =>
      m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
    const canDumpInet = atLeast(criu, 4, 2) || !atLeast(kernel, 6, 16);
    if (canDumpInet) {
      succeeded(c);
      const entries = await archiveEntries(node, `${agentArchiveRoot}/${archivePath(c)}`);
      assert.ok(entries.some((e) => /^checkpoint\/tcp-stream-[0-9a-f]+\.img$/.test(e)), entries.join(' '));
    } else {
      // CRIU 4.1 on Linux >= 6.16 cannot read SO_PASSCRED of an inet socket.
      failedWith(c, 'CriuFailed', 'CriuFailed', /cannot dump inet sockets on this kernel.*CRIU 4\.2/s);
      assert.match(failure(c)?.message ?? '', /Can't get 1:16 opt: Operation not supported/);
    }
    await assertRunningAndThawed(node, p.app.id);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(client.exited, false, `the connection broke: ${client.output}`);
  });

  it('imagePath and workPath: below the archive root, kept beside the archive, removed with the resource', async () => {
    const p = await pod(['/bin/workload', 'mem', '4']);
    const c = await checkpoint('kept', p, { imagePath: 'kept/images', workPath: 'kept/work' });
    succeeded(c);
    const root = join(node.info.share, 'archives');
    const images = await filesBelow(join(root, 'kept/images/app'));
    for (const f of ['inventory.img', 'pstree.img', 'pagemap-1.img', 'descriptors.json']) assert.ok(images.includes(f), `${f} in ${images.join(' ')}`);
    const work = await filesBelow(join(root, 'kept/work/app'));
    for (const f of ['dump.log', 'stats-dump']) assert.ok(work.includes(f), `${f} in ${work.join(' ')}`);
    assert.ok(!images.includes('dump.log'), 'CRIU wrote its log to the work path, not among the images');
    // The archive stays in the checkpoint's own directory and holds the images.
    assert.match(archivePath(c), /^opts\/kept-[0-9a-f]{8}\/checkpoint-p\d+_opts-app-.*\.tar\.zst$/);
    const entries = await archiveEntries(node, `${agentArchiveRoot}/${archivePath(c)}`);
    assert.ok(entries.includes('checkpoint/inventory.img') && entries.includes('dump.log'), entries.join(' '));
    assert.ok(!entries.some((e) => e.includes('.ckpt-owner')), 'the agent\'s bookkeeping stays out of the archive');
    await cluster.kubectlOk(['delete', 'ckpt', 'kept', '-n', ns, '--wait=true', '--timeout=60s']);
    assert.deepEqual(await filesBelow(join(root, 'kept/images/app')), []);
    assert.deepEqual(await filesBelow(join(root, 'kept/work/app')), []);
    await assertRunningAndThawed(node, p.app.id);
  });

  it('preDump and parentCheckpoint: incremental dumps where the kernel tracks memory, else MemoryTrackingUnavailable; running and thawed', async () => {
    const p = await pod(['/bin/workload', 'mem', '8']);
    const tracking = (await node.exec(['criu', 'check', '--feature', 'mem_dirty_track'])).code === 0;
    const pre = await checkpoint('pre', p, { preDump: true, imagePath: 'incremental/pre' });
    const preRequest = loggedCriuRequest(agent, ns, 'pre');
    assert.equal(preRequest.type, 'PRE_DUMP');
    assert.equal(preRequest.opts.leaveRunning, true);
    if (tracking) succeeded(pre);
    else failedWith(pre, 'MemoryTrackingUnavailable', 'MemoryTrackingUnavailable', /soft-dirty/);
    await assertRunningAndThawed(node, p.app.id, 'after the pre-dump');

    // A parent whose images were not kept cannot be built on.
    const plain = await checkpoint('plain-parent', p, {});
    succeeded(plain);
    const orphan = await checkpoint('no-parent-images', p, { parentCheckpoint: 'plain-parent' });
    failedWith(orphan, 'ParentCheckpointNotFound', 'ParentCheckpointNotFound', /kept no images/);
    const missing = await checkpoint('missing-parent', p, { parentCheckpoint: 'no-such-checkpoint' });
    failedWith(missing, 'ParentCheckpointNotFound', 'ParentCheckpointNotFound', /does not exist/);

    // A parent that kept its images: the child names them relative to its own.
    const base = await checkpoint('base', p, { imagePath: 'incremental/base' });
    succeeded(base);
    const child = await checkpoint('child', p, { parentCheckpoint: 'base', imagePath: 'incremental/child' });
    const r = loggedCriuRequest(agent, ns, 'child');
    assert.equal(r.opts.parentImg, '../../base/app');
    assert.equal(r.opts.trackMem, true);
    if (tracking) succeeded(child);
    else failedWith(child, 'MemoryTrackingUnavailable', 'MemoryTrackingUnavailable', /soft-dirty/);
    await assertRunningAndThawed(node, p.app.id);
  });

  for (const [compression, suffix, listCommand] of [['None', '.tar', 'tar -tf'], ['Gzip', '.tar.gz', 'tar -tzf'], ['Zstd', '.tar.zst', 'tar --zstd -tf']] as const) {
    it(`archive compression ${compression}: ${suffix}, size and sha256 as in status, read by tar and checkpointctl`, async () => {
      const p = await pod(['/bin/workload', 'mem', '16', 'text']);
      const name = `archive-${compression.toLowerCase()}`;
      const c = await checkpoint(name, p, {}, { compression });
      succeeded(c);
      const a = c.status?.containers?.[0]?.archive;
      assert.ok(a !== undefined);
      assert.equal(a.compression, compression);
      assert.ok(a.path.endsWith(suffix) && (compression !== 'None' || !/\.(gz|zst)$/.test(a.path)), a.path);
      const bytes = await readFile(join(node.info.share, 'archives', a.path));
      assert.equal(a.sizeBytes, String(bytes.length));
      assert.equal(a.sha256, createHash('sha256').update(bytes).digest('hex'));
      // 16 MiB of text: compression shows.
      if (compression === 'None') assert.ok(bytes.length > 16 * 1024 * 1024);
      else assert.ok(bytes.length < 4 * 1024 * 1024, `${compression}: ${bytes.length} bytes`);
      const entries = (await node.execOk(['sh', '-c', `${listCommand} ${agentArchiveRoot}/${a.path}`])).split('\n');
      for (const e of ['checkpoint/', 'checkpoint/inventory.img', 'config.dump', 'spec.dump', 'stats-dump', 'dump.log']) assert.ok(entries.includes(e), `${e} in ${entries.join(' ')}`);
      // checkpointctl reads tar and tar.gz; a zstd archive is unpacked first, as a user would.
      const readable = compression === 'Zstd' ? `/ckpt/${name}.tar` : `${agentArchiveRoot}/${a.path}`;
      if (compression === 'Zstd') await node.execOk(['zstd', '-q', '-d', '-f', `${agentArchiveRoot}/${a.path}`, '-o', readable]);
      const show = await node.execOk(['checkpointctl', 'show', readable]);
      assert.match(show, /app/);
      if (compression === 'Zstd') await node.execOk(['rm', '-f', readable]);
      await assertRunningAndThawed(node, p.app.id);
    });
  }
});
