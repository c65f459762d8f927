// The operator's images as the demo uses them: built as OCI layouts by
// hack/build-images.sh, unpacked by hack/unpack-image.sh, and their config
// (entrypoint, environment, user, working directory) read from the layout,
// so that the demo runs exactly what a cluster would pull.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hackDir } from '../../test/env/paths.ts';
import { runOk } from '../../test/env/run.ts';

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
}

export interface BuiltImage {
  /** Registry reference, as the manifests name it after kustomize's images: transform. */
  ref: string;
  /** OCI layout directory. */
  layout: string;
  /** The unpacked root filesystem. */
  rootfs: string;
  config: ImageConfig;
  /** Sum of the layer sizes (uncompressed tar). */
  layerBytes: number;
  layers: number;
}

interface Descriptor { digest: string; size: number; annotations?: Record<string, string> }

async function blob<T>(layout: string, digest: string): Promise<T> {
  const [alg = '', hex = ''] = digest.split(':');
  return JSON.parse(await readFile(join(layout, 'blobs', alg, hex), 'utf8')) as T;
}

export async function readImage(layout: string, rootfs: string): Promise<BuiltImage> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const m = index.manifests[0];
  if (m === undefined) throw new Error(`${layout}: index.json names no manifest`);
  const manifest = await blob<{ config: Descriptor; layers: Descriptor[] }>(layout, m.digest);
  const config = (await blob<{ config?: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; User?: string; WorkingDir?: string } }>(layout, manifest.config.digest)).config ?? {};
  return {
    ref: m.annotations?.['io.containerd.image.name'] ?? '',
    layout, rootfs,
    config: { entrypoint: config.Entrypoint ?? [], cmd: config.Cmd ?? [], env: config.Env ?? [], user: config.User ?? '', workingDir: config.WorkingDir ?? '/' },
    layerBytes: manifest.layers.reduce((n, l) => n + l.size, 0),
    layers: manifest.layers.length,
  };
}

/** Both images, from the directory hack/build-images.sh printed, unpacked. */
export async function loadImages(dir: string): Promise<{ controller: BuiltImage; agent: BuiltImage }> {
  const load = async (name: string): Promise<BuiltImage> => {
    const layout = join(dir, name);
    const rootfs = (await runOk([join(hackDir, 'unpack-image.sh'), layout])).trim();
    return readImage(layout, rootfs);
  };
  const [controller, agent] = await Promise.all([load('controller'), load('agent')]);
  return { controller, agent };
}
