// The leader-election record kept in a coordination.k8s.io/v1 Lease. Every
// write is a PUT carrying the resourceVersion that was read, so two candidates
// can never both believe their write won.
import type { KubeClient } from '../kube/kube-client.ts';
import { isNotFound } from '../kube/api-error.ts';
import type { KubeObject } from '../kube/object.ts';
import { coreResources } from '../kube/resource.ts';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string | undefined;
  renewTime: string | undefined;
  leaseTransitions: number;
}

export function recordOf(lease: Lease): LeaderRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: s.acquireTime ?? undefined,
    renewTime: s.renewTime ?? undefined,
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}

export function sameRecord(a: LeaderRecord | undefined, b: LeaderRecord): boolean {
  return a !== undefined && a.holderIdentity === b.holderIdentity && a.leaseDurationSeconds === b.leaseDurationSeconds
    && a.acquireTime === b.acquireTime && a.renewTime === b.renewTime && a.leaseTransitions === b.leaseTransitions;
}

export class LeaseLock {
  readonly namespace: string;
  readonly name: string;
  private readonly client: KubeClient;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** The lease, or undefined if it does not exist. */
  async get(signal?: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.client.get<Lease>(coreResources.leases, this.name, this.namespace, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  create(record: LeaderRecord, signal?: AbortSignal): Promise<Lease> {
    return this.client.create<Lease>(coreResources.leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: specOf(record),
    }, signal !== undefined ? { signal } : {});
  }

  /** Replaces the record of lease, failing with a ConflictError if it changed since it was read. */
  update(lease: Lease, record: LeaderRecord, signal?: AbortSignal): Promise<Lease> {
    return this.client.update<Lease>(coreResources.leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...lease.metadata, name: this.name, namespace: this.namespace },
      spec: { ...lease.spec, ...specOf(record) },
    }, signal !== undefined ? { signal } : {});
  }
}

function specOf(r: LeaderRecord): LeaseSpec {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: r.acquireTime ?? null,
    renewTime: r.renewTime ?? null,
    leaseTransitions: r.leaseTransitions,
  };
}
