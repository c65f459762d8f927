// Rendering deploy/ as a user would (kubectl kustomize), including an overlay
// of one's own that adds the optional monitoring component.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoDir } from '../env/paths.ts';
import { kubeBinDir } from '../env/paths.ts';
import { runOk } from '../env/run.ts';

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** The kustomizations users apply: the base and the overlays. */
export const variants = ['deploy/base', 'deploy/overlays/containerd', 'deploy/overlays/cri-o'] as const;
export const monitoringComponent = 'deploy/components/monitoring';

export async function kubectlBinary(): Promise<string> {
  return join(await kubeBinDir(), 'kubectl');
}

export function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
}

export async function render(dir: string): Promise<Obj[]> {
  return parseObjects(await runOk([await kubectlBinary(), 'kustomize', dir]));
}

/**
 * A temporary kustomization of the user's own: `resources: [variant]`,
 * `components: [monitoring]`. Kustomize only takes relative paths, so it
 * names the repository's directories relative to the temporary one.
 */
export async function withMonitoring(variant: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-deploy-test.'));
  const rel = (p: string): string => relative(dir, join(repoDir, p));
  await writeFile(join(dir, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `resources: [${rel(variant)}]`,
    `components: [${rel(monitoringComponent)}]`,
    '',
  ].join('\n'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const rbacKinds = new Set(['Namespace', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

export function key(o: Obj): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
