// Describes a resolved runc container for the CRIU dump request builder, the
// way runc's Checkpoint() looks at it: joined namespaces become external, bind
// mounts, cgroup v1 binds, masked files and devices become external mounts.
// Paths inside the container are looked up through /proc/<pid>/root, which
// works from any mount namespace in the host PID namespace.
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { DumpTarget, ExternalNamespace } from '../criu/dump-request.ts';
import type { RuncContainer } from './container.ts';
import { readMountInfo } from './mountinfo.ts';
import { resolveInRoot } from './secure-join.ts';

export interface DumpTargetOptions {
  /** The host PID namespace's /proc, as this process sees it. */
  procRoot?: string;
}

const externalNsTypes: Record<string, ExternalNamespace['type']> = { NEWNET: 'net', NEWPID: 'pid' };
const nsFiles: Record<ExternalNamespace['type'], string> = { net: 'net', pid: 'pid' };

/** The cgroup CRIU should freeze: the v1 freezer when there is one, else the v2 cgroup. */
export function freezeCgroupOf(cgroupPaths: Readonly<Record<string, string>>): string | undefined {
  const v1 = cgroupPaths.freezer;
  if (v1 !== undefined && v1 !== '') return v1;
  const v2 = cgroupPaths[''];
  return v2 !== undefined && v2 !== '' ? v2 : undefined;
}

function isUnifiedOnly(cgroupPaths: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(cgroupPaths);
  return keys.length > 0 && keys.every((k) => k === '');
}

function under(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(d);
}

export async function describeDumpTarget(container: RuncContainer, opts: DumpTargetOptions = {}): Promise<DumpTarget> {
  const procRoot = opts.procRoot ?? '/proc';
  const { state, pid } = container;
  const cfg = state.config;
  const inRoot = `${procRoot}/${pid}/root`;

  const externalNamespaces: ExternalNamespace[] = [];
  for (const ns of cfg.namespaces) {
    const type = externalNsTypes[ns.type];
    if (type === undefined || ns.path === '') continue;
    // The namespace init is in is the one it joined; its nsfs inode is what
    // CRIU sees, whatever path the runtime used to join it.
    const st = await stat(`${procRoot}/${pid}/ns/${nsFiles[type]}`, { bigint: true });
    externalNamespaces.push({ type, inode: st.ino });
  }

  const bindMounts: string[] = [];
  const hasCgroupNs = cfg.namespaces.some((n) => n.type === 'NEWCGROUP');
  const unified = isUnifiedOnly(state.cgroupPaths);
  let mountinfo: Awaited<ReturnType<typeof readMountInfo>> | undefined;
  for (const m of cfg.mounts) {
    // runc trims a rootfs prefix some runtimes leave on destinations.
    const dest = m.destination.startsWith(cfg.rootfs) ? m.destination.slice(cfg.rootfs.length) : m.destination;
    if (m.device === 'bind') {
      bindMounts.push(await resolveInRoot(inRoot, dest));
    } else if (m.device === 'cgroup' && !unified && !hasCgroupNs) {
      // runc bind-mounts each v1 hierarchy under the cgroup mount; those
      // binds are the external mounts (runc's getCgroupMounts).
      const base = await resolveInRoot(inRoot, dest);
      mountinfo ??= await readMountInfo(pid, procRoot);
      for (const mi of mountinfo) {
        if (mi.fsType === 'cgroup' && under(mi.mountPoint, base)) bindMounts.push(mi.mountPoint);
      }
    }
  }

  const maskedFiles: string[] = [];
  for (const p of cfg.maskPaths) {
    try {
      const st = await stat(posix.join(inRoot, p));
      if (!st.isDirectory()) maskedFiles.push(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  const target: DumpTarget = {
    pid,
    rootfs: cfg.rootfs,
    labels: cfg.labels,
    externalNamespaces,
    bindMounts,
    devices: cfg.devices.map((d) => d.path),
    maskedFiles,
  };
  const freeze = freezeCgroupOf(state.cgroupPaths);
  if (freeze !== undefined) target.freezeCgroup = freeze;
  return target;
}
