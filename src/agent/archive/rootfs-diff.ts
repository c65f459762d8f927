// rootfs-diff.tar: the files a container added, changed or deleted in its
// root filesystem, read from the overlay upper directory, so that a restore
// on another node can recreate them on top of the image.
import { readdir } from 'node:fs/promises';
import { pack as tarPack } from 'tar-stream';
import type { ArchiveRoot } from './archive-root.ts';
import { addPath } from './tar-entries.ts';
import { pipeline } from 'node:stream/promises';

/** Writes the upper dir's content as a tar at `file`; returns false (and writes nothing) when it is empty. */
export async function writeRootfsDiff(root: ArchiveRoot, upperDir: string, file: string, signal?: AbortSignal): Promise<boolean> {
  const children = (await readdir(upperDir)).sort();
  if (children.length === 0) return false;
  const handle = await root.createFile(file);
  const pack = tarPack();
  const filling = (async () => {
    for (const child of children) await addPath(pack, `${upperDir}/${child}`, child, { overlayWhiteouts: true });
    pack.finalize();
  })();
  try {
    await Promise.all([pipeline(pack, handle.createWriteStream(), { signal }), filling]);
    return true;
  } catch (err) {
    pack.destroy();
    await root.remove(root.relative(file)).catch(() => undefined);
    throw err;
  }
}
