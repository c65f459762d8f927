// The CRIU request for dumping a runc container: the options runc's
// libcontainer Checkpoint() adds for any container (root, pid, cgroups,
// freezer, external namespaces and mounts, masked paths, orphan pts master,
// notify scripts), plus the user's runc checkpoint flags. Pure: the container
// arrives already described (see src/runc/dump-target.ts), and the image and
// work directory fds are filled in by the caller that opens them.
import type { CriuCgMode, CriuOpts, ExtMountMap } from './rpc-messages.ts';

/** What CRIU needs to know about a runc container, in CRIU's view of the filesystem. */
export interface DumpTarget {
  /** The container's init process, as CRIU's pid namespace numbers it. */
  pid: number;
  /** config.rootfs from runc's state. */
  rootfs: string;
  /** config.labels ("key=value"): runc keeps the OCI annotations there. */
  labels: readonly string[];
  /**
   * The cgroup CRIU freezes the container with: the v1 freezer directory, or
   * the v2 cgroup directory. Without it CRIU stops tasks one by one with ptrace.
   */
  freezeCgroup?: string;
  /**
   * Namespaces the container joined instead of creating (a pod's sandbox
   * network namespace), with the namespace inode CRIU will see.
   */
  externalNamespaces: readonly ExternalNamespace[];
  /**
   * Mount points inside the container that come from outside it: bind mounts
   * (destinations resolved inside the rootfs) and, on cgroup v1 without a
   * cgroup namespace, each cgroup hierarchy bound under the cgroup mount.
   */
  bindMounts: readonly string[];
  /** config.devices paths. */
  devices: readonly string[];
  /** Masked paths that are files (runc bind-mounts /dev/null over them); masked directories are tmpfs and need nothing. */
  maskedFiles: readonly string[];
}

export interface ExternalNamespace {
  type: 'net' | 'pid';
  inode: bigint | number;
}

export type ManageCgroupsMode = 'soft' | 'full' | 'strict' | 'ignore';

/** The runc checkpoint option set. */
export interface DumpOptions {
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  /** runc --tcp-skip-in-flight */
  tcpSkipInFlight?: boolean;
  /** runc --link-remap */
  linkRemap?: boolean;
  /** runc --auto-dedup */
  autoDedup?: boolean;
  pageServer?: { address: string; port: number };
  /** Unset: CRIU's default (soft), sent as DEFAULT like current runc does. */
  manageCgroupsMode?: ManageCgroupsMode;
  /**
   * runc --empty-ns; only 'network' is supported. runc always dumps the
   * network namespace empty anyway (it does not manage network devices), and
   * so does this request: the option changes nothing, as in runc.
   */
  emptyNamespaces?: readonly string[];
  /** A memory-only pre-dump (needs soft-dirty tracking). */
  preDump?: boolean;
  /** Images of an earlier (pre-)dump, relative to the images directory (e.g. ../pre1); implies track_mem. */
  parentImage?: string;
  /** Track memory changes for a later incremental dump. */
  trackMem?: boolean;
  /** CRIU log verbosity 0..4; runc uses 4. */
  logLevel?: number;
  /** Log file name inside the work directory; runc uses dump.log. */
  logFile?: string;
  /** CRIU's own timeout in seconds for seizing the tasks (its default is 10). */
  criuTimeoutSeconds?: number;
}

export type DumpRequestType = 'DUMP' | 'PRE_DUMP';

/** A dump request minus the directory fds, which only exist once the caller opens the directories. */
export interface DumpRequest {
  type: DumpRequestType;
  opts: Omit<CriuOpts, 'imagesDirFd' | 'workDirFd'>;
}

export type DumpOptionErrorReason = 'InvalidDumpOption' | 'ConfigFileNotAllowed';

export class DumpOptionError extends Error {
  readonly reason: DumpOptionErrorReason;

  constructor(message: string, reason: DumpOptionErrorReason = 'InvalidDumpOption') {
    super(message);
    this.name = 'DumpOptionError';
    this.reason = reason;
  }
}

export const defaultDumpLogFile = 'dump.log';
/** Where runc tells CRIU to look for a container-specific configuration file. */
export const runcCriuConfigFile = '/etc/criu/runc.conf';
/** The only directory a container's org.criu.config annotation may point into. */
export const criuConfigDir = '/etc/criu/';
const cloneNewNet = 0x40000000;

const cgModes: Record<ManageCgroupsMode, CriuCgMode> = {
  soft: 'SOFT',
  full: 'FULL',
  strict: 'STRICT',
  ignore: 'IGNORE',
};

const nsKeys: Record<ExternalNamespace['type'], string> = {
  net: 'extRootNetNS',
  pid: 'extRootPidNS',
};

/** `--external net[<inode>]:extRootNetNS`, the key runc restores the namespace under. */
export function externalNamespaceKey(ns: ExternalNamespace): string {
  return `${ns.type}[${ns.inode.toString()}]:${nsKeys[ns.type]}`;
}

/**
 * runc's handleCriuConfigurationFile: the org.criu.config annotation names a
 * CRIU configuration file (empty: none); without it /etc/criu/runc.conf.
 * Unlike runc, only a file in /etc/criu/ (the agent's own image) is
 * accepted: a CRIU configuration can name action scripts, which CRIU runs as
 * root in the agent's namespaces, and a container's annotation must not
 * point CRIU at a file the container itself wrote (its rootfs is visible
 * under /run/containerd).
 */
export function criuConfigFile(labels: readonly string[]): string | undefined {
  const prefix = 'org.criu.config=';
  const label = labels.find((l) => l.startsWith(prefix) || l === 'org.criu.config');
  if (label === undefined) return runcCriuConfigFile;
  const value = label.slice(prefix.length);
  if (value === '') return undefined;
  if (!value.startsWith(criuConfigDir) || value.split('/').some((c) => c === '..' || c === '.')) {
    throw new DumpOptionError(`the container's org.criu.config annotation names ${JSON.stringify(value)}: only a file in ${criuConfigDir} is accepted`, 'ConfigFileNotAllowed');
  }
  return value;
}

function validate(opts: DumpOptions): void {
  const ps = opts.pageServer;
  if (ps !== undefined) {
    if (ps.address === '' || /[\s/]/.test(ps.address)) throw new DumpOptionError(`invalid page server address ${JSON.stringify(ps.address)}`);
    if (!Number.isInteger(ps.port) || ps.port < 1 || ps.port > 65535) throw new DumpOptionError(`invalid page server port ${String(ps.port)}: must be 1 to 65535`);
  }
  if (opts.logLevel !== undefined && (!Number.isInteger(opts.logLevel) || opts.logLevel < 0 || opts.logLevel > 4)) {
    throw new DumpOptionError(`invalid CRIU log level ${String(opts.logLevel)}: must be 0 to 4`);
  }
  if (opts.logFile !== undefined && (opts.logFile === '' || opts.logFile.includes('/'))) {
    // CRIU itself refuses a log file path with a directory in it over RPC.
    throw new DumpOptionError(`invalid CRIU log file ${JSON.stringify(opts.logFile)}: a plain file name in the work directory`);
  }
  for (const ns of opts.emptyNamespaces ?? []) {
    if (ns !== 'network') throw new DumpOptionError(`namespace ${ns} is not supported: only network can be emptied`);
  }
  if (opts.parentImage !== undefined && (opts.parentImage === '' || opts.parentImage.startsWith('/'))) {
    throw new DumpOptionError(`invalid parent image path ${JSON.stringify(opts.parentImage)}: must be relative to the images directory`);
  }
  if (opts.preDump === true && opts.leaveRunning === false) {
    throw new DumpOptionError('a pre-dump always leaves the container running');
  }
  if (opts.criuTimeoutSeconds !== undefined && (!Number.isInteger(opts.criuTimeoutSeconds) || opts.criuTimeoutSeconds < 1)) {
    throw new DumpOptionError(`invalid CRIU timeout ${String(opts.criuTimeoutSeconds)}: whole seconds, at least 1`);
  }
}

/** ext_mnt entries for a dump: each external mount point maps to itself, masked files to /dev/null. */
function externalMounts(target: DumpTarget): ExtMountMap[] {
  const out: ExtMountMap[] = [];
  const seen = new Set<string>();
  const add = (key: string, val: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, val });
  };
  for (const m of target.bindMounts) add(m, m);
  for (const f of target.maskedFiles) add(f, '/dev/null');
  for (const d of target.devices) add(d, d);
  return out;
}

export function buildDumpRequest(target: DumpTarget, options: DumpOptions = {}): DumpRequest {
  validate(options);
  const preDump = options.preDump === true;
  const opts: DumpRequest['opts'] = {
    pid: target.pid,
    root: target.rootfs,
    logLevel: options.logLevel ?? 4,
    logFile: options.logFile ?? defaultDumpLogFile,
    manageCgroups: true,
    manageCgroupsMode: options.manageCgroupsMode === undefined ? 'DEFAULT' : cgModes[options.manageCgroupsMode],
    notifyScripts: true,
    shellJob: options.shellJob === true,
    // A pre-dump never stops the container.
    leaveRunning: preDump || options.leaveRunning === true,
    tcpEstablished: options.tcpEstablished === true,
    tcpSkipInFlight: options.tcpSkipInFlight === true,
    linkRemap: options.linkRemap === true,
    extUnixSk: options.extUnixSk === true,
    fileLocks: options.fileLocks === true,
    // runc's setEmptyNsMask: CLONE_NEWNET always ("runc doesn't manage
    // network devices and their configuration"). Without it CRIU saves the
    // namespace's addresses, routes and iptables while the container is
    // frozen (ip and iptables-save runs, 20 ms and more here), which a runc
    // restore would not use.
    emptyNs: cloneNewNet,
    orphanPtsMaster: true,
    autoDedup: options.autoDedup === true,
  };
  const configFile = criuConfigFile(target.labels);
  if (configFile !== undefined) opts.configFile = configFile;
  const external = target.externalNamespaces.map(externalNamespaceKey);
  if (external.length > 0) opts.external = external;
  if (target.freezeCgroup !== undefined && target.freezeCgroup !== '') opts.freezeCgroup = target.freezeCgroup;
  if (options.pageServer !== undefined) opts.ps = { address: options.pageServer.address, port: options.pageServer.port };
  if (options.parentImage !== undefined) {
    opts.parentImg = options.parentImage;
    opts.trackMem = true;
  }
  // A pre-dump tracks memory by itself; runc sets track_mem only with a parent.
  if (options.trackMem === true) opts.trackMem = true;
  if (options.criuTimeoutSeconds !== undefined) opts.timeout = options.criuTimeoutSeconds;
  // runc leaves mounts out of a pre-dump: only memory is dumped then.
  if (!preDump) {
    const extMnt = externalMounts(target);
    if (extMnt.length > 0) opts.extMnt = extMnt;
  }
  return { type: preDump ? 'PRE_DUMP' : 'DUMP', opts };
}
