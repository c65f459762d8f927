// Generic image decoding against images CRIU 4.1.1 wrote on the test node
// (test/node/fixtures/criu), checked against what crit decodes from them.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CriuImageError, decodeCriuImage, encodeCriuImage, readCriuImage } from '../../../src/criu/image.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'node', 'fixtures', 'criu');
const mem = (f: string): string => join(fixtures, 'dump-mem', f);

describe('CRIU image decoding', () => {
  it('reads the process tree', async () => {
    const img = await readCriuImage(mem('pstree.img'));
    assert.equal(img.magic, 'PSTREE');
    assert.deepEqual(img.entries.map((e) => e.value), [{ pid: 1, ppid: 0, pgid: 1, sid: 1, threads: [1] }]);
  });

  it('reads a task\'s name and namespace ids from its core image, skipping register sets', async () => {
    const img = await readCriuImage(mem('core-1.img'));
    assert.equal(img.magic, 'CORE');
    const core = img.entries[0]?.value as { mtype: string; tc: { comm: string; taskState: number; oomScoreAdj: number }; threadCore: { comm: string; futexRla: string } };
    assert.equal(core.mtype, 'X86_64');
    assert.equal(core.tc.comm, 'workload');
    assert.equal(core.tc.taskState, 1);
    assert.equal(core.tc.oomScoreAdj, 1);
    assert.equal(core.threadCore.futexRla, '759469664');
  });

  it('reads the inventory, which has no common magic', async () => {
    const img = await readCriuImage(mem('inventory.img'));
    assert.equal(img.magic, 'INVENTORY');
    const inv = img.entries[0]?.value as { imgVersion: number; lsmtype: string; dumpCriuRunId: string; rootIds: { netNsId: number } };
    assert.equal(inv.imgVersion, 2);
    assert.equal(inv.lsmtype, 'NO_LSM');
    assert.equal(inv.rootIds.netNsId, 2);
    assert.equal(inv.dumpCriuRunId, '6eef37b8-f65d-4c78-bc06-7c0844656f32');
  });

  it('reads open files and the descriptor table', async () => {
    const files = await readCriuImage(mem('files.img'));
    const kinds = files.entries.map((e) => (e.value as { type: string }).type);
    assert.deepEqual(kinds, ['REG', 'MEMFD', 'MEMFD', 'PIPE', 'PIPE', 'PIPE', 'REG', 'REG']);
    const exe = files.entries[0]?.value as { reg: { name: string; size: string; mode: number } };
    assert.equal(exe.reg.name, '/bin/workload');
    assert.equal(exe.reg.size, '780512');
    assert.equal(exe.reg.mode, 0o100755);
    const fds = await readCriuImage(mem('fdinfo-2.img'));
    assert.deepEqual(fds.entries.map((e) => e.value), [
      { id: 4, flags: 0, type: 'PIPE', fd: 0 },
      { id: 5, flags: 0, type: 'PIPE', fd: 1 },
      { id: 6, flags: 0, type: 'PIPE', fd: 2 },
    ]);
  });

  it('reads held file locks', async () => {
    const img = await readCriuImage(join(fixtures, 'dump-lock', 'filelocks.img'));
    assert.deepEqual(img.entries.map((e) => e.value), [{ flag: 2, type: 1, pid: 1, fd: 3, start: '0', len: '0' }]);
  });

  it('reads the memory map and the pagemap with its head entry', async () => {
    const mm = await readCriuImage(mem('mm-1.img'));
    const vmas = (mm.entries[0]?.value as { vmas: { start: string; end: string }[] }).vmas;
    assert.ok(vmas.length > 5);
    assert.equal(vmas[0]?.start, '4194304');
    const pm = await readCriuImage(mem('pagemap-1.img'));
    const [head] = pm.entries;
    assert.ok(head !== undefined);
    assert.equal(head.message, 'pagemap_head');
    assert.deepEqual(head.value, { pagesId: 3 });
    const pages = pm.entries.slice(1).reduce((n, e) => n + (e.value as { nrPages: number }).nrPages, 0);
    // 8 MiB touched by the workload, plus its binary's data and stack.
    assert.ok(pages >= 2048 && pages < 2100, String(pages));
  });

  it('returns 64-bit values as bigint on request', async () => {
    const pm = await readCriuImage(mem('pagemap-1.img'), { longs: 'bigint' });
    assert.equal(typeof (pm.entries[1]?.value as { vaddr: unknown }).vaddr, 'bigint');
  });

  it('skips the raw blob after entries that announce one', async () => {
    const img = await readCriuImage(mem('pipes-data.img'));
    assert.deepEqual(img.entries, [{ message: 'pipe_data_entry', value: { pipeId: 72167, bytes: 0, size: 65536 }, extraBytes: 0 }]);
    const withData = Buffer.concat([
      encodeCriuImage('PIPES_DATA', [{ message: 'pipe_data_entry', value: { pipeId: 1, bytes: 5 } }]),
      Buffer.from('hello'),
    ]);
    const two = Buffer.concat([withData, encodeCriuImage('PIPES_DATA', [{ message: 'pipe_data_entry', value: { pipeId: 2, bytes: 0 } }]).subarray(8)]);
    const decoded = decodeCriuImage(two);
    assert.deepEqual(decoded.entries.map((e) => [(e.value as { pipeId: number }).pipeId, e.extraBytes]), [[1, 5], [2, 0]]);
  });

  it('decodes sockets of files.img', () => {
    const fown = { uid: 0, euid: 0, signum: 0, pidType: 0, pid: 0 };
    const opts = { soSndbuf: 1, soRcvbuf: 2, soSndTmoSec: '0', soSndTmoUsec: '0', soRcvTmoSec: '0', soRcvTmoUsec: '0' };
    const img = decodeCriuImage(encodeCriuImage('FILES', [
      { message: 'file_entry', value: { type: 'INETSK', id: 9, isk: { id: 9, ino: 100, family: 2, type: 1, proto: 6, state: 10, srcPort: 8080, dstPort: 0, flags: 0, backlog: 1, srcAddr: [0], fown, opts } } },
      { message: 'file_entry', value: { type: 'UNIXSK', id: 10, usk: { id: 10, ino: 101, type: 1, state: 1, flags: 0, uflags: 0, backlog: 0, peer: 102, fown, opts, name: Buffer.from('\0abstract') } } },
    ]));
    const [tcp, unix] = img.entries.map((e) => e.value) as [{ isk: { srcPort: number; state: number } }, { usk: { name: Buffer; peer: number } }];
    assert.equal(tcp.isk.srcPort, 8080);
    assert.equal(tcp.isk.state, 10);
    assert.equal(unix.usk.peer, 102);
    assert.equal(unix.usk.name.toString('latin1'), '\0abstract');
  });

  it('names images it has no schema for without decoding them', () => {
    const img = decodeCriuImage(encodeCriuImage('CGROUP', []));
    assert.deepEqual(img, { magic: 'CGROUP', decoded: false, entries: [] });
  });

  it('refuses raw images, unknown magics and truncated entries', async () => {
    assert.throws(() => decodeCriuImage(Buffer.from('\x7fELF....')), CriuImageError);
    assert.throws(() => decodeCriuImage(Buffer.alloc(2)), CriuImageError);
    const pstree = await readFile(mem('pstree.img'));
    assert.throws(() => decodeCriuImage(pstree.subarray(0, pstree.length - 1)), /runs past the end/);
    assert.throws(() => decodeCriuImage(Buffer.concat([pstree, Buffer.from([1, 0])])), /stray bytes/);
  });

  it('checks the header magic a service image must carry', async () => {
    const stats = await readFile(mem('stats-dump'));
    const wrong = Buffer.from(stats);
    wrong.writeUInt32LE(0x54564319, 0);
    assert.throws(() => decodeCriuImage(wrong), /wrong header magic/);
  });
});
