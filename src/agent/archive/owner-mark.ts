// Which checkpoint made a directory its spec chose (imagePath, workPath).
// Such a path may name any place below the archive root, including one that
// another checkpoint made; removing a checkpoint's files removes a chosen
// directory only when its mark names that checkpoint, so that one tenant's
// spec can never make the agent delete another's files.
import { join } from 'node:path';
import type { ArchiveRoot } from './archive-root.ts';

/** Not a valid container name (a DNS label cannot start with a dot), so it never meets one. */
export const ownerMarkFile = '.ckpt-owner';

/** Marks a directory this checkpoint just created exclusively. */
export async function markOwner(root: ArchiveRoot, dir: string, owner: string): Promise<void> {
  const fh = await root.createFile(join(root.resolve(dir), ownerMarkFile));
  try {
    await fh.writeFile(owner);
  } finally {
    await fh.close();
  }
}

/** Whether dir exists and carries this checkpoint's mark. */
export async function isOwnedBy(root: ArchiveRoot, dir: string, owner: string): Promise<boolean> {
  return (await root.readSmallFile(`${dir}/${ownerMarkFile}`, 1024)) === owner;
}
