// Streams a checkpoint archive to disk: a tar of the parts, compressed on the
// fly (gzip or zstd from Node's zlib), hashed as it is written. Only called
// after CRIU is done and the container runs again, so compression never adds
// to the time the container is frozen.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlib, createGzip, createZstdCompress } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Compression } from '../../api/checkpoint-options.ts';
import type { ArchiveRoot } from './archive-root.ts';

export interface ArchiveResult {
  sizeBytes: bigint;
  sha256: string;
}

export interface CompressionLevels {
  gzip: number;
  zstd: number;
}

export const defaultCompressionLevels: CompressionLevels = { gzip: 1, zstd: 3 };

// Big chunks: each chunk is a hop to libuv's thread pool and back, and
// zlib's default 16 KiB output chunk cut zstd's throughput by a third here.
const chunkBytes = 1 << 20;

function compressor(compression: Compression, levels: CompressionLevels): Transform | undefined {
  switch (compression) {
    case 'None': return undefined;
    case 'Gzip': return createGzip({ level: levels.gzip, chunkSize: chunkBytes });
    case 'Zstd': return createZstdCompress({ chunkSize: chunkBytes, params: { [zlib.ZSTD_c_compressionLevel]: levels.zstd } });
  }
}

/** Counts and hashes what passes through. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0n;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += BigInt(chunk.length);
    done(null, chunk);
  }
}

/**
 * Writes the archive to `file` (a new file below the root) from what
 * `fill` adds to the tar, and returns its size and digest. A failure removes
 * the partial file, and so does an abort of signal (the checkpoint's deadline).
 */
export async function writeArchive(root: ArchiveRoot, file: string, compression: Compression,
  fill: (pack: Pack) => Promise<void>, levels: CompressionLevels = defaultCompressionLevels, signal?: AbortSignal): Promise<ArchiveResult> {
  const handle = await root.createFile(file);
  const digest = new Digest();
  const pack = tarPack();
  const filling = fill(pack).then(() => { pack.finalize(); }, (err: unknown) => {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  });
  try {
    const out = handle.createWriteStream({ highWaterMark: chunkBytes });
    const z = compressor(compression, levels);
    await Promise.all([
      z === undefined ? pipeline(pack, digest, out, { signal }) : pipeline(pack, z, digest, out, { signal }),
      filling,
    ]);
    return { sizeBytes: digest.bytes, sha256: digest.hash.digest('hex') };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await root.remove(root.relative(file)).catch(() => undefined);
    throw err;
  }
}
