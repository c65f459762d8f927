// Status writes through the /status subresource, always with the
// resourceVersion the caller read. If the object changed in between the server
// answers 409 and the write surfaces as a ConflictError: the controller loop
// requeues, the reconciler reads the new object and decides again. Nothing is
// overwritten blind.
import type { KubeClient } from '../kube/kube-client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';

export interface StatusWriterOptions {
  /** Recorded in managedFields as the writer of these fields. */
  fieldManager?: string;
}

export class StatusWriter {
  private readonly client: Pick<KubeClient, 'updateStatus' | 'patch'>;
  private readonly fieldManager: string | undefined;

  constructor(client: Pick<KubeClient, 'updateStatus' | 'patch'>, opts: StatusWriterOptions = {}) {
    this.client = client;
    this.fieldManager = opts.fieldManager;
  }

  /** Replaces obj's status; obj must carry the resourceVersion it was read at. */
  update<T extends KubeObject>(r: ResourceType, obj: T, signal?: AbortSignal): Promise<T> {
    requireVersion(obj);
    return this.client.updateStatus(r, obj, {
      ...(this.fieldManager !== undefined ? { fieldManager: this.fieldManager } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  }

  /**
   * Merges status into obj's status (JSON merge patch), guarded by obj's
   * resourceVersion just like update().
   */
  patch<T extends KubeObject>(r: ResourceType, obj: T, status: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const rv = requireVersion(obj);
    return this.client.patch<T>(r, obj.metadata?.name ?? '', obj.metadata?.namespace, { metadata: { resourceVersion: rv }, status }, {
      type: 'merge',
      subresource: 'status',
      ...(this.fieldManager !== undefined ? { fieldManager: this.fieldManager } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  }
}

function requireVersion(obj: KubeObject): string {
  const rv = obj.metadata?.resourceVersion;
  if (rv === undefined || rv === '' || obj.metadata?.name === undefined) {
    throw new Error('refusing a status write without name and resourceVersion: it would overwrite whatever is there');
  }
  return rv;
}
