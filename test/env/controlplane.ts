// A real, throwaway Kubernetes control plane on loopback: etcd, kube-apiserver
// with RBAC, and kube-controller-manager running only the garbage collector and
// the namespace controller (owner-reference cascades and namespace deletion are
// part of the behaviour under test). Started the way envtest starts them.
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeCerts, type ControlPlaneCerts } from './certs.ts';
import { etcdBinDir, kubeBinDir } from './paths.ts';
import { freePort, startDaemon, stopChild, waitFor } from './run.ts';
import { makeScratch, orphanedScratch, removeScratch } from './scratch.ts';

export const controlPlanePrefix = 'ckpt-cp';

export interface ControlPlaneInfo {
  /** Scratch directory holding data, certificates and logs. */
  dir: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin (system:masters) kubeconfig. Tests of RBAC must not use it for the code under test. */
  kubeconfig: string;
  caFile: string;
  kubectl: string;
  etcdUrl: string;
}

interface Proc {
  name: string;
  argv: string[];
  child?: ChildProcess;
}

async function logTail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

export class ControlPlane {
  readonly info: ControlPlaneInfo;
  private readonly procs: Proc[];
  private readonly certs: ControlPlaneCerts;

  private constructor(info: ControlPlaneInfo, procs: Proc[], certs: ControlPlaneCerts) {
    this.info = info;
    this.procs = procs;
    this.certs = certs;
  }

  static async start(): Promise<ControlPlane> {
    for (const stale of await orphanedScratch(controlPlanePrefix)) await removeScratch(stale);
    const [kubeDir, etcdDir] = await Promise.all([kubeBinDir(), etcdBinDir()]);
    const dir = await makeScratch(controlPlanePrefix);
    try {
      const certDir = join(dir, 'pki');
      await mkdir(certDir, { mode: 0o700 });
      const certs = await makeCerts(certDir);
      const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
      const etcdUrl = `http://127.0.0.1:${etcdPort}`;
      const server = `https://127.0.0.1:${apiPort}`;
      const kubeconfig = join(dir, 'admin.kubeconfig');
      await writeFile(kubeconfig, await adminKubeconfig(server, certs), { mode: 0o600 });
      const procs: Proc[] = [
        {
          name: 'etcd',
          argv: [join(etcdDir, 'etcd'), '--name=default', `--data-dir=${join(dir, 'etcd')}`,
            `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
            `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
            // A test cluster's data is thrown away: skip fsync as envtest does.
            '--unsafe-no-fsync=true', '--log-level=warn'],
        },
        {
          name: 'kube-apiserver',
          argv: [join(kubeDir, 'kube-apiserver'), `--etcd-servers=${etcdUrl}`,
            '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
            `--tls-cert-file=${certs.serverCert}`, `--tls-private-key-file=${certs.serverKey}`,
            `--client-ca-file=${certs.caCert}`,
            `--service-account-key-file=${certs.saPub}`, `--service-account-signing-key-file=${certs.saKey}`,
            '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
            '--service-cluster-ip-range=10.0.0.0/24', '--authorization-mode=RBAC', '--allow-privileged=true',
            // No kubelets or Services here: nothing needs the kubernetes endpoint.
            '--endpoint-reconciler-type=none',
            // Pods here are records without a kubelet; the ServiceAccount plugin
            // would only race the token controller for each new namespace.
            '--disable-admission-plugins=ServiceAccount',
            `--cert-dir=${certDir}`, '--profiling=false', '--shutdown-delay-duration=0s', '--v=0'],
        },
        {
          name: 'kube-controller-manager',
          argv: [join(kubeDir, 'kube-controller-manager'), `--kubeconfig=${kubeconfig}`,
            `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
            '--controllers=garbagecollector,namespace', '--leader-elect=false',
            '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`, `--cert-dir=${certDir}`,
            '--concurrent-gc-syncs=5', '--v=0'],
        },
      ];
      const cp = new ControlPlane({ dir, server, kubeconfig, caFile: certs.caCert, kubectl: join(kubeDir, 'kubectl'), etcdUrl }, procs, certs);
      await cp.startProc('etcd');
      await cp.startProc('kube-apiserver');
      await cp.startProc('kube-controller-manager');
      return cp;
    } catch (err) {
      await removeScratch(dir);
      throw err;
    }
  }

  private proc(name: string): Proc {
    const p = this.procs.find((x) => x.name === name);
    if (p === undefined) throw new Error(`unknown process ${name}`);
    return p;
  }

  private async startProc(name: string): Promise<void> {
    const p = this.proc(name);
    const log = join(this.info.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    try {
      p.child = startDaemon(p.argv, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const child = p.child;
    const ready = (): Promise<true | undefined> => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`${name} exited`));
      }
      switch (name) {
        case 'etcd': return this.httpOk(`${this.info.etcdUrl}/health`);
        case 'kube-apiserver': return this.httpOk(`${this.info.server}/readyz`);
        default: return Promise.resolve(true);
      }
    };
    try {
      await waitFor(`${name} to become ready`, async () => {
        const ok = await ready();
        return ok;
      }, 120_000, 200);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- ${log} ---\n${await logTail(log)}`, { cause: err });
    }
  }

  private httpOk(url: string): Promise<true | undefined> {
    if (url.startsWith('http://')) {
      return fetch(url).then((r) => (r.ok ? true : undefined));
    }
    return new Promise((resolve, reject) => {
      const agent = new Agent({ keepAlive: false });
      Promise.all([readFile(this.certs.caCert), readFile(this.certs.adminCert), readFile(this.certs.adminKey)])
        .then(([ca, cert, key]) => {
          const req = request(url, { ca, cert, key, agent, timeout: 2000 }, (res) => {
            res.resume();
            resolve(res.statusCode === 200 ? true : undefined);
          });
          req.on('error', reject);
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.end();
        })
        .catch(reject);
    });
  }

  /** Stops kube-apiserver and starts it again on the same port and data. */
  async restartApiServer(downMs = 0): Promise<void> {
    const p = this.proc('kube-apiserver');
    if (p.child !== undefined) await stopChild(p.child);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.startProc('kube-apiserver');
  }

  async stop(): Promise<void> {
    for (const p of [...this.procs].reverse()) {
      if (p.child !== undefined) await stopChild(p.child, 10_000);
    }
    await removeScratch(this.info.dir);
  }
}

async function adminKubeconfig(server: string, c: ControlPlaneCerts): Promise<string> {
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'ckpt-test', cluster: { server, 'certificate-authority-data': await b64(c.caCert) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': await b64(c.adminCert), 'client-key-data': await b64(c.adminKey) } }],
    contexts: [{ name: 'admin', context: { cluster: 'ckpt-test', user: 'admin' } }],
    'current-context': 'admin',
  });
}
