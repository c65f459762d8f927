// runc's checkpoint flags, parsed as runc parses them and turned into
// ContainerCheckpoint options, with runc's own error messages.
import type { CgroupsMode, CheckpointOptions } from '../../api/checkpoint-options.ts';

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** --page-server ADDRESS:PORT, as runc reads it. */
export function parsePageServer(value: string): { address: string; port: number } {
  const i = value.lastIndexOf(':');
  if (i <= 0 || i === value.length - 1) throw new FlagError('Use --page-server ADDRESS:PORT to specify page server');
  const address = value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const portText = value.slice(i + 1);
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || !Number.isInteger(port)) throw new FlagError('Invalid port number');
  return { address, port };
}

export function parseCgroupsMode(value: string): CgroupsMode {
  const modes: Record<string, CgroupsMode> = { soft: 'Soft', full: 'Full', strict: 'Strict', ignore: 'Ignore' };
  const mode = modes[value.toLowerCase()];
  if (mode === undefined) throw new FlagError(`Invalid manage cgroups mode: ${value}`);
  return mode;
}

export function parseEmptyNs(value: string): 'Network' {
  if (value.toLowerCase() !== 'network') throw new FlagError(`namespace ${JSON.stringify(value)} is not supported`);
  return 'Network';
}

export function parseBool(flag: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagError(`--${flag} takes true or false, not ${value}`);
}

export interface RuncFlagValues {
  'leave-running'?: string;
  'tcp-established'?: boolean;
  'ext-unix-sk'?: boolean;
  'shell-job'?: boolean;
  'file-locks'?: boolean;
  'manage-cgroups-mode'?: string;
  'empty-ns'?: string[];
  'page-server'?: string;
  'image-path'?: string;
  'work-path'?: string;
  'pre-dump'?: boolean;
  'parent-checkpoint'?: string;
}

export function optionsFromFlags(v: RuncFlagValues): CheckpointOptions {
  const o: CheckpointOptions = {};
  if (v['leave-running'] !== undefined) o.leaveRunning = parseBool('leave-running', v['leave-running']);
  if (v['tcp-established'] === true) o.tcpEstablished = true;
  if (v['ext-unix-sk'] === true) o.extUnixSk = true;
  if (v['shell-job'] === true) o.shellJob = true;
  if (v['file-locks'] === true) o.fileLocks = true;
  if (v['manage-cgroups-mode'] !== undefined) o.manageCgroupsMode = parseCgroupsMode(v['manage-cgroups-mode']);
  if (v['empty-ns'] !== undefined && v['empty-ns'].length > 0) o.emptyNamespaces = [...new Set(v['empty-ns'].map(parseEmptyNs))];
  if (v['page-server'] !== undefined) o.pageServer = parsePageServer(v['page-server']);
  if (v['image-path'] !== undefined) o.imagePath = v['image-path'];
  if (v['work-path'] !== undefined) o.workPath = v['work-path'];
  if (v['pre-dump'] === true) o.preDump = true;
  if (v['parent-checkpoint'] !== undefined) o.parentCheckpoint = v['parent-checkpoint'];
  return o;
}
