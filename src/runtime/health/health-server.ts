// The only listener a component has: /healthz (the process works), /readyz
// (it can serve: caches synced, election joined), /metrics (Prometheus text).
// Checks answer true, or false / a string saying what is wrong.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { errorFields, silentLogger } from '../logging/logger.ts';

export type Check = () => boolean | string | Promise<boolean | string>;

export interface HealthServerOptions {
  /** Default 0.0.0.0 (probes come from the kubelet, scrapes from Prometheus). */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry?: Registry;
  logger?: Logger;
}

export class HealthServer {
  private readonly opts: HealthServerOptions;
  private readonly log: Logger;
  private readonly health = new Map<string, Check>();
  private readonly readiness = new Map<string, Check>();
  private server: Server | undefined;

  constructor(opts: HealthServerOptions) {
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'health-server' });
  }

  addHealthCheck(name: string, check: Check): void {
    this.health.set(name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.readiness.set(name, check);
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    const server = createServer((req, res) => { void this.handle(req, res); });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.log.info({ port }, 'serving /healthz, /readyz and /metrics');
    return port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => { resolve(); });
      s.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        reply(res, 405, 'method not allowed\n');
      } else if (url.pathname === '/healthz' || url.pathname === '/livez') {
        await this.runChecks(this.health, url, res);
      } else if (url.pathname === '/readyz') {
        await this.runChecks(this.readiness, url, res);
      } else if (url.pathname === '/metrics' && this.opts.registry !== undefined) {
        const body = await this.opts.registry.metrics();
        reply(res, 200, body, this.opts.registry.contentType);
      } else {
        reply(res, 404, 'not found\n');
      }
    } catch (err) {
      this.log.error(errorFields(err), 'health endpoint failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.end();
    }
  }

  private async runChecks(checks: Map<string, Check>, url: URL, res: ServerResponse): Promise<void> {
    const lines: string[] = [];
    let ok = true;
    for (const [name, check] of checks) {
      let outcome: boolean | string;
      try {
        outcome = await check();
      } catch (err) {
        outcome = err instanceof Error ? err.message : String(err);
      }
      if (outcome === true) {
        lines.push(`[+]${name} ok`);
      } else {
        ok = false;
        lines.push(`[-]${name} failed: ${outcome === false ? 'not ready' : outcome}`);
      }
    }
    const verbose = url.searchParams.has('verbose') || !ok;
    const body = verbose ? `${lines.join('\n')}\n${ok ? 'ok' : 'failed'}\n` : 'ok\n';
    reply(res, ok ? 200 : 500, body);
  }
}

function reply(res: ServerResponse, code: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
