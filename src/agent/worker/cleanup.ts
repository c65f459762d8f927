// Removing a checkpoint's files from the node: when the resource is deleted
// (then the archive finalizer goes), and when it failed (partial files). Its
// own directory goes whole; a directory its spec chose goes only when this
// checkpoint made it (see owner-mark.ts).
import { PathEscapeError, type ArchiveRoot } from '../archive/archive-root.ts';
import { isOwnedBy } from '../archive/owner-mark.ts';
import type { Ckpt } from './status-updater.ts';
import { checkpointDir, chosenDirs } from './layout.ts';

// A path through a planted symlink holds nothing of ours (the agent never
// writes through one), so it is skipped rather than blocking the finalizer.
async function unlessEscaping(f: () => Promise<boolean>): Promise<boolean> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof PathEscapeError) return false;
    throw err;
  }
}

/** Removes what the checkpoint left below the root; returns the paths removed. */
export async function removeCheckpointFiles(root: ArchiveRoot, c: Ckpt): Promise<string[]> {
  const removed: string[] = [];
  const owner = c.metadata.uid ?? '';
  for (const dir of chosenDirs(c)) {
    const gone = await unlessEscaping(async () => {
      if (owner === '' || !(await isOwnedBy(root, dir, owner))) return false;
      await root.remove(dir);
      return true;
    });
    if (gone) removed.push(dir);
  }
  const base = checkpointDir(c);
  if (await unlessEscaping(async () => { await root.remove(base); return true; })) removed.unshift(base);
  return removed;
}
