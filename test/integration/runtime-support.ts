// Helpers for the runtime's integration suites: a TCP proxy that can silence or
// cut the connections of one client (the real failure a watchdog or a leader's
// renew deadline exists for), etcd compaction, a small test CRD, and RBAC
// identities for the code under test.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeClientOptions } from '../../src/runtime/kube/kube-client.ts';
import type { ResourceType } from '../../src/runtime/kube/resource.ts';
import type { TestCluster } from '../support/cluster.ts';

interface Pipe {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

/**
 * Forwards 127.0.0.1:port to the API server. TLS passes through untouched
 * (the server certificate names 127.0.0.1, whatever the port).
 */
export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly pipes = new Set<Pipe>();
  private blackholed = false;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl);
    const proxies: { p?: TcpProxy } = {};
    const server = createServer((client) => { proxies.p?.accept(client, target.hostname, Number(target.port)); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
    proxies.p = new TcpProxy(server, addr.port);
    return proxies.p;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /**
   * Existing connections go silent for good: nothing is forwarded either way
   * and neither side hears that the other closed. A half-open TCP connection,
   * as after a NAT or node failure.
   */
  freeze(): void {
    for (const p of this.pipes) p.frozen = true;
  }

  /** While on, new connections are accepted and then silent as well. */
  blackhole(on: boolean): void {
    this.blackholed = on;
  }

  /** Resets every connection. */
  cutAll(): void {
    for (const p of this.pipes) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pipes.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  private accept(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    const pipe: Pipe = { client, upstream, frozen: this.blackholed };
    this.pipes.add(pipe);
    const drop = (): void => {
      if (pipe.frozen) return;
      client.destroy();
      upstream.destroy();
      this.pipes.delete(pipe);
    };
    client.on('data', (d: Buffer) => { if (!pipe.frozen) upstream.write(d); });
    upstream.on('data', (d: Buffer) => { if (!pipe.frozen) client.write(d); });
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  }
}

/** The same credentials as kc, reaching the server through proxy. */
export function throughProxy(kc: KubeConfig, proxy: TcpProxy): KubeConfig {
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server: proxy.url })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}

export function clientFor(kc: KubeConfig, opts: KubeClientOptions = {}): KubeClient {
  return new KubeClient(kc, { userAgent: 'ckpt-runtime-test', ...opts });
}

/** Compacts etcd up to its current revision: every older resourceVersion is gone from storage. */
export async function compactEtcd(cluster: TestCluster): Promise<string> {
  const range = await fetch(`${cluster.info.etcdUrl}/v3/kv/range`, {
    method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
  });
  if (!range.ok) throw new Error(`etcd range: ${range.status} ${await range.text()}`);
  const { header } = await range.json() as { header: { revision: string } };
  const res = await fetch(`${cluster.info.etcdUrl}/v3/kv/compaction`, {
    method: 'POST', body: JSON.stringify({ revision: header.revision, physical: true }),
  });
  if (!res.ok) throw new Error(`etcd compaction: ${res.status} ${await res.text()}`);
  return header.revision;
}

export const widgets: ResourceType = { group: 'runtime-test.ckpt.dev', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };

/** A namespaced CRD with a status subresource, for exercising the runtime on custom resources. */
export async function installWidgetCrd(cluster: TestCluster): Promise<void> {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.runtime-test.ckpt.dev' },
    spec: {
      group: 'runtime-test.ckpt.dev',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{
        name: 'v1', served: true, storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      }],
    },
  };
  await cluster.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(crd) });
  await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/widgets.runtime-test.ckpt.dev']);
  await waitUntil('widgets to be served', async () => {
    const r = await cluster.kubectl(['get', 'widgets.runtime-test.ckpt.dev', '-A']);
    return r.code === 0;
  }, 30_000);
}

/**
 * A ServiceAccount bound to a Role with exactly these rules, and a kubeconfig
 * that authenticates as it: the code under test never runs as admin.
 */
export async function identityWithRules(cluster: TestCluster, namespace: string, name: string, rules: unknown[]): Promise<KubeConfig> {
  const docs = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  ];
  await cluster.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }) });
  // The authorizer learns about new bindings through its own watch: wait until it has.
  for (const rule of rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
    const group = rule.apiGroups[0] ?? '';
    const [plural = '', sub] = (rule.resources[0] ?? '').split('/');
    const resource = `${plural}${group !== '' ? `.${group}` : ''}`;
    const args = ['auth', 'can-i', rule.verbs[0] ?? '', resource, '-n', namespace, `--as=system:serviceaccount:${namespace}:${name}`];
    if (sub !== undefined) args.push(`--subresource=${sub}`);
    await waitUntil(`RBAC for ${name} to allow ${rule.verbs[0] ?? ''} ${rule.resources[0] ?? ''}`, async () => {
      const r = await cluster.kubectl(args);
      return r.stdout.trim() === 'yes';
    }, 30_000, 200);
  }
  return cluster.configFromFile(await cluster.serviceAccountKubeconfig(namespace, name));
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
