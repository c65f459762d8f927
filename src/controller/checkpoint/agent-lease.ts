// Whether a node has a live agent, read from the Lease the agent holds.

/** The parts of a coordination.k8s.io Lease read here (timestamps as on the wire, or Dates). */
export interface AgentLease {
  spec?: {
    holderIdentity?: string | null;
    renewTime?: string | Date | null;
    acquireTime?: string | Date | null;
    leaseDurationSeconds?: number | null;
  };
}

export const agentLeasePrefix = 'ckpt-agent-';

export function agentLeaseName(nodeName: string): string {
  return `${agentLeasePrefix}${nodeName}`;
}

export interface AgentPresence {
  /** Holder of the node's Lease while it is fresh. */
  identity: string;
  /** When the Lease runs out unless renewed. */
  expires: Date;
}

/** The live holder of a node's agent Lease, or undefined if none holds it now. */
export function agentPresence(lease: AgentLease | undefined, now: Date): AgentPresence | undefined {
  const spec = lease?.spec;
  const holder = spec?.holderIdentity;
  const renewed = spec?.renewTime ?? spec?.acquireTime;
  if (holder === undefined || holder === null || holder === '' || renewed === undefined || renewed === null) return undefined;
  const expires = new Date(new Date(renewed).getTime() + (spec?.leaseDurationSeconds ?? 0) * 1000);
  return expires > now ? { identity: holder, expires } : undefined;
}
