// The parent of an incremental checkpoint (options.parentCheckpoint): an
// earlier ContainerCheckpoint in the same namespace that succeeded on this
// node, whose images for the container are where its spec kept them. CRIU
// then writes only the pages that changed since (needs soft-dirty tracking).
import { outcomeOf } from '../../api/checkpoint-state.ts';
import { failureReasons } from '../../api/conditions.ts';
import { resources } from '../../api/names.ts';
import { isNotFound } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import { containerDirs } from '../pipeline/container-dump.ts';
import { DumpFailure } from '../pipeline/dump-failure.ts';
import { checkpointDir } from './layout.ts';
import type { Ckpt } from './status-updater.ts';

/** The parent's images directory for one container, relative to the archive root; undefined without a parent. */
export async function parentImagesDir(client: KubeClient, c: Ckpt, container: string, nodeName: string, signal?: AbortSignal): Promise<string | undefined> {
  const name = c.spec.options?.parentCheckpoint;
  if (name === undefined) return undefined;
  const ns = c.metadata.namespace ?? '';
  const notFound = (why: string): DumpFailure => new DumpFailure(failureReasons.parentNotFound, `parent checkpoint ${ns}/${name} ${why}`);
  let parent: Ckpt;
  try {
    parent = await client.get<Ckpt>(resources.containerCheckpoints, name, ns, signal);
  } catch (err) {
    if (isNotFound(err)) throw notFound('does not exist');
    throw err;
  }
  if (parent.metadata.uid === c.metadata.uid) throw notFound('is this checkpoint itself');
  if (outcomeOf(parent) !== 'succeeded') throw notFound('has not succeeded');
  if (parent.status?.nodeName !== nodeName) throw notFound(`was taken on node ${parent.status?.nodeName ?? '?'}, not on this node ${nodeName}`);
  if (!(parent.status.containers ?? []).some((x) => x.name === container)) throw notFound(`has no container ${container}`);
  return containerDirs(checkpointDir(parent), container, parent.spec.options ?? {}).images;
}
