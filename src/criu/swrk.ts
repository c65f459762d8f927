// One request to `criu swrk 3` over a blocking SEQPACKET socketpair: send the
// request, answer every NOTIFY through the caller's handler, return the final
// response. Everything is bounded by one deadline after which CRIU's process
// group is SIGKILLed. CRIU is not tied to this process's life on purpose: if
// the agent dies mid-dump, CRIU fails at its next notification (or finishes)
// and resumes the tasks itself, which beats leaving them frozen.
//
// Each call keeps one libuv thread-pool thread waiting on the socket for its
// whole duration (receives are 200 ms slices, re-queued at once). A process
// running N dumps at a time needs UV_THREADPOOL_SIZE of at least N plus what
// its file I/O and compression use (the default pool has 4 threads).
import { spawn, type ChildProcess } from 'node:child_process';
import { CriuError } from './errors.ts';
import { decodeCriuResp, encodeCriuReq, type CriuNotify, type CriuReq, type CriuResp } from './rpc-messages.ts';
import { seqpacketPair, type SeqpacketSocket } from './seqpacket.ts';

/** How to start CRIU. */
export interface CriuRunner {
  /**
   * argv that runs criu; `swrk 3` is appended. ['criu'] by default; a node
   * whose tools live in another mount namespace can use
   * ['nsenter', '-t', PID, '-m', '--', 'criu'] (nsenter -m execs, so fd 3 and
   * the process identity carry over).
   */
  command: readonly string[];
  /** Variables added to this process's environment for CRIU (e.g. CRIU_FAULT=130 on VMs without hardware breakpoints). */
  env?: Readonly<Record<string, string>>;
}

export const defaultCriuRunner: CriuRunner = { command: ['criu'] };

export type NotifyHandler = (notify: CriuNotify) => Promise<void> | void;

export interface SwrkCallOptions {
  runner?: CriuRunner;
  /** Deadline for the whole call, CRIU's start to its exit. */
  timeoutMs: number;
  /** Called for each NOTIFY (pre-dump, network-lock, network-unlock, post-dump, ...); a throw makes CRIU abort. */
  onNotify?: NotifyHandler;
  signal?: AbortSignal;
}

export interface SwrkResult {
  response: CriuResp;
  /** Names of the notifications CRIU sent, in order. */
  notifications: string[];
  /** CRIU's stdout and stderr, last 64 KiB. */
  output: string;
  pid: number;
  exitCode: number | null;
  exitSignal: string | null;
}

const maxResponseBytes = 1 << 20;
// How long one receive waits before the loop looks at the deadline and the
// abort signal again.
const recvSliceMs = 200;
const outputLimit = 64 * 1024;
// After a final response (or a kill) CRIU exits at once; this only guards
// against a process stuck in the kernel.
const exitGraceMs = 5_000;

interface Exit {
  code: number | null;
  signal: string | null;
  error?: NodeJS.ErrnoException;
}

function now(): number {
  return performance.now();
}

class SwrkCall {
  private readonly child: ChildProcess;
  private readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private output = '';

  constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise<Exit>((resolve) => {
      child.once('error', (error) => {
        this.exit ??= { code: null, signal: null, error };
        resolve(this.exit);
      });
      child.once('exit', (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
    const collect = (d: Buffer): void => {
      this.output = (this.output + d.toString('utf8')).slice(-outputLimit);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  get capturedOutput(): string {
    return this.output;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): Exit | undefined {
    return this.exit;
  }

  /** Resolves with the exit, or undefined if it did not come within ms. */
  async waitExit(ms: number): Promise<Exit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => { resolve(undefined); }, Math.max(0, ms)); });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILLs CRIU's process group (CRIU's helpers included) and waits for it. */
  async kill(): Promise<Exit | undefined> {
    const pid = this.child.pid;
    if (pid !== undefined && this.exit === undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    return this.waitExit(exitGraceMs);
  }
}

function describeExit(exit: Exit | undefined): string {
  if (exit === undefined) return 'did not exit';
  if (exit.error !== undefined) return exit.error.message;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

function startCriu(runner: CriuRunner, fd: number): ChildProcess {
  const [cmd, ...args] = runner.command;
  if (cmd === undefined) throw new CriuError('CriuSpawnFailed', 'the CRIU command is empty');
  return spawn(cmd, [...args, 'swrk', '3'], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    env: { ...process.env, ...runner.env },
    // Own process group, so that a kill reaches whatever CRIU forked.
    detached: true,
  });
}

/** Sends one request to a fresh `criu swrk` and returns its final response. */
export async function callCriu(req: CriuReq, opts: SwrkCallOptions): Promise<SwrkResult> {
  const runner = opts.runner ?? defaultCriuRunner;
  const deadline = now() + opts.timeoutMs;
  opts.signal?.throwIfAborted();

  const [ours, theirs] = seqpacketPair();
  let call: SwrkCall;
  try {
    call = new SwrkCall(startCriu(runner, theirs.descriptor));
  } catch (err) {
    await Promise.all([ours.close(), theirs.close()]);
    if (err instanceof CriuError) throw err;
    throw new CriuError('CriuSpawnFailed', `cannot start CRIU: ${(err as Error).message}`, {}, { cause: err });
  } finally {
    // CRIU has its copy as fd 3 now; ours must go, or its exit would never read as EOF.
    await theirs.close();
  }

  try {
    return await converse(call, ours, req, opts, deadline);
  } finally {
    await ours.close();
  }
}

async function converse(call: SwrkCall, sock: SeqpacketSocket, req: CriuReq, opts: SwrkCallOptions, deadline: number): Promise<SwrkResult> {
  const notifications: string[] = [];
  let notifyError: unknown;

  const fail = async (reason: 'CriuTimeout' | 'CriuAborted' | 'CriuProtocolError', message: string, cause?: unknown): Promise<never> => {
    const exit = await call.kill();
    throw new CriuError(reason, message, {
      output: call.capturedOutput, exitCode: exit?.code ?? null, signal: exit?.signal ?? null,
    }, cause === undefined ? undefined : { cause });
  };
  const timedOut = (): Promise<never> => fail('CriuTimeout', `CRIU did not finish within ${Math.round(opts.timeoutMs)} ms and was killed`);
  const noResponse = async (): Promise<never> => {
    const exit = await call.waitExit(Math.min(exitGraceMs, Math.max(0, deadline - now())));
    const finalExit = exit ?? await call.kill();
    const spawnError = finalExit?.error;
    if (spawnError !== undefined) {
      const reason = spawnError.code === 'ENOENT' ? 'CriuNotFound' : 'CriuSpawnFailed';
      throw new CriuError(reason, `cannot start CRIU (${opts.runner?.command.join(' ') ?? 'criu'}): ${spawnError.message}`, { output: call.capturedOutput }, { cause: spawnError });
    }
    const output = call.capturedOutput.trim();
    throw new CriuError('CriuExited', `CRIU ${describeExit(finalExit)} without a response${output === '' ? '' : `: ${output.split('\n').slice(-3).join(' | ')}`}`, {
      output: call.capturedOutput, exitCode: finalExit?.code ?? null, signal: finalExit?.signal ?? null,
    });
  };

  try {
    sock.send(encodeCriuReq(req));
  } catch (err) {
    // CRIU is already gone (EPIPE) or never started.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET') return noResponse();
    return fail('CriuProtocolError', `cannot send the request to CRIU: ${(err as Error).message}`, err);
  }

  let response: CriuResp | undefined;
  while (response === undefined) {
    const left = deadline - now();
    if (left <= 0) return timedOut();
    if (opts.signal?.aborted === true) return fail('CriuAborted', 'the CRIU call was cancelled; CRIU was killed', opts.signal.reason);
    const got = await sock.recv(maxResponseBytes, Math.min(left, recvSliceMs));
    if (got.kind === 'timeout') continue;
    if (got.kind === 'eof') return noResponse();
    if (got.kind === 'truncated') return fail('CriuProtocolError', `CRIU sent a ${got.size}-byte message, larger than ${maxResponseBytes}`);
    let msg: CriuResp;
    try {
      msg = decodeCriuResp(got.data);
    } catch (err) {
      return fail('CriuProtocolError', `CRIU sent an undecodable response: ${(err as Error).message}`, err);
    }
    if (msg.type !== 'NOTIFY') {
      response = msg;
      break;
    }
    const script = msg.notify?.script ?? '';
    notifications.push(script);
    let ok = true;
    if (opts.onNotify !== undefined) {
      let outcome: Awaited<ReturnType<typeof raceDeadline>> = 'done';
      try {
        outcome = await raceDeadline(Promise.resolve(opts.onNotify(msg.notify ?? {})), deadline, opts.signal);
      } catch (err) {
        ok = false;
        notifyError ??= err;
      }
      if (outcome === 'deadline') return timedOut();
      if (outcome === 'aborted') return fail('CriuAborted', 'the CRIU call was cancelled; CRIU was killed', opts.signal?.reason);
    }
    try {
      sock.send(encodeCriuReq({ type: 'NOTIFY', notifySuccess: ok }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return noResponse();
      throw err;
    }
  }

  // In pre-dump mode CRIU would wait for another request; our EOF ends it.
  await sock.close();
  let exit = await call.waitExit(Math.max(0, Math.min(exitGraceMs, deadline - now())));
  exit ??= await call.kill();

  if (notifyError !== undefined) {
    throw new CriuError('NotifyHandlerFailed', `a CRIU notification handler failed: ${(notifyError as Error).message}`, {
      output: call.capturedOutput, crErrmsg: response.crErrmsg, crErrno: response.crErrno,
      exitCode: exit?.code ?? null, signal: exit?.signal ?? null,
    }, { cause: notifyError });
  }
  return {
    response, notifications, output: call.capturedOutput, pid: call.pid,
    exitCode: exit?.code ?? null, exitSignal: exit?.signal ?? null,
  };
}

async function raceDeadline(p: Promise<void>, deadline: number, signal: AbortSignal | undefined): Promise<'done' | 'deadline' | 'aborted'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limits = new Promise<'deadline' | 'aborted'>((resolve) => {
    timer = setTimeout(() => { resolve('deadline'); }, Math.max(0, deadline - now()));
    if (signal !== undefined) {
      onAbort = () => { resolve('aborted'); };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([p.then(() => 'done' as const), limits]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}
