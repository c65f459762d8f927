// Which REST collection an object lives in. The runtime works on any resource
// (core types and CRDs alike) given its group, version and plural.

export interface ResourceType {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural used in URLs, e.g. 'pods', 'containercheckpoints'. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export function apiVersionOf(r: Pick<ResourceType, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export interface PathParts {
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

/**
 * The URL path of a collection, an object or one of its subresources. A
 * namespaced resource without a namespace addresses all namespaces (list and
 * watch only).
 */
export function resourcePath(r: ResourceType, parts: PathParts = {}): string {
  const root = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  let path = root;
  if (r.namespaced && parts.namespace !== undefined && parts.namespace !== '') {
    path += `/namespaces/${encodeURIComponent(parts.namespace)}`;
  }
  path += `/${r.plural}`;
  if (parts.name !== undefined) {
    path += `/${encodeURIComponent(parts.name)}`;
    if (parts.subresource !== undefined) path += `/${parts.subresource}`;
  } else if (parts.subresource !== undefined) {
    throw new Error(`resourcePath: subresource ${parts.subresource} needs an object name`);
  }
  return path;
}

/** Built-in types the runtime itself uses or that most controllers watch. */
export const coreResources = {
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  events: { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
} as const satisfies Record<string, ResourceType>;
