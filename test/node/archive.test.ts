// Archives other tools read: the images of a real runc checkpoint, packed by
// the agent's archive code, are accepted by checkpointctl (show, inspect)
// for every compression; sizes and digests match the files; files are 0600
// in 0700 directories; a planted symlink is never followed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compressions } from '../../src/api/checkpoint-options.ts';
import { archiveFileName } from '../../src/agent/archive/archive-name.ts';
import { ArchiveRoot, PathEscapeError } from '../../src/agent/archive/archive-root.ts';
import { packCheckpoint, type ContainerIdentity } from '../../src/agent/archive/checkpoint-layout.ts';
import { writeArchive } from '../../src/agent/archive/write-archive.ts';
import { runcRoot, shareInNode, TestNode } from '../support/node.ts';

describe('checkpoint archives', () => {
  let node: TestNode;
  let root: ArchiveRoot;
  let imagesDir: string;
  let workDir: string;
  let spec: Record<string, unknown>;
  const identity: ContainerIdentity = {
    id: 'archive-app', name: 'app', podName: 'web', podNamespace: 'shop', podUID: '7f1d6f9e-0000-4000-8000-000000000001',
    image: 'ckpt.dev/workload:latest', imageRef: 'ckpt.dev/workload@sha256:0', runtime: 'runc', createdTime: new Date('2026-11-26T00:00:00Z'),
  };

  before(async () => {
    node = await TestNode.start();
    await node.runContainer({ id: identity.id, args: ['/bin/workload', 'mem', '8'] });
    await node.execOk(['runc', '--root', runcRoot, 'checkpoint', '--leave-running',
      '--image-path', `${shareInNode}/runc/images`, '--work-path', `${shareInNode}/runc/work`, identity.id], { timeoutMs: 120_000 });
    imagesDir = join(node.info.share, 'runc/images');
    workDir = join(node.info.share, 'runc/work');
    const bundle = `/proc/${node.info.pid}/root/run/containerd/io.containerd.runtime.v2.task/k8s.io/${identity.id}/config.json`;
    spec = JSON.parse(await readFile(bundle, 'utf8')) as Record<string, unknown>;
    root = await ArchiveRoot.open(join(node.info.share, 'archives'));
  });
  after(async () => { await node.stop(); });

  for (const compression of compressions) {
    it(`writes a ${compression} archive that checkpointctl reads`, async () => {
      const dir = await root.makeDir(`shop/${compression.toLowerCase()}`, { exclusive: true });
      const at = new Date();
      const file = join(dir, archiveFileName('web', 'shop', 'app', at, compression));
      const result = await writeArchive(root, file, compression, (pack) =>
        packCheckpoint(pack, { imagesDir, workDir, spec }, identity, at));
      const bytes = await readFile(file);
      assert.equal(result.sizeBytes, BigInt(bytes.length));
      assert.equal(result.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      assert.match(file, /checkpoint-web_shop-app-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.tar(\.gz|\.zst)?$/);

      let tarInNode = `${shareInNode}/${root.relative(file).replace(/^/, 'archives/')}`;
      if (compression === 'Zstd') {
        // checkpointctl 1.3 reads plain and gzip tars; a zstd one is checked after decompression.
        await node.execOk(['zstd', '-q', '-d', tarInNode, '-o', `${tarInNode}.tar`]);
        tarInNode = `${tarInNode}.tar`;
      }
      const show = await node.execOk(['checkpointctl', 'show', tarInNode]);
      assert.match(show, /app/);
      assert.match(show, /web/);
      assert.match(show, /shop/);
      assert.match(show, /runc/);
      const inspect = await node.execOk(['checkpointctl', 'inspect', '--all', tarInNode]);
      assert.match(inspect, /workload/);
      assert.match(inspect, /CRIU dump statistics|Freezing time/i);
    });
  }

  it('refuses to follow a planted symlink and writes nothing outside the root', async () => {
    const outside = join(node.info.share, 'outside');
    await mkdir(outside);
    await symlink(outside, join(root.path, 'planted'));
    await assert.rejects(root.makeDir('planted/sub'), PathEscapeError);
    await assert.rejects(root.makeDir('../outside'), PathEscapeError);
    await assert.rejects(root.createFile(join(outside, 'x')), PathEscapeError);
    assert.ok((await lstat(join(root.path, 'planted'))).isSymbolicLink());
    await assert.rejects(lstat(join(outside, 'sub')));
  });

  it('refuses a world-writable or symlinked archive root', async () => {
    const loose = join(node.info.share, 'loose');
    await mkdir(loose, { mode: 0o777 });
    await import('node:fs/promises').then((fs) => fs.chmod(loose, 0o777));
    await assert.rejects(ArchiveRoot.open(loose), /world-writable/);
    await symlink(root.path, join(node.info.share, 'link'));
    await assert.rejects(ArchiveRoot.open(join(node.info.share, 'link')), /symlink/);
  });
});
