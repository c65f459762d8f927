// Adds files and directory trees to a tar-stream pack without following
// symlinks. With overlay whiteouts on, the character devices overlayfs uses to
// mark deleted files become OCI whiteout entries (.wh.<name>), the form image
// layers and CRI-O's rootfs-diff.tar use.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';

interface TreeOptions {
  overlayWhiteouts?: boolean;
  /** File names left out wherever they occur in a tree (the agent's own bookkeeping). */
  omitNames?: ReadonlySet<string>;
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0], content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, content ?? Buffer.alloc(0), (err) => { if (err) reject(err); else resolve(); });
  });
}

/** Adds one path (file, directory tree or symlink) under the archive name `name`. */
export async function addPath(pack: Pack, source: string, name: string, opts: TreeOptions = {}): Promise<void> {
  const st = await lstat(source);
  const common = { mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
  if (st.isDirectory()) {
    await entry(pack, { ...common, name: `${name}/`, type: 'directory' });
    for (const child of (await readdir(source)).sort()) {
      if (opts.omitNames?.has(child) === true) continue;
      await addPath(pack, join(source, child), `${name}/${child}`, opts);
    }
  } else if (st.isFile()) {
    const sink = pack.entry({ ...common, name, type: 'file', size: st.size });
    // Memory images are large: read them in 1 MiB chunks (see write-archive.ts).
    await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), sink);
  } else if (st.isSymbolicLink()) {
    await entry(pack, { ...common, name, type: 'symlink', linkname: await readlink(source) });
  } else if (st.isCharacterDevice() && st.rdev === 0 && opts.overlayWhiteouts === true) {
    const dir = dirname(name);
    await entry(pack, { ...common, mode: 0o600, name: `${dir === '.' ? '' : `${dir}/`}.wh.${basename(name)}`, type: 'file' });
  }
  // Sockets, FIFOs and devices carry no data a restore could use: left out.
}

/** Adds a file from memory. */
export function addBuffer(pack: Pack, name: string, content: Buffer, mtime: Date): Promise<void> {
  return entry(pack, { name, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime, size: content.length }, content);
}
