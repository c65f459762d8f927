// `kubectl ckpt inspect` decodes CRIU images with the project's protobuf
// schemas; checked against crit (CRIU's own decoder) on the same images of a
// real checkpoint: process tree, commands, dumped memory, descriptors, files.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArchiveRoot } from '../../src/agent/archive/archive-root.ts';
import { packCheckpoint } from '../../src/agent/archive/checkpoint-layout.ts';
import { writeArchive } from '../../src/agent/archive/write-archive.ts';
import { summarize, type CheckpointSummary } from '../../src/inspect/checkpoint-summary.ts';
import { readArchive } from '../../src/inspect/read-archive.ts';
import { repoDir } from '../env/paths.ts';
import { runOk } from '../env/run.ts';
import { runcRoot, shareInNode, TestNode } from '../support/node.ts';

interface CritImage { entries: Array<Record<string, unknown>> }

describe('kubectl ckpt inspect', () => {
  let node: TestNode;
  let archive: string;
  let summary: CheckpointSummary;
  const crit = async (img: string): Promise<CritImage> =>
    JSON.parse(await node.execOk(['crit', 'decode', '-i', `${shareInNode}/images/${img}`])) as CritImage;

  before(async () => {
    node = await TestNode.start();
    await node.runContainer({ id: 'inspect-app', args: ['/bin/workload', 'lock', '/data.lock', '6'] });
    await new Promise((r) => setTimeout(r, 300));
    await node.execOk(['runc', '--root', runcRoot, 'checkpoint', '--leave-running', '--file-locks',
      '--image-path', `${shareInNode}/images`, '--work-path', `${shareInNode}/work`, 'inspect-app'], { timeoutMs: 120_000 });
    const root = await ArchiveRoot.open(join(node.info.share, 'archives'));
    archive = join(root.path, 'checkpoint-web_shop-app-2026-11-26T00:00:00Z.tar.zst');
    const spec = JSON.parse(await node.execOk(['cat', '/run/containerd/io.containerd.runtime.v2.task/k8s.io/inspect-app/config.json'])) as Record<string, unknown>;
    await writeArchive(root, archive, 'Zstd', (pack) => packCheckpoint(pack,
      { imagesDir: join(node.info.share, 'images'), workDir: join(node.info.share, 'work'), spec },
      { id: 'inspect-app', name: 'app', podName: 'web', podNamespace: 'shop', podUID: 'u', image: 'ckpt.dev/workload:latest', imageRef: 'r', runtime: 'runc', createdTime: new Date() },
      new Date()));
    summary = summarize(await readArchive(archive));
  });
  after(async () => { await node.stop(); });

  it('reads the same process tree as crit', async () => {
    const pstree = await crit('pstree.img');
    assert.deepEqual(summary.processes.map((p) => [p.pid, p.ppid]), pstree.entries.map((e) => [e.pid, e.ppid]));
    for (const p of summary.processes) {
      const core = await crit(`core-${p.pid}.img`);
      assert.equal(p.command, (core.entries[0]?.tc as { comm: string }).comm);
    }
    assert.equal(summary.processes[0]?.command, 'workload');
  });

  it('counts the same dumped memory as crit', async () => {
    for (const p of summary.processes) {
      const pagemap = await crit(`pagemap-${p.pid}.img`);
      const pages = pagemap.entries.slice(1).reduce((a, e) => a + Number(e.nr_pages), 0);
      assert.equal(p.memoryBytes, pages * 4096);
    }
    assert.ok(summary.memoryBytes >= 6 * 1024 * 1024, `dumped ${summary.memoryBytes} bytes of a 6 MiB workload`);
  });

  it('lists the same descriptors and files as crit', async () => {
    const p = summary.processes[0];
    assert.ok(p !== undefined);
    const ids = await crit(`ids-${p.pid}.img`);
    const fdinfo = await crit(`fdinfo-${String(ids.entries[0]?.files_id)}.img`);
    assert.deepEqual(p.files.map((f) => f.fd), fdinfo.entries.map((e) => e.fd).sort());
    const files = await crit('files.img');
    const regNames = files.entries.flatMap((e) => (e.reg !== undefined ? [(e.reg as { name: string }).name] : []));
    assert.ok(regNames.includes('/data.lock'));
    assert.ok(p.files.some((f) => f.kind === 'file' && f.target === '/data.lock'), JSON.stringify(p.files));
  });

  it('prints a tree and machine-readable output through the plugin', async () => {
    const text = await runOk([join(repoDir, 'bin', 'kubectl-ckpt'), 'inspect', archive]);
    assert.match(text, /container: app \(inspect-app\)/);
    assert.match(text, /pod: shop\/web/);
    assert.match(text, /\[1\] workload/);
    assert.match(text, /fd \d+: file \/data\.lock/);
    assert.match(text, /CRIU statistics: frozen/);
    const json = JSON.parse(await runOk([join(repoDir, 'bin', 'kubectl-ckpt'), 'inspect', archive, '-o', 'json'])) as CheckpointSummary;
    assert.deepEqual(json.processes.map((x) => x.pid), summary.processes.map((x) => x.pid));
  });
});
