// runc's state of one container: <root>/<id>/state.json, as runc (and
// containerd's runc shim: root /run/containerd/runc/<namespace>; CRI-O:
// /run/runc) writes it. Read without following a symlinked state directory
// or state file, and parsed into the fields a checkpoint needs.
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { validateContainerId } from './container-id.ts';
import { RuncError } from './errors.ts';

export interface RuncNamespace {
  /** NEWNET, NEWPID, NEWNS, NEWIPC, NEWUTS, NEWUSER, NEWCGROUP, NEWTIME */
  type: string;
  /** Set when the container joined an existing namespace (e.g. its pod sandbox's). */
  path: string;
}

export interface RuncMount {
  source: string;
  destination: string;
  /** The filesystem type, or "bind" for bind mounts. */
  device: string;
  flags: number;
  data: string;
}

export interface RuncDevice {
  path: string;
  /** 'c', 'b', 'p' or 'a' (runc stores the rune as a number). */
  type: string;
  major: number;
  minor: number;
}

export interface RuncConfig {
  rootfs: string;
  readonlyfs: boolean;
  /** "key=value": bundle=<dir> plus the OCI annotations. */
  labels: string[];
  namespaces: RuncNamespace[];
  mounts: RuncMount[];
  devices: RuncDevice[];
  maskPaths: string[];
  readonlyPaths: string[];
  /** config.cgroups.path, when set. */
  cgroupsPath?: string;
}

export interface RuncState {
  id: string;
  initProcessPid: number;
  /** Start time of init in clock ticks after boot (field 22 of /proc/<pid>/stat), exact. */
  initProcessStart: bigint;
  created: string;
  rootless: boolean;
  config: RuncConfig;
  /** Controller ("" is the unified v2 hierarchy) -> cgroup directory. */
  cgroupPaths: Record<string, string>;
  /** NEWNET, ... -> /proc/<pid>/ns/... as runc saw them. */
  namespacePaths: Record<string, string>;
  /** What init's fds 0, 1 and 2 were ("pipe:[123]", "/dev/null", ...); null if runc recorded none. */
  externalDescriptors: string[] | null;
}

export interface RuncStateFile {
  state: RuncState;
  /** <root>/<id> */
  stateDir: string;
  /** exec.fifo exists: runc's sign that the container is created but not started. */
  execFifoPresent: boolean;
}

export const stateFileName = 'state.json';
export const execFifoName = 'exec.fifo';

function bad(what: string): RuncError {
  return new RuncError('InvalidRuncState', `invalid runc state: ${what}`);
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, what: string, fallback?: string): string {
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(`${what} is missing`);
  }
  if (typeof v !== 'string') throw bad(`${what} is not a string`);
  return v;
}

function num(v: unknown, what: string, fallback?: number): number {
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(`${what} is missing`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${what} is not a number`);
  return v;
}

function arr(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${what} is not an array`);
  return v;
}

function strings(v: unknown, what: string): string[] {
  return arr(v, what).map((s, i) => str(s, `${what}[${i}]`));
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  const o = obj(v, what);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) out[k] = str(val, `${what}.${k}`);
  return out;
}

// Go marshals init_process_start as a JSON number that could in principle pass
// 2^53; read its digits from the text rather than through a double.
function exactStartTime(text: string): bigint {
  const m = /"init_process_start"\s*:\s*(\d+)/.exec(text);
  if (m?.[1] === undefined) throw bad('init_process_start is missing');
  return BigInt(m[1]);
}

/** Parses the text of a state.json. */
export function parseRuncState(text: string): RuncState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RuncError('InvalidRuncState', `invalid runc state: not JSON (${(err as Error).message})`);
  }
  const s = obj(raw, 'state');
  const c = obj(s.config, 'config');
  const cgroups = c.cgroups === undefined || c.cgroups === null ? {} : obj(c.cgroups, 'config.cgroups');
  const pid = num(s.init_process_pid, 'init_process_pid');
  if (!Number.isInteger(pid)) throw bad('init_process_pid is not an integer');
  const config: RuncConfig = {
    rootfs: str(c.rootfs, 'config.rootfs'),
    readonlyfs: c.readonlyfs === true,
    labels: strings(c.labels, 'config.labels'),
    namespaces: arr(c.namespaces, 'config.namespaces').map((n, i) => {
      const o = obj(n, `config.namespaces[${i}]`);
      return { type: str(o.type, `config.namespaces[${i}].type`), path: str(o.path, `config.namespaces[${i}].path`, '') };
    }),
    mounts: arr(c.mounts, 'config.mounts').map((m, i) => {
      const o = obj(m, `config.mounts[${i}]`);
      return {
        source: str(o.source, `config.mounts[${i}].source`, ''),
        destination: str(o.destination, `config.mounts[${i}].destination`),
        device: str(o.device, `config.mounts[${i}].device`, ''),
        flags: num(o.flags, `config.mounts[${i}].flags`, 0),
        data: str(o.data, `config.mounts[${i}].data`, ''),
      };
    }),
    devices: arr(c.devices, 'config.devices').map((d, i) => {
      const o = obj(d, `config.devices[${i}]`);
      const t = o.type;
      return {
        path: str(o.path, `config.devices[${i}].path`),
        type: typeof t === 'number' ? String.fromCharCode(t) : str(t, `config.devices[${i}].type`, ''),
        major: num(o.major, `config.devices[${i}].major`, 0),
        minor: num(o.minor, `config.devices[${i}].minor`, 0),
      };
    }),
    maskPaths: strings(c.mask_paths, 'config.mask_paths'),
    readonlyPaths: strings(c.readonly_paths, 'config.readonly_paths'),
  };
  if (typeof cgroups.path === 'string' && cgroups.path !== '') config.cgroupsPath = cgroups.path;
  const ext = s.external_descriptors;
  return {
    id: str(s.id, 'id'),
    initProcessPid: pid,
    initProcessStart: exactStartTime(text),
    created: str(s.created, 'created', ''),
    rootless: s.rootless === true,
    config,
    cgroupPaths: stringMap(s.cgroup_paths, 'cgroup_paths'),
    namespacePaths: stringMap(s.namespace_paths, 'namespace_paths'),
    externalDescriptors: ext === undefined || ext === null ? null : strings(ext, 'external_descriptors'),
  };
}

/** The bundle directory from the bundle=... label containerd and CRI-O set. */
export function bundleDir(state: RuncState): string | undefined {
  const label = state.config.labels.find((l) => l.startsWith('bundle='));
  return label?.slice('bundle='.length);
}

/** OCI annotations, recovered from the labels runc stores them in. */
export function annotations(state: RuncState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of state.config.labels) {
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    const k = l.slice(0, eq);
    if (k === 'bundle') continue;
    out[k] = l.slice(eq + 1);
  }
  return out;
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Reads <root>/<id>/state.json. The ID must be a plain name; the state
 * directory and file must not be symlinks. The directory is held open while
 * the file and exec.fifo are looked up through /proc/self/fd, so a swap of
 * the directory in between cannot redirect the read.
 */
export async function readRuncState(root: string, id: string): Promise<RuncStateFile> {
  validateContainerId(id);
  const stateDir = join(root, id);
  let st;
  try {
    st = await lstat(stateDir);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') throw new RuncError('ContainerNotFound', `container ${id} does not exist under runc root ${root}`);
    throw new RuncError('InvalidRuncState', `cannot read ${stateDir}: ${(err as Error).message}`, { cause: err });
  }
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new RuncError('UnsafeStatePath', `runc state directory ${stateDir} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`);
  }
  let dir;
  try {
    dir = await open(stateDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT') throw new RuncError('ContainerNotFound', `container ${id} does not exist under runc root ${root}`);
    if (code === 'ELOOP' || code === 'ENOTDIR') throw new RuncError('UnsafeStatePath', `runc state directory ${stateDir} changed into a symlink or file`);
    throw new RuncError('InvalidRuncState', `cannot open ${stateDir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const via = `/proc/self/fd/${dir.fd}`;
    let text: string;
    let file;
    try {
      file = await open(join(via, stateFileName), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = codeOf(err);
      // runc itself treats a missing state.json as a container that does not exist.
      if (code === 'ENOENT') throw new RuncError('ContainerNotFound', `container ${id} has no ${stateFileName} under runc root ${root}`);
      if (code === 'ELOOP') throw new RuncError('UnsafeStatePath', `${join(stateDir, stateFileName)} is a symlink`);
      throw new RuncError('InvalidRuncState', `cannot open ${join(stateDir, stateFileName)}: ${(err as Error).message}`, { cause: err });
    }
    try {
      if (!(await file.stat()).isFile()) throw new RuncError('UnsafeStatePath', `${join(stateDir, stateFileName)} is not a regular file`);
      text = await file.readFile('utf8');
    } finally {
      await file.close();
    }
    const state = parseRuncState(text);
    let execFifoPresent = true;
    try {
      await lstat(join(via, execFifoName));
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw err;
      execFifoPresent = false;
    }
    return { state, stateDir, execFifoPresent };
  } finally {
    await dir.close();
  }
}
