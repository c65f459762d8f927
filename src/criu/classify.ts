// Turns a failed CRIU request into a reason and a short message from CRIU's
// own words. Only error lines count, and the "rlimit: Can't setup
// RLIMIT_NOFILE" line every CRIU run logs on these kernels is never the cause:
// whether a request failed is decided by the RPC `success` field alone.
import type { CriuFailureReason } from './errors.ts';

export interface FailureEvidence {
  /** cr_errmsg from the response: CRIU's first logged error. */
  crErrmsg?: string;
  /** The whole log file, or its tail. */
  log?: string;
  /** What CRIU printed before its log was set up (e.g. a bad parent image directory). */
  output?: string;
  /** Whether the request asked for a page server (so connection errors mean it). */
  usedPageServer?: boolean;
  /** Whether the request needed memory tracking (pre-dump, track_mem, parent images). */
  usedMemoryTracking?: boolean;
}

export interface Classification {
  reason: CriuFailureReason;
  message: string;
}

const harmless = [/rlimit: Can't setup RLIMIT_NOFILE/];

interface Rule {
  reason: CriuFailureReason;
  pattern: RegExp;
  message: string;
  onlyWithPageServer?: boolean;
  onlyWithMemoryTracking?: boolean;
  /** Also look at info lines: some causes are logged below error level, then reported as a confusing follow-up error. */
  anyLine?: boolean;
}

const memoryTrackingMessage = 'memory tracking (soft-dirty pages) is not available in this kernel: pre-dump and parent checkpoints cannot be used';

const rules: readonly Rule[] = [
  { reason: 'MemoryTrackingUnavailable', pattern: /Tracking memory is not available|dirty.track/i, message: memoryTrackingMessage },
  // CRIU 4.1 asserts instead of failing when a pre-dump resets dirty tracking
  // on a kernel without it (criu/mem.c task_reset_dirty_track).
  { reason: 'MemoryTrackingUnavailable', pattern: /BUG at criu\/mem\.c/, onlyWithMemoryTracking: true, message: memoryTrackingMessage },
  { reason: 'DiskFull', pattern: /No space left on device|ENOSPC|Disk quota exceeded/,
    message: 'writing the checkpoint images failed: no space left on device' },
  // CRIU logs a refused connection at info level ("Can't connect to server")
  // and then fails with an unrelated-looking error.
  { reason: 'PageServerUnreachable', onlyWithPageServer: true, anyLine: true,
    pattern: /Can't connect to server|Failed to resolve hostname|The page server doesn't answer|Remote side closed connection|Can't send PSI|Can't write pages to socket|Can't write to page server/,
    message: 'the page server could not be reached or dropped the connection' },
  // Linux 6.16 stopped answering SO_PASSCRED/SO_PASSSEC for inet sockets;
  // CRIU before 4.2 (commit 4b7398595) treats that as fatal for any TCP or UDP socket.
  { reason: 'CriuFailed', pattern: /Can't get 1:(16|34) opt: Operation not supported/,
    message: 'this CRIU cannot dump inet sockets on this kernel (SO_PASSCRED is refused since Linux 6.16; CRIU 4.2 or later is needed)' },
  { reason: 'NetworkLockFailed', pattern: /Locking network failed|iptables-restore|nftables/,
    message: 'CRIU could not lock the container network (iptables-restore or nft missing or failing on the node)' },
  { reason: 'EstablishedTcpConnection', pattern: /Connected TCP socket|consider using --tcp-established|In-flight connection/,
    message: 'the container has established TCP connections: checkpoint them with tcpEstablished' },
  // Even with ext_unix_sk, CRIU dumps only external datagram sockets with a
  // name (sk-unix.c __dump_external_socket): a stream connection to a peer
  // outside the container cannot be checkpointed at all.
  { reason: 'ExternalUnixSocket', pattern: /Can't dump half of stream unix connection/,
    message: 'the container has a stream UNIX socket connected to a peer outside it: CRIU cannot checkpoint that, even with extUnixSk (only datagram sockets to a named peer)' },
  { reason: 'ExternalUnixSocket', pattern: /name-less external socket/,
    message: 'the container has a datagram UNIX socket connected to an unnamed peer outside it: CRIU cannot checkpoint that, even with extUnixSk' },
  // CRIU looks for a peer only among the sockets of the container's network
  // namespace: a peer in another one (the node's, say) is never found.
  { reason: 'ExternalUnixSocket', pattern: /Unix socket \d+ without peer \d+/,
    message: 'the container has a UNIX socket connected to a peer in another network namespace: CRIU can only checkpoint one whose peer is in the pod\'s network namespace (with extUnixSk)' },
  { reason: 'ExternalUnixSocket', pattern: /External socket is used|ext-unix-sk/,
    message: 'the container has a UNIX socket connected outside it: allow it with extUnixSk' },
  { reason: 'FileLocksHeld', pattern: /file locks are hold by dumping tasks|--file-locks/,
    message: 'the container holds file locks: checkpoint them with fileLocks' },
  { reason: 'ShellJob', pattern: /shell-job|shell job|Task \d+ with SID \d+ is not in the dump/i,
    message: 'the container runs a terminal session: checkpoint it with shellJob' },
  // Not "No such process" alone: CRIU logs "Unable to detach from <pid>: No
  // such process" as a follow-up to unrelated failures while the task lives.
  { reason: 'ContainerGone', pattern: /zombie .* found while seizing|Can't open \d+\/status on procfs|Can't seize|Unable to seize/i,
    message: 'the container process exited before or during the dump' },
];

/** The error lines of a CRIU log, minus the ones that are always there. */
export function criuErrorLines(log: string): string[] {
  return log.split('\n')
    .filter((l) => /\bError\b|^Error|\(\d+\.\d+\) Error/.test(l))
    .filter((l) => !harmless.some((h) => h.test(l)));
}

/** Strips CRIU's "(00.001305) Error (criu/config.c:1128): " prefix. */
export function bareCriuMessage(line: string): string {
  return line.replace(/^\s*\(\s*[\d.]+\)\s*/, '').replace(/^Error \([^)]*\):\s*/, '').trim();
}

export function classifyCriuFailure(evidence: FailureEvidence): Classification {
  const errs = [...criuErrorLines(evidence.output ?? ''), ...criuErrorLines(evidence.log ?? '')];
  const first = evidence.crErrmsg !== undefined && !harmless.some((h) => h.test(evidence.crErrmsg ?? ''))
    ? evidence.crErrmsg
    : undefined;
  const candidates = [...(first !== undefined ? [first] : []), ...errs];
  const allLines = [...(evidence.output ?? '').split('\n'), ...(evidence.log ?? '').split('\n')];
  for (const rule of rules) {
    if (rule.onlyWithPageServer === true && evidence.usedPageServer !== true) continue;
    if (rule.onlyWithMemoryTracking === true && evidence.usedMemoryTracking !== true) continue;
    const hit = (rule.anyLine === true ? allLines : candidates).find((l) => rule.pattern.test(l));
    if (hit !== undefined) return { reason: rule.reason, message: `${rule.message} (CRIU: ${bareCriuMessage(hit)})` };
  }
  const cause = candidates[0];
  return {
    reason: 'CriuFailed',
    message: cause === undefined ? 'CRIU failed without logging an error' : `CRIU failed: ${bareCriuMessage(cause)}`,
  };
}

/** The last `lines` lines of a log, for a failure message or status. */
export function logTail(log: string, lines = 20): string {
  const all = log.replace(/\n+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}
