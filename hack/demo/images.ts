// The operator's images as the demo uses them: built as OCI layouts by
// hack/build-images.sh, unpacked by hack/unpack-image.sh, and their config
// (entrypoint, environment, user, working directory) read from the layout,
// so that the demo runs exactly what a cluster would pull.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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

/** Runs a hack/ script, passing its progress lines (stderr) to onLog; resolves with its last stdout line. */
function script(name: string, args: string[], onLog: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(hackDir, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    createInterface({ input: child.stderr }).on('line', (l) => { err += `${l}\n`; onLog(l); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`hack/${name} failed (exit ${String(code)}):\n${err.trim()}`));
    });
  });
}

/** Builds (or finds cached) both images and unpacks them. */
export async function buildImages(onLog: (line: string) => void): Promise<{ controller: BuiltImage; agent: BuiltImage }> {
  const dir = await script('build-images.sh', [], onLog);
  const load = async (name: string): Promise<BuiltImage> => {
    const layout = join(dir, name);
    const rootfs = (await runOk([join(hackDir, 'unpack-image.sh'), layout])).trim();
    return readImage(layout, rootfs);
  };
  const [controller, agent] = await Promise.all([load('controller'), load('agent')]);
  return { controller, agent };
}
