// CRIU's version and self-check over RPC, for start-up checks and errors that
// name the CRIU in use.
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareCriuMessage, criuErrorLines } from './classify.ts';
import { CriuError } from './errors.ts';
import type { CriuFeatures, CriuVersion } from './rpc-messages.ts';
import { callCriu, type CriuRunner } from './swrk.ts';

export interface CriuCallBasics {
  runner?: CriuRunner;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const defaultTimeoutMs = 30_000;

export interface CriuVersionInfo extends CriuVersion {
  /** "4.1.1" */
  text: string;
  /** major*10000 + minor*100 + sublevel, as runc compares versions (40101). */
  number: number;
}

export async function criuVersion(opts: CriuCallBasics = {}): Promise<CriuVersionInfo> {
  const { response } = await callCriu({ type: 'VERSION' }, { ...opts, timeoutMs: opts.timeoutMs ?? defaultTimeoutMs });
  if (!response.success || response.version === undefined) {
    throw new CriuError('CriuFailed', `CRIU did not report its version${response.crErrmsg === undefined ? '' : `: ${response.crErrmsg}`}`, { crErrmsg: response.crErrmsg });
  }
  const v = response.version;
  const sub = v.sublevel ?? 0;
  return {
    ...v,
    text: `${v.majorNumber}.${v.minorNumber}${sub !== 0 ? `.${sub}` : ''}`,
    number: v.majorNumber * 10000 + v.minorNumber * 100 + sub,
  };
}

/**
 * `criu check` over RPC: whether the kernel has what a basic dump needs.
 * CRIU needs an images directory even for this (it sets up its log there),
 * so a temporary one is made and removed.
 */
export async function criuCheck(opts: CriuCallBasics = {}): Promise<{ ok: boolean; message?: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-criu-check-'));
  try {
    const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    let response;
    try {
      ({ response } = await callCriu(
        { type: 'CHECK', opts: { imagesDirFd: fh.fd, logFile: 'check.log', logLevel: 2 } },
        { ...opts, timeoutMs: opts.timeoutMs ?? defaultTimeoutMs },
      ));
    } finally {
      await fh.close();
    }
    if (response.success) return { ok: true };
    const log = await readFile(join(dir, 'check.log'), 'utf8').catch(() => '');
    const errors = criuErrorLines(log).map(bareCriuMessage);
    return { ok: false, message: errors.length > 0 ? errors.join('; ') : (response.crErrmsg ?? 'criu check failed') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Asks which of the wanted features CRIU and the kernel support (e.g.
 * memTrack for pre-dumps). Returns CRIU's answer for each wanted feature.
 */
export async function criuFeatures(wanted: CriuFeatures, opts: CriuCallBasics = {}): Promise<CriuFeatures> {
  const { response } = await callCriu({ type: 'FEATURE_CHECK', features: wanted }, { ...opts, timeoutMs: opts.timeoutMs ?? defaultTimeoutMs });
  if (!response.success) {
    throw new CriuError('CriuFailed', `CRIU feature check failed${response.crErrmsg === undefined ? '' : `: ${response.crErrmsg}`}`, { crErrmsg: response.crErrmsg });
  }
  return response.features ?? {};
}
