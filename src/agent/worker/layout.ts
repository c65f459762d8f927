// Where a checkpoint's files live below the archive root. The UID prefix
// keeps a recreated resource of the same name from meeting old files.
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { containerDirs } from '../pipeline/container-dump.ts';

export function checkpointDir(c: ContainerCheckpoint): string {
  return `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}-${(c.metadata.uid ?? '').slice(0, 8)}`;
}

/** The directories the spec chose (imagePath, workPath) for its containers, outside checkpointDir. */
export function chosenDirs(c: ContainerCheckpoint): string[] {
  const base = checkpointDir(c);
  const o = c.spec.options ?? {};
  if (o.imagePath === undefined && o.workPath === undefined) return [];
  const out = new Set<string>();
  for (const ct of c.status?.containers ?? []) {
    const d = containerDirs(base, ct.name, o);
    for (const p of [d.images, d.work]) if (!p.startsWith(`${base}/`)) out.add(p);
  }
  return [...out];
}
