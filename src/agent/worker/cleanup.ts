// Removing a checkpoint's files from the node: when the resource is deleted
// (then the archive finalizer goes), and when it failed (partial files).
import type { ArchiveRoot } from '../archive/archive-root.ts';
import type { Ckpt } from './status-updater.ts';
import { checkpointPaths } from './layout.ts';

export async function removeCheckpointFiles(root: ArchiveRoot, c: Ckpt): Promise<string[]> {
  const paths = checkpointPaths(c);
  for (const p of paths) await root.remove(p);
  return paths;
}
