// A real node on this machine: containerd, runc and CRIU from the cached
// Debian root filesystem, running with that root as their mount root (see
// hack/node-root.sh) and the host PID namespace. Tests and the demo create
// containers in containerd's k8s.io namespace, where Kubernetes puts them.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdir, readFile, readlink, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupNode } from './node-cleanup.ts';
import { hackDir, nodeRootfs, workloadImage } from './paths.ts';
import { NodeHandle, type NodeInfo } from './node-handle.ts';
import { startDaemon, waitFor } from './run.ts';
import { makeScratch, orphanedScratch } from './scratch.ts';

export const nodePrefix = 'ckpt-node';
export { runcRoot, shareInNode, workloadImageName, type NodeInfo, type ContainerSpec } from './node-handle.ts';
import { shareInNode } from './node-handle.ts';

export interface NodeStackOptions {
  /**
   * Environment for containerd and therefore the shim, runc and CRIU under it.
   * CRIU_FAULT=130 makes CRIU step with ptrace where hardware breakpoints are
   * not delivered (these VMs); see docs/node-stack.md.
   */
  criuEnv?: Record<string, string>;
}

export const defaultCriuEnv = { CRIU_FAULT: '130' };

export class NodeStack extends NodeHandle {
  private readonly containerd: ChildProcess;

  private constructor(info: NodeInfo, containerd: ChildProcess) {
    super(info);
    this.containerd = containerd;
  }

  static async reapOrphans(): Promise<void> {
    for (const dir of await orphanedScratch(nodePrefix)) {
      const mntNs = (await readFile(join(dir, 'mntns'), 'utf8').catch(() => '')).trim();
      await cleanupNode(dir, mntNs === '' ? undefined : mntNs);
    }
  }

  static async start(opts: NodeStackOptions = {}): Promise<NodeStack> {
    await NodeStack.reapOrphans();
    const [rootfs, image] = await Promise.all([nodeRootfs(), workloadImage()]);
    const runDir = await makeScratch(nodePrefix);
    const criuEnv = opts.criuEnv ?? defaultCriuEnv;
    const share = join(runDir, 'share');
    await mkdir(join(share, 'images'), { recursive: true });
    const log = join(runDir, 'containerd.log');
    const fd = openSync(log, 'a');
    let containerd: ChildProcess;
    try {
      containerd = startDaemon([join(hackDir, 'node-root.sh'), runDir, rootfs, '--', 'containerd'], {
        stdio: ['ignore', fd, fd],
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...criuEnv },
      });
    } finally {
      closeSync(fd);
    }
    const pid = containerd.pid;
    if (pid === undefined) throw new Error('containerd did not start');
    try {
      const socket = `/proc/${pid}/root/run/containerd/containerd.sock`;
      await waitFor('containerd to serve', async () => {
        if (containerd.exitCode !== null) throw new Error('containerd exited');
        await access(socket);
        return true;
      }, 30_000);
      const mntNs = await readlink(`/proc/${pid}/ns/mnt`);
      await writeFile(join(runDir, 'mntns'), `${mntNs}\n`);
      const node = new NodeStack({ run: runDir, pid, mntNs, share, criuEnv }, containerd);
      await copyFile(image, join(share, 'images', 'workload.oci.tar'));
      await node.execOk(['ctr', '-n', 'k8s.io', 'image', 'import', `${shareInNode}/images/workload.oci.tar`]);
      return node;
    } catch (err) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
      await cleanupNode(runDir, await readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined));
      throw new Error(`${(err as Error).message}\n--- containerd.log ---\n${tail}`, { cause: err });
    }
  }

  async stop(): Promise<void> {
    await cleanupNode(this.info.run, this.info.mntNs);
    if (this.containerd.exitCode === null && this.containerd.signalCode === null) {
      await new Promise<void>((resolve) => this.containerd.once('exit', () => { resolve(); }));
    }
  }
}
