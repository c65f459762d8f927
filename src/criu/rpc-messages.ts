// TypeScript shapes of the CRIU RPC messages (proto/criu/rpc.proto) and their
// wire encoding. Field names are protobufjs' camelCase of CRIU's names; enums
// travel as their names.
import { criuType, toObjectOptions } from './proto.ts';

export const criuReqTypes = [
  'EMPTY', 'DUMP', 'RESTORE', 'CHECK', 'PRE_DUMP', 'PAGE_SERVER', 'NOTIFY', 'CPUINFO_DUMP',
  'CPUINFO_CHECK', 'FEATURE_CHECK', 'VERSION', 'WAIT_PID', 'PAGE_SERVER_CHLD', 'SINGLE_PRE_DUMP',
] as const;
export type CriuReqType = (typeof criuReqTypes)[number];

export type CriuCgMode = 'IGNORE' | 'CG_NONE' | 'PROPS' | 'SOFT' | 'FULL' | 'STRICT' | 'DEFAULT';
export type CriuNetworkLockMethod = 'IPTABLES' | 'NFTABLES' | 'SKIP';

export interface CriuPageServerInfo {
  address?: string;
  port?: number;
  pid?: number;
  fd?: number;
}

export interface ExtMountMap {
  key: string;
  val: string;
}

export interface JoinNamespace {
  ns: string;
  nsFile: string;
  extraOpt?: string;
}

export interface InheritFd {
  key: string;
  fd: number;
}

export interface CgroupRoot {
  ctrl?: string;
  path: string;
}

/** criu_opts: what a dump (or other request) is asked to do. */
export interface CriuOpts {
  imagesDirFd: number;
  pid?: number;
  leaveRunning?: boolean;
  extUnixSk?: boolean;
  tcpEstablished?: boolean;
  evasiveDevices?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  logLevel?: number;
  logFile?: string;
  ps?: CriuPageServerInfo;
  notifyScripts?: boolean;
  root?: string;
  parentImg?: string;
  trackMem?: boolean;
  autoDedup?: boolean;
  workDirFd?: number;
  linkRemap?: boolean;
  cpuCap?: number;
  forceIrmap?: boolean;
  extMnt?: ExtMountMap[];
  manageCgroups?: boolean;
  cgRoot?: CgroupRoot[];
  inheritFd?: InheritFd[];
  autoExtMnt?: boolean;
  extSharing?: boolean;
  extMasters?: boolean;
  skipMnt?: string[];
  enableFs?: string[];
  manageCgroupsMode?: CriuCgMode;
  ghostLimit?: number;
  irmapScanPaths?: string[];
  external?: string[];
  emptyNs?: number;
  joinNs?: JoinNamespace[];
  cgroupProps?: string;
  cgroupPropsFile?: string;
  cgroupDumpController?: string[];
  freezeCgroup?: string;
  timeout?: number;
  tcpSkipInFlight?: boolean;
  weakSysctls?: boolean;
  lazyPages?: boolean;
  orphanPtsMaster?: boolean;
  configFile?: string;
  tcpClose?: boolean;
  lsmProfile?: string;
  networkLock?: CriuNetworkLockMethod;
  skipFileRwxCheck?: boolean;
  leaveStopped?: boolean;
  displayStats?: boolean;
  logToStderr?: boolean;
}

export interface CriuFeatures {
  memTrack?: boolean;
  lazyPages?: boolean;
  pidfdStore?: boolean;
}

export interface CriuReq {
  type: CriuReqType;
  opts?: CriuOpts;
  notifySuccess?: boolean;
  keepOpen?: boolean;
  features?: CriuFeatures;
  pid?: number;
}

export interface CriuNotify {
  script?: string;
  pid?: number;
}

export interface CriuVersion {
  majorNumber: number;
  minorNumber: number;
  gitid?: string;
  sublevel?: number;
  extra?: number;
  name?: string;
}

export interface CriuResp {
  type: CriuReqType;
  success: boolean;
  dump?: { restored?: boolean };
  restore?: { pid: number };
  notify?: CriuNotify;
  ps?: CriuPageServerInfo;
  crErrno?: number;
  features?: CriuFeatures;
  /** CRIU's first logged error; may be set on success too (judge by `success`). */
  crErrmsg?: string;
  version?: CriuVersion;
  status?: number;
}

export function encodeCriuReq(req: CriuReq): Uint8Array {
  const type = criuType('criu_req');
  return type.encode(type.fromObject(req)).finish();
}

export function decodeCriuReq(data: Uint8Array): CriuReq {
  const type = criuType('criu_req');
  return type.toObject(type.decode(data), { ...toObjectOptions('string'), arrays: false }) as CriuReq;
}

/** Decodes a response; throws if it is not a valid criu_resp. */
export function decodeCriuResp(data: Uint8Array): CriuResp {
  const type = criuType('criu_resp');
  const obj = type.toObject(type.decode(data), { ...toObjectOptions('string'), arrays: false }) as Record<string, unknown>;
  if (typeof obj.type !== 'string' || !(criuReqTypes as readonly string[]).includes(obj.type)) {
    throw new Error(`criu_resp has an unknown type ${String(obj.type)}`);
  }
  if (typeof obj.success !== 'boolean') throw new Error('criu_resp has no success field');
  return obj as unknown as CriuResp;
}

export function encodeCriuResp(resp: CriuResp): Uint8Array {
  const type = criuType('criu_resp');
  return type.encode(type.fromObject(resp)).finish();
}
