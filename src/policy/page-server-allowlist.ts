// Where CRIU may stream memory pages. A page server receives raw memory, so
// its address must be on the admin's allowlist (CIDRs and ports); the list
// is empty by default, refusing every page server until an admin allows one.
// Names are resolved first and every address they resolve to must be allowed;
// CRIU is then given the checked address, not the name, so a DNS answer that
// changes afterwards cannot redirect the pages.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export interface AllowedPageServers {
  cidrs: string[];
  /** Allowed ports; empty means any port in the allowed networks. */
  ports: number[];
}

export const defaultAllowedPageServers: AllowedPageServers = { cidrs: [], ports: [] };

export class PageServerAllowlist {
  private readonly list = new BlockList();
  private readonly ports: Set<number>;
  readonly empty: boolean;

  constructor(cfg: AllowedPageServers) {
    for (const cidr of cfg.cidrs) {
      const [net = '', bits = ''] = cidr.split('/');
      const family = isIP(net);
      const prefix = Number(bits === '' ? (family === 6 ? 128 : 32) : bits);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new Error(`page server allowlist: ${cidr} is not a CIDR`);
      }
      this.list.addSubnet(net, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
    this.ports = new Set(cfg.ports);
    this.empty = cfg.cidrs.length === 0;
  }

  /** Whether one IP address and port are allowed. */
  allows(ip: string, port: number): boolean {
    const family = isIP(ip);
    if (family === 0) return false;
    if (this.ports.size > 0 && !this.ports.has(port)) return false;
    return this.list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The address to give CRIU, after resolving and checking; throws with the
   * reason when the page server is not allowed.
   */
  async check(address: string, port: number, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<string> {
    if (this.empty) throw new PageServerNotAllowedError(`page server ${address}:${port} refused: the operator allows no page servers (pageServerAllowlist is empty)`);
    const ips = isIP(address) !== 0 ? [address] : await resolve(address);
    if (ips.length === 0) throw new PageServerNotAllowedError(`page server ${address} does not resolve`);
    const denied = ips.filter((ip) => !this.allows(ip, port));
    if (denied.length > 0) {
      throw new PageServerNotAllowedError(`page server ${address}:${port} refused: ${denied.join(', ')} is outside the operator's page server allowlist`);
    }
    return ips[0] ?? address;
  }
}

export class PageServerNotAllowedError extends Error {
  override readonly name = 'PageServerNotAllowedError';
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}
