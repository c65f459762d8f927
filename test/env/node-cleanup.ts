// Tears down a node session completely: every process in the node's mount
// namespace and everything they started (shims, container processes, runc
// containers restored outside containerd), the containers' cgroups, and the
// scratch directory. Works from the host, also after the session's owner was
// killed, because it finds processes by namespace and parentage, not by
// bookkeeping that the dead owner would have held.
import { readdir, readFile, readlink, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isAlive, removeScratch } from './scratch.ts';
import { sleep } from './run.ts';

/** Cgroups the node's runtimes create: containerd's namespace parent and the restore tests' parent. */
function isContainerCgroup(dir: string): boolean {
  return /\/(k8s\.io|ckpt-restore)\/[^/]+$/.test(dir);
}

interface ProcEntry { pid: number; ppid: number; mntNs: string }

async function listProcs(): Promise<ProcEntry[]> {
  const out: ProcEntry[] = [];
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Field 4 is the parent PID; the command name (field 2) may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid, ppid, mntNs: await readlink(`/proc/${pid}/ns/mnt`) });
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

/** Runc state files of every container the node knows, read through a live process of the node. */
async function runcStates(nodePid: number): Promise<Array<{ initPid: number; cgroups: string[] }>> {
  const found: Array<{ initPid: number; cgroups: string[] }> = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 5) return;
    let entries;
    try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.name === 'state.json') {
        try {
          const s = JSON.parse(await readFile(p, 'utf8')) as { init_process_pid?: number; cgroup_paths?: Record<string, string> };
          found.push({ initPid: s.init_process_pid ?? 0, cgroups: Object.values(s.cgroup_paths ?? {}) });
        } catch { /* a half-written state file */ }
      }
    }
  };
  await walk(`/proc/${nodePid}/root/run`, 0);
  return found;
}

/** The v1 and v2 cgroup directories a process is in, from /proc/<pid>/cgroup. */
async function cgroupsOf(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const dirs: string[] = [];
  for (const line of text.split('\n')) {
    const [, controllers = '', path] = line.split(':');
    if (path === undefined || path === '/') continue;
    if (controllers === '') dirs.push(join('/sys/fs/cgroup', path));
    else dirs.push(join('/sys/fs/cgroup', controllers.replace(/^name=/, '').split(',')[0] ?? '', path));
  }
  return dirs;
}

async function thawAndCollect(cgroups: Set<string>, pids: Set<number>): Promise<void> {
  for (const cg of cgroups) {
    if (cg.includes('/freezer/')) await writeFile(join(cg, 'freezer.state'), 'THAWED').catch(() => undefined);
    const procs = await readFile(join(cg, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const line of procs.split('\n')) if (line.trim() !== '') pids.add(Number(line));
  }
}

/** Removes a cgroup tree. A killed task stays in its cgroup until it is reaped, so EBUSY is retried for a while. */
async function removeCgroup(dir: string): Promise<void> {
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) if (e.isDirectory()) await removeCgroup(join(dir, e.name));
  for (let attempt = 0; attempt < 100; attempt++) {
    try { await rmdir(dir); return; } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') return;
      await sleep(50);
    }
  }
}

/** Removes a node session given its scratch directory and the mount namespace (mnt:[inode]) its processes share. */
export async function cleanupNode(run: string, nodeMntNs: string | undefined): Promise<void> {
  const member = nodeMntNs === undefined ? undefined : (await listProcs()).find((p) => p.mntNs === nodeMntNs);
  const states = member !== undefined ? await runcStates(member.pid) : [];
  const cgroups = new Set(states.flatMap((s) => s.cgroups));
  for (let round = 0; round < 50; round++) {
    const procs = await listProcs();
    const victims = new Set<number>(states.map((s) => s.initPid).filter((p) => p > 0 && isAlive(p)));
    if (nodeMntNs !== undefined) for (const p of procs) if (p.mntNs === nodeMntNs) victims.add(p.pid);
    // Everything started by a node process: container inits under their shims, CRIU children.
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of procs) if (victims.has(p.ppid) && !victims.has(p.pid)) { victims.add(p.pid); grew = true; }
    }
    // Container processes whose runc state is gone still name their cgroups.
    for (const pid of victims) {
      for (const cg of await cgroupsOf(pid)) if (isContainerCgroup(cg)) cgroups.add(cg);
    }
    await thawAndCollect(cgroups, victims);
    victims.delete(process.pid);
    if (victims.size === 0) break;
    for (const pid of victims) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await sleep(100);
  }
  for (const cg of cgroups) await removeCgroup(cg);
  // The per-namespace parent runc made (k8s.io); rmdir leaves it when another node still uses it.
  for (const cg of new Set([...cgroups].map((c) => dirname(c)))) await rmdir(cg).catch(() => undefined);
  await removeScratch(run);
}
