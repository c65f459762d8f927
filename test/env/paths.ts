// Where the project's provisioning scripts put what they build. Each script is
// idempotent and prints its cached result, so asking is cheap once built.
import { join } from 'node:path';
import { runOk } from './run.ts';

export const repoDir = join(import.meta.dirname, '..', '..');
export const hackDir = join(repoDir, 'hack');

async function script(name: string, ...args: string[]): Promise<string> {
  const out = await runOk([join(hackDir, name), ...args]);
  return out.trim().split('\n').pop() ?? '';
}

export const kubeBinDir = (): Promise<string> => script('build-kube.sh', 'kube');
export const etcdBinDir = (): Promise<string> => script('build-kube.sh', 'etcd');
export const nodeRootfs = (): Promise<string> => script('build-rootfs.sh');
export const workloadImage = (): Promise<string> => script('build-image.sh');
