// The crds/ directory's content: one YAML file per CRD plus a kustomization.
import { stringify } from 'yaml';
import { customResourceDefinitions } from './crds.ts';

const header = '# Generated from src/api by hack/gen-crds.ts (make generate). Do not edit.\n';

export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const names: string[] = [];
  for (const crd of customResourceDefinitions()) {
    const name = `${(crd.metadata as { name: string }).name}.yaml`;
    names.push(name);
    files.set(name, header + stringify(crd, { lineWidth: 0 }));
  }
  files.set('kustomization.yaml', header + stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names,
  }));
  return files;
}
