// A running control plane for an integration suite: starts a session, installs
// crds/ and waits until discovery serves them. Suites use admin credentials
// only to arrange the world; the code under test runs as its own identity.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { ControlPlaneInfo } from '../env/controlplane.ts';
import { repoDir } from '../env/paths.ts';
import { run, runOk, waitFor, type RunResult } from '../env/run.ts';
import { Session } from './session.ts';

export interface ClusterOptions {
  /** Install crds/ and wait for discovery (default true). */
  installCrds?: boolean;
}

export class TestCluster {
  readonly info: ControlPlaneInfo;
  private readonly session: Session<ControlPlaneInfo>;
  private readonly scratch: string;

  private constructor(session: Session<ControlPlaneInfo>, scratch: string) {
    this.session = session;
    this.info = session.info;
    this.scratch = scratch;
  }

  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const session = await Session.start<ControlPlaneInfo>('controlplane');
    // Inside the session's own directory, which the session removes however
    // this process ends.
    const scratch = join(session.info.dir, 'kubeconfigs');
    await mkdir(scratch, { mode: 0o700 });
    const c = new TestCluster(session, scratch);
    try {
      if (opts.installCrds ?? true) await c.installCrds();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** Admin KubeConfig, for arranging test fixtures. */
  adminConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.info.kubeconfig);
    return kc;
  }

  /** Runs the real kubectl against this cluster (admin unless a kubeconfig is given). */
  kubectl(args: readonly string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<RunResult> {
    return run([this.info.kubectl, `--kubeconfig=${opts.kubeconfig ?? this.info.kubeconfig}`, ...args],
      { input: opts.input, timeoutMs: 60_000 });
  }

  kubectlOk(args: readonly string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<string> {
    return runOk([this.info.kubectl, `--kubeconfig=${opts.kubeconfig ?? this.info.kubeconfig}`, ...args],
      { input: opts.input, timeoutMs: 60_000 });
  }

  async installCrds(): Promise<void> {
    await this.kubectlOk(['apply', '--server-side', '-k', join(repoDir, 'crds')]);
    await this.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=ckpt-operator']);
    await waitFor('discovery to serve the ckpt.dev resources', async () => {
      const out = await this.kubectlOk(['api-resources', '--api-group=ckpt.dev', '--no-headers', '-o', 'name']);
      return out.trim() !== '' ? true : undefined;
    }, 30_000, 250);
  }

  /**
   * A kubeconfig file that authenticates as a ServiceAccount with a fresh
   * token. Self-contained (CA inline), so it can be copied into the node.
   */
  async serviceAccountKubeconfig(namespace: string, name: string, dir = this.scratch): Promise<string> {
    const token = (await this.kubectlOk(['create', 'token', name, '-n', namespace, '--duration=2h'])).trim();
    const file = join(dir, `${namespace}.${name}.kubeconfig`);
    const ca = (await readFile(this.info.caFile)).toString('base64');
    await writeFile(file, stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'ckpt-test', cluster: { server: this.info.server, 'certificate-authority-data': ca } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'ckpt-test', user: name, namespace } }],
      'current-context': name,
    }), { mode: 0o600 });
    return file;
  }

  configFromFile(file: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    return kc;
  }

  /** Installs the operator's namespace, ServiceAccounts and RBAC from deploy/. */
  async installRbac(): Promise<void> {
    await this.kubectlOk(['apply', '-k', join(repoDir, 'deploy', 'base', 'rbac')]);
  }

  restartApiServer(downMs = 0): Promise<unknown> {
    return this.session.request('restartApiServer', { downMs });
  }

  async stop(): Promise<void> {
    await this.session.close();
  }
}
