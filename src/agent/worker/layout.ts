// Where a checkpoint's files live below the archive root. The UID prefix
// keeps a recreated resource of the same name from meeting old files.
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { containerDirs } from '../pipeline/container-dump.ts';

export function checkpointDir(c: ContainerCheckpoint): string {
  return `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}-${(c.metadata.uid ?? '').slice(0, 8)}`;
}

/** Every directory below the root that holds this checkpoint's files. */
export function checkpointPaths(c: ContainerCheckpoint): string[] {
  const base = checkpointDir(c);
  const paths = new Set([base]);
  const o = c.spec.options ?? {};
  if (o.imagePath !== undefined || o.workPath !== undefined) {
    for (const ct of c.status?.containers ?? []) {
      const d = containerDirs(base, ct.name, o);
      paths.add(d.images);
      paths.add(d.work);
    }
  }
  return [...paths];
}
