// Failure classification from CRIU's own log lines (as CRIU 4.1.1 wrote them
// on the test node).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bareCriuMessage, classifyCriuFailure, criuErrorLines, logTail } from '../../../src/criu/classify.ts';

const rlimit = "(00.005510) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted";
const failed = '(00.174127) Error (criu/cr-dump.c:2111): Dumping FAILED.';

function log(...lines: string[]): string {
  return ['(00.000000) CRIU run id = x', '(00.000028) Version: 4.1.1 (gitid 0)', rlimit, ...lines, failed].join('\n');
}

describe('CRIU failure classification', () => {
  it('never blames the RLIMIT_NOFILE line', () => {
    const c = classifyCriuFailure({ crErrmsg: `${rlimit}\n`, log: log('(00.1) Error (criu/x.c:1): something real') });
    assert.equal(c.reason, 'CriuFailed');
    assert.equal(c.message, 'CRIU failed: something real');
    assert.deepEqual(criuErrorLines(log()), [failed]);
  });

  const cases: [string, Parameters<typeof classifyCriuFailure>[0], string][] = [
    ['MemoryTrackingUnavailable', { log: '(00.001305) Error (criu/config.c:1128): Tracking memory is not available. Consider omitting --track-mem option.' }, 'soft-dirty'],
    ['MemoryTrackingUnavailable', { log: log('(00.007805) Error (criu/mem.c:45): BUG at criu/mem.c:45'), usedMemoryTracking: true }, 'pre-dump'],
    ['PageServerUnreachable', { log: log('(00.008422) Connecting to server 127.0.0.1:1', "(00.008494) Can't connect to server 127.0.0.1:1", '(00.008519) Error (compel/src/lib/infect.c:418): Unable to detach from 28662: No such process'), usedPageServer: true }, 'page server'],
    ['PageServerUnreachable', { log: log('(00.011245) Error (criu/util.c:1341): Failed to resolve hostname: no-such-host.invalid: No such file or directory'), usedPageServer: true }, 'resolve'],
    ['FileLocksHeld', { log: log('(00.1) Error (criu/file-lock.c:110): Some file locks are hold by dumping tasks! You can try --file-locks to dump them.') }, 'fileLocks'],
    ['EstablishedTcpConnection', { log: log('(00.1) Error (criu/sk-inet.c:191): Connected TCP socket, consider using --tcp-established option.') }, 'tcpEstablished'],
    ['ExternalUnixSocket', { log: log('(00.1) Error (criu/sk-unix.c:874): sk unix: External socket is used. Consider using --ext-unix-sk option.') }, 'extUnixSk'],
    ['ExternalUnixSocket', { log: log('(00.1) Error (criu/sk-unix.c:881): sk unix: Can\'t dump half of stream unix connection. name: (null); peer name: /tmp/s') }, 'stream UNIX socket'],
    ['ExternalUnixSocket', { log: log('(00.1) Error (criu/sk-unix.c:888): sk unix: Can\'t dump name-less external socket.') }, 'unnamed peer'],
    ['ExternalUnixSocket', { log: log('(00.1) Error (criu/sk-unix.c:418): unix: Unix socket 315515 without peer 315513') }, 'another network namespace'],
    ['NetworkLockFailed', { log: log('(00.1) Error (criu/net.c:3282): Locking network failed: iptables-restore returned -1. This may be connected to disabled CONFIG_NETFILTER_XT_MARK kernel build config option.') }, 'network'],
    ['DiskFull', { log: log("(00.1) Error (criu/page-xfer.c:1): Can't write pages: No space left on device") }, 'space'],
    ['ContainerGone', { log: log('(00.1) Error (criu/seize.c:335): zombie 42 (comm app) found while seizing') }, 'exited'],
    ['ContainerGone', { log: log("(00.012835) Error (criu/util.c:411): Can't open 999999: No such file or directory", "(00.012839) Error (criu/proc_parse.c:1062): Can't open 999999/status on procfs: No such file or directory") }, 'exited'],
    ['CriuFailed', { log: log('(00.008519) Error (compel/src/lib/infect.c:418): Unable to detach from 28662: No such process') }, 'Unable to detach'],
    ['CriuFailed', { log: log("(00.108873) Error (criu/sockets.c:628): sockets: Can't get 1:16 opt: Operation not supported") }, 'CRIU 4.2'],
    ['CriuFailed', { output: 'Error (criu/image.c:737): Invalid parent image directory provided: No such file or directory\n' }, 'Invalid parent image directory'],
  ];
  for (const [reason, evidence, word] of cases) {
    it(`${reason}: ${word}`, () => {
      const c = classifyCriuFailure(evidence);
      assert.equal(c.reason, reason, c.message);
      assert.ok(c.message.includes(word), c.message);
    });
  }

  it('does not take a refused connection for the page server unless one was asked for', () => {
    const c = classifyCriuFailure({ log: log("(00.008494) Can't connect to server 127.0.0.1:1") });
    assert.equal(c.reason, 'CriuFailed');
  });

  it('says so when CRIU logged nothing', () => {
    assert.equal(classifyCriuFailure({}).message, 'CRIU failed without logging an error');
  });

  it('strips CRIU\'s timestamp and source location', () => {
    assert.equal(bareCriuMessage('(00.001305) Error (criu/config.c:1128): Tracking memory is not available.'), 'Tracking memory is not available.');
  });

  it('keeps the last lines of a log', () => {
    assert.equal(logTail('a\nb\nc\n', 2), 'b\nc');
  });
});
