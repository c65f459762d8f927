// Reads a checkpoint archive (tar, tar.gz or tar.zst, told apart by their
// magic bytes) into memory: small files whole, raw memory pages by size only,
// so that inspecting a 1 GiB checkpoint does not need 1 GiB of memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { extract } from 'tar-stream';

export interface ArchiveContents {
  /** Files kept whole, by path inside the archive. */
  files: Map<string, Buffer>;
  /** Sizes of every regular file, by path. */
  sizes: Map<string, number>;
  compression: 'None' | 'Gzip' | 'Zstd';
}

const isPages = (name: string): boolean => /(^|\/)pages-\d+\.img$/.test(name);

async function sniff(path: string): Promise<ArchiveContents['compression']> {
  const h = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await h.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'Gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'Zstd';
    return 'None';
  } finally {
    await h.close();
  }
}

export async function readArchive(path: string, opts: { keep?: (name: string) => boolean } = {}): Promise<ArchiveContents> {
  const compression = await sniff(path);
  const files = new Map<string, Buffer>();
  const sizes = new Map<string, number>();
  const keep = opts.keep ?? ((name: string) => !isPages(name) && name !== 'rootfs-diff.tar');
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    const chunks: Buffer[] = [];
    let size = 0;
    const wanted = header.type === 'file' && keep(name);
    stream.on('data', (c: unknown) => {
      const chunk = c as Buffer;
      size += chunk.length;
      if (wanted) chunks.push(chunk);
    });
    stream.on('end', () => {
      if (header.type === 'file') {
        sizes.set(name, size);
        if (wanted) files.set(name, Buffer.concat(chunks));
      }
      next();
    });
    stream.resume();
  });
  const source = createReadStream(path);
  const stages = compression === 'Gzip' ? [createGunzip()] : compression === 'Zstd' ? [createZstdDecompress()] : [];
  if (stages[0] !== undefined) await pipeline(source, stages[0], ex);
  else await pipeline(source, ex);
  return { files, sizes, compression };
}
