// How KubeClient reaches and authenticates to the API server. The common
// cases are read here without @kubernetes/client-node, whose configuration
// module loads the whole generated API (about 55 MiB of a controller's
// memory): in-cluster ServiceAccount tokens, and kubeconfig files whose user
// has a token, a token file or a client certificate. Anything else (exec and
// auth-provider plugins, several $KUBECONFIG files) goes to client-node,
// imported only then.
import { readFileSync, existsSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What KubeClient needs of a credential source; client-node's KubeConfig is one too. */
export interface CredentialSource {
  getCurrentCluster(): { server: string; proxyUrl?: string } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

interface Material {
  server: string;
  ca?: Buffer;
  insecure?: boolean;
  cert?: Buffer;
  key?: Buffer;
  /** A fixed token, or a file read again each time (bound tokens rotate). */
  token?: string;
  tokenFile?: string;
}

class StaticCredentials implements CredentialSource {
  private readonly m: Material;

  constructor(m: Material) {
    this.m = m;
  }

  getCurrentCluster(): { server: string } {
    return { server: this.m.server };
  }

  applyToHTTPSOptions(o: RequestOptions): Promise<void> {
    if (this.m.ca !== undefined) o.ca = this.m.ca;
    if (this.m.cert !== undefined) o.cert = this.m.cert;
    if (this.m.key !== undefined) o.key = this.m.key;
    if (this.m.insecure === true) o.rejectUnauthorized = false;
    const token = this.m.tokenFile !== undefined ? readFileSync(this.m.tokenFile, 'utf8').trim() : this.m.token;
    if (token !== undefined && token !== '') o.headers = { ...(o.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` };
    return Promise.resolve();
  }
}

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

function inCluster(env: NodeJS.ProcessEnv): Material | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || port === undefined || !existsSync(join(serviceAccountDir, 'token'))) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { server, ca: readFileSync(join(serviceAccountDir, 'ca.crt')), tokenFile: join(serviceAccountDir, 'token') };
}

type Named<T> = Array<{ name: string } & T>;
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Named<{ context: { cluster: string; user: string } }>;
  clusters?: Named<{ cluster: Record<string, unknown> }>;
  users?: Named<{ user?: Record<string, unknown> }>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The file's current context as Material, or undefined when it needs client-node (plugins, proxies). */
function fromKubeconfig(file: string): Material | undefined {
  const cfg = parse(readFileSync(file, 'utf8')) as KubeconfigFile;
  const ctx = cfg.contexts?.find((c) => c.name === cfg['current-context'])?.context;
  const cluster = cfg.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = cfg.users?.find((u) => u.name === ctx?.user)?.user ?? {};
  const server = str(cluster?.server);
  if (ctx === undefined || cluster === undefined || server === undefined) throw new Error(`${file}: no current context with a cluster`);
  const userKeys = new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data']);
  const clusterKeys = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify']);
  if (Object.keys(user).some((k) => !userKeys.has(k)) || Object.keys(cluster).some((k) => !clusterKeys.has(k))) return undefined;
  const rel = (p: string): string => (isAbsolute(p) ? p : join(dirname(file), p));
  const data = (inline: unknown, path: unknown): Buffer | undefined => {
    const d = str(inline);
    if (d !== undefined) return Buffer.from(d, 'base64');
    const p = str(path);
    return p !== undefined ? readFileSync(rel(p)) : undefined;
  };
  const m: Material = { server };
  const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (ca !== undefined) m.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) m.insecure = true;
  const cert = data(user['client-certificate-data'], user['client-certificate']);
  const key = data(user['client-key-data'], user['client-key']);
  if (cert !== undefined) m.cert = cert;
  if (key !== undefined) m.key = key;
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  if (token !== undefined) m.token = token;
  if (tokenFile !== undefined) m.tokenFile = rel(tokenFile);
  return m;
}

async function viaClientNode(file: string | undefined): Promise<CredentialSource> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (file !== undefined) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (kc.getCurrentCluster() === null) throw new Error(file !== undefined ? `${file}: no current cluster` : 'no kubeconfig found');
  return kc;
}

/**
 * Credentials from an explicit kubeconfig file, or the default search:
 * $KUBECONFIG, ~/.kube/config, then the in-cluster ServiceAccount.
 */
export async function loadCredentials(file?: string, env: NodeJS.ProcessEnv = process.env): Promise<CredentialSource> {
  let path = file !== undefined && file !== '' ? file : undefined;
  if (path === undefined && env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') {
    if (env.KUBECONFIG.includes(':')) return viaClientNode(undefined);
    path = env.KUBECONFIG;
  }
  const home = env.HOME ?? homedir();
  if (path === undefined && existsSync(join(home, '.kube', 'config'))) path = join(home, '.kube', 'config');
  if (path === undefined) {
    const m = inCluster(env);
    if (m === undefined) throw new Error('no kubeconfig found (not in a cluster, no $KUBECONFIG, no ~/.kube/config)');
    return new StaticCredentials(m);
  }
  const m = fromKubeconfig(path);
  return m !== undefined ? new StaticCredentials(m) : viaClientNode(path);
}
