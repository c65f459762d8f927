// Everything the demo runs, built or found in the cache by the project's
// hack/ scripts: kube binaries and etcd, the node's root file system, the
// workload image, and the operator's images. Independent builds run side by
// side (compiling Kubernetes is CPU-bound, debootstrap network-bound); each
// script's progress lines are passed on as they come.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hackDir } from '../../test/env/paths.ts';

/** Runs a hack/ script; resolves with the last line it printed (its result). */
export function runScript(name: string, args: string[], onLog: (line: string) => void): Promise<string> {
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

/** Provisions everything; resolves with the directory of the operator's OCI layouts. */
export async function provision(onLog: (line: string) => void): Promise<string> {
  const [, , images] = await Promise.all([
    runScript('build-kube.sh', ['all'], onLog),
    runScript('build-rootfs.sh', [], onLog).then(() => runScript('build-image.sh', [], onLog)),
    runScript('build-images.sh', [], onLog),
  ]);
  return images;
}
