// Generic CRIU image decoding: any image file -> its magic name and entries.
// Format (criu/image.c, criu/protobuf.c): header magic(s), then entries, each
// a 32-bit little-endian length and that many bytes of protobuf; a few images
// follow some entries with a raw blob whose size the entry states.
import { readFile } from 'node:fs/promises';
import { IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC, imageMagics, magicName, type ImageMagicName } from './image-magic.ts';
import { criuType, toObjectOptions, type LongMode } from './proto.ts';

export class CriuImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CriuImageError';
  }
}

interface ImageSchema {
  /** Message type of the first entry, when it differs from the rest (pagemap). */
  head?: string;
  entry: string;
  /** Size of the raw blob that follows an entry. */
  extraBytes?: (entry: Record<string, unknown>) => number;
}

const numberField = (name: string) => (e: Record<string, unknown>): number => {
  const v = e[name];
  return typeof v === 'number' ? v : 0;
};

const schemas: Partial<Record<ImageMagicName, ImageSchema>> = {
  INVENTORY: { entry: 'inventory_entry' },
  PSTREE: { entry: 'pstree_entry' },
  CORE: { entry: 'core_entry' },
  IDS: { entry: 'task_kobj_ids_entry' },
  MM: { entry: 'mm_entry' },
  VMAS: { entry: 'vma_entry' },
  PAGEMAP: { head: 'pagemap_head', entry: 'pagemap_entry' },
  FDINFO: { entry: 'fdinfo_entry' },
  FILES: { entry: 'file_entry' },
  REG_FILES: { entry: 'reg_file_entry' },
  INETSK: { entry: 'inet_sk_entry' },
  UNIXSK: { entry: 'unix_sk_entry' },
  PACKETSK: { entry: 'packet_sock_entry' },
  NETLINK_SK: { entry: 'netlink_sk_entry' },
  PIPES: { entry: 'pipe_entry' },
  FIFO: { entry: 'fifo_entry' },
  NS_FILES: { entry: 'ns_file_entry' },
  EXT_FILES: { entry: 'ext_file_entry' },
  EVENTFD_FILE: { entry: 'eventfd_file_entry' },
  MEMFD_INODE: { entry: 'memfd_inode_entry' },
  TTY_FILES: { entry: 'tty_file_entry' },
  TTY_INFO: { entry: 'tty_info_entry' },
  FILE_LOCKS: { entry: 'file_lock_entry' },
  FS: { entry: 'fs_entry' },
  PIPES_DATA: { entry: 'pipe_data_entry', extraBytes: numberField('bytes') },
  FIFO_DATA: { entry: 'pipe_data_entry', extraBytes: numberField('bytes') },
  SK_QUEUES: { entry: 'sk_packet_entry', extraBytes: numberField('length') },
  TCP_STREAM: { entry: 'tcp_stream_entry', extraBytes: (e) => numberField('inqLen')(e) + numberField('outqLen')(e) },
  STATS: { entry: 'stats_entry' },
};

export interface CriuImageEntry {
  /** Schema name of the message, e.g. pagemap_head or pagemap_entry. */
  message: string;
  value: Record<string, unknown>;
  /** Size of the raw blob after this entry (pipe data, socket queues), skipped. */
  extraBytes?: number;
}

export interface CriuImage {
  magic: ImageMagicName;
  /** False when this project has no schema for the image: entries is empty then. */
  decoded: boolean;
  entries: CriuImageEntry[];
}

export interface DecodeOptions {
  /** How 64-bit integers come out: decimal strings (JSON-safe, the default) or bigint. */
  longs?: LongMode;
}

function readHeader(buf: Buffer): { magic: ImageMagicName; offset: number } {
  if (buf.length < 4) throw new CriuImageError(`not a CRIU image: ${buf.length} bytes`);
  const first = buf.readUInt32LE(0);
  if (first === IMG_COMMON_MAGIC || first === IMG_SERVICE_MAGIC) {
    if (buf.length < 8) throw new CriuImageError('CRIU image truncated in its header');
    const second = buf.readUInt32LE(4);
    const name = magicName(second);
    if (name === undefined) throw new CriuImageError(`unknown CRIU image magic 0x${second.toString(16)}`);
    const service = name === 'STATS' || name === 'IRMAP_CACHE';
    if (service !== (first === IMG_SERVICE_MAGIC)) {
      throw new CriuImageError(`CRIU image ${name} has the wrong header magic 0x${first.toString(16)}`);
    }
    return { magic: name, offset: 8 };
  }
  // inventory.img, and images from before CRIU put a common magic in front.
  const name = magicName(first);
  if (name === undefined) throw new CriuImageError(`unknown CRIU image magic 0x${first.toString(16)} (a raw image such as pages-*.img has no header)`);
  return { magic: name, offset: 4 };
}

export function decodeCriuImage(data: Uint8Array, opts: DecodeOptions = {}): CriuImage {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const { magic, offset } = readHeader(buf);
  const schema = schemas[magic];
  if (schema === undefined) return { magic, decoded: false, entries: [] };
  const conv = toObjectOptions(opts.longs ?? 'string');
  const entries: CriuImageEntry[] = [];
  let off = offset;
  while (off < buf.length) {
    if (buf.length - off < 4) throw new CriuImageError(`${magic} image: ${buf.length - off} stray bytes at offset ${off}`);
    const size = buf.readUInt32LE(off);
    off += 4;
    if (size > buf.length - off) throw new CriuImageError(`${magic} image: entry of ${size} bytes at offset ${off - 4} runs past the end`);
    const message = entries.length === 0 && schema.head !== undefined ? schema.head : schema.entry;
    const type = criuType(message);
    let value: Record<string, unknown>;
    try {
      value = type.toObject(type.decode(buf.subarray(off, off + size)), conv);
    } catch (err) {
      throw new CriuImageError(`${magic} image: entry at offset ${off - 4} is not a valid ${message}: ${(err as Error).message}`);
    }
    off += size;
    const entry: CriuImageEntry = { message, value };
    const extra = schema.extraBytes?.(value);
    if (extra !== undefined) {
      if (extra > buf.length - off) throw new CriuImageError(`${magic} image: ${extra}-byte blob at offset ${off} runs past the end`);
      entry.extraBytes = extra;
      off += extra;
    }
    entries.push(entry);
  }
  return { magic, decoded: true, entries };
}

export async function readCriuImage(path: string, opts: DecodeOptions = {}): Promise<CriuImage> {
  return decodeCriuImage(await readFile(path), opts);
}

/** Encodes entries as CRIU would write them; for tests and fixtures. */
export function encodeCriuImage(magic: ImageMagicName, entries: readonly { message: string; value: Record<string, unknown> }[]): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(magic === 'INVENTORY' ? 4 : 8);
  if (magic === 'INVENTORY') {
    header.writeUInt32LE(imageMagics.INVENTORY, 0);
  } else {
    header.writeUInt32LE(magic === 'STATS' || magic === 'IRMAP_CACHE' ? IMG_SERVICE_MAGIC : IMG_COMMON_MAGIC, 0);
    header.writeUInt32LE(imageMagics[magic], 4);
  }
  parts.push(header);
  for (const e of entries) {
    const type = criuType(e.message);
    const body = Buffer.from(type.encode(type.fromObject(e.value)).finish());
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length, 0);
    parts.push(len, body);
  }
  return Buffer.concat(parts);
}
