// What goes into a container's checkpoint archive, in the layout kubelet,
// CRI-O and checkpointctl use:
//   checkpoint/       CRIU images
//   config.dump       JSON: container ID, name, image, runtime, times
//   spec.dump         the OCI runtime spec, with the io.kubernetes.cri.* annotations
//   stats-dump        CRIU statistics
//   dump.log          CRIU's log
//   rootfs-diff.tar   the container's changes to its image (overlay upper dir)
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pack } from 'tar-stream';
import { ownerMarkFile } from './owner-mark.ts';
import { addBuffer, addPath } from './tar-entries.ts';

export interface ContainerIdentity {
  /** Runtime container ID, without the containerd:// scheme. */
  id: string;
  name: string;
  podName: string;
  podNamespace: string;
  podUID: string;
  sandboxID?: string;
  image: string;
  imageRef: string;
  runtime: string;
  createdTime: Date;
}

export interface CheckpointParts {
  imagesDir: string;
  workDir: string;
  /** The bundle's config.json, parsed. */
  spec: Record<string, unknown>;
  /** A rootfs-diff.tar already written, if the container changed its root filesystem. */
  rootfsDiff?: string;
}

/** config.dump as checkpointctl reads it (its metadata.ContainerConfig). */
export function configDump(c: ContainerIdentity, checkpointedAt: Date): Buffer {
  return Buffer.from(JSON.stringify({
    id: c.id,
    name: c.name,
    rootfsImage: c.image,
    rootfsImageRef: c.imageRef,
    rootfsImageName: c.image,
    runtime: c.runtime,
    createdTime: c.createdTime.toISOString(),
    checkpointedTime: checkpointedAt.toISOString(),
  }, null, 2));
}

/**
 * spec.dump: the OCI spec, with the annotations containerd's CRI plugin puts
 * on Kubernetes containers filled in where missing, so that tools name the
 * pod and container the way Kubernetes does.
 */
export function specDump(spec: Record<string, unknown>, c: ContainerIdentity): Buffer {
  const annotations: Record<string, string> = {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.container-name': c.name,
    'io.kubernetes.cri.sandbox-name': c.podName,
    'io.kubernetes.cri.sandbox-namespace': c.podNamespace,
    'io.kubernetes.cri.sandbox-uid': c.podUID,
    'io.kubernetes.cri.image-name': c.image,
    ...(c.sandboxID !== undefined ? { 'io.kubernetes.cri.sandbox-id': c.sandboxID } : {}),
    ...(spec.annotations as Record<string, string> | undefined),
  };
  return Buffer.from(JSON.stringify({ ...spec, annotations }, null, 2));
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** Adds a container checkpoint's parts to an archive. */
export async function packCheckpoint(pack: Pack, parts: CheckpointParts, c: ContainerIdentity, checkpointedAt: Date): Promise<void> {
  await addPath(pack, parts.imagesDir, 'checkpoint', { omitNames: new Set([ownerMarkFile]) });
  await addBuffer(pack, 'config.dump', configDump(c, checkpointedAt), checkpointedAt);
  await addBuffer(pack, 'spec.dump', specDump(parts.spec, c), checkpointedAt);
  for (const name of ['stats-dump', 'dump.log']) {
    const p = join(parts.workDir, name);
    if (await exists(p)) await addPath(pack, p, name);
  }
  if (parts.rootfsDiff !== undefined) await addPath(pack, parts.rootfsDiff, 'rootfs-diff.tar');
}
