// The swrk transport against a fake CRIU (fake-criu.ts) that speaks the RPC
// protocol on fd 3 of a real SEQPACKET socketpair.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriuError } from '../../../src/criu/errors.ts';
import { callCriu, type CriuRunner } from '../../../src/criu/swrk.ts';
import { criuVersion } from '../../../src/criu/version.ts';

const fake = join(import.meta.dirname, 'fake-criu.ts');

function runner(mode: string, env: Record<string, string> = {}): CriuRunner {
  return { command: [process.execPath, fake], env: { FAKE_CRIU_MODE: mode, ...env } };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<CriuError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CriuError, `expected a CriuError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return err;
  }
  assert.fail(`expected a ${reason} rejection`);
}

describe('swrk transport', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'ckpt-swrk-test-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('sends the request, answers every notification and returns the final response', async () => {
    const seen: string[] = [];
    const r = await callCriu(
      { type: 'DUMP', opts: { imagesDirFd: 7, pid: 42, leaveRunning: true, extMnt: [{ key: '/a', val: '/a' }] } },
      { runner: runner('dump-ok', { CRIU_FAULT: '130' }), timeoutMs: 20_000, onNotify: (n) => { seen.push(n.script ?? ''); } },
    );
    assert.equal(r.response.type, 'DUMP');
    assert.equal(r.response.success, true);
    assert.deepEqual(r.notifications, ['pre-dump', 'network-lock', 'post-dump', 'network-unlock']);
    assert.deepEqual(seen, r.notifications);
    const echo = JSON.parse(r.response.crErrmsg ?? '{}') as { req: { opts: Record<string, unknown> }; answers: boolean[]; env: string; argv: string[] };
    assert.deepEqual(echo.answers, [true, true, true, true]);
    assert.equal(echo.req.opts.imagesDirFd, 7);
    assert.equal(echo.req.opts.pid, 42);
    assert.deepEqual(echo.req.opts.extMnt, [{ key: '/a', val: '/a' }]);
    assert.equal(echo.env, '130', 'the runner environment reaches CRIU');
    assert.deepEqual(echo.argv, ['swrk', '3']);
    assert.equal(r.exitCode, 0);
  });

  it('answers notifications without a handler', async () => {
    const r = await callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, { runner: runner('dump-ok'), timeoutMs: 20_000 });
    assert.equal(r.response.success, true);
  });

  it('tells CRIU when a notification handler fails and reports the handler error', async () => {
    const err = await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, {
      runner: runner('dump-ok'), timeoutMs: 20_000,
      onNotify: (n) => { if (n.script === 'network-lock') throw new Error('no lock for you'); },
    }), 'NotifyHandlerFailed');
    assert.match(err.message, /no lock for you/);
  });

  it('returns an unsuccessful response as it is (the caller judges success)', async () => {
    const r = await callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, { runner: runner('fail'), timeoutMs: 20_000 });
    assert.equal(r.response.success, false);
    assert.equal(r.response.crErrno, 5);
  });

  it('kills CRIU at the deadline and says so', async () => {
    const err = await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, { runner: runner('hang'), timeoutMs: 1_500 }), 'CriuTimeout');
    assert.equal(err.details.signal, 'SIGKILL');
    assert.match(err.details.output ?? '', /hanging/);
  });

  it('kills helpers CRIU forked too, so none keeps the socket open', async () => {
    const pidFile = join(dir, 'helper.pid');
    await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, {
      runner: runner('hang-with-child', { FAKE_CRIU_PIDFILE: pidFile }), timeoutMs: 1_500,
    }), 'CriuTimeout');
    const helper = Number(await readFile(pidFile, 'utf8'));
    // SIGKILL is delivered before kill() returns; the zombie is reaped by init.
    const stat = await readFile(`/proc/${helper}/stat`, 'utf8').catch(() => '');
    assert.ok(!alive(helper) || / Z /.test(stat), `helper ${helper} survived`);
  });

  it('kills a CRIU whose notification handler never returns', async () => {
    await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, {
      runner: runner('notify-slow'), timeoutMs: 1_500, onNotify: () => new Promise<void>(() => undefined),
    }), 'CriuTimeout');
  });

  it('stops on an abort signal', async () => {
    const ac = new AbortController();
    setTimeout(() => { ac.abort(new Error('resource deleted')); }, 300);
    await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, { runner: runner('hang'), timeoutMs: 20_000, signal: ac.signal }), 'CriuAborted');
  });

  it('reports a CRIU that exits without answering, with its output', async () => {
    const err = await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, { runner: runner('exit'), timeoutMs: 20_000 }), 'CriuExited');
    assert.equal(err.details.exitCode, 3);
    assert.match(err.message, /dying without an answer/);
  });

  it('reports garbage on the socket as a protocol error and kills CRIU', async () => {
    await rejectsWith(callCriu({ type: 'DUMP', opts: { imagesDirFd: 1 } }, { runner: runner('garbage'), timeoutMs: 20_000 }), 'CriuProtocolError');
  });

  it('reports a missing CRIU binary as CriuNotFound', async () => {
    await rejectsWith(callCriu({ type: 'VERSION' }, { runner: { command: [join(dir, 'no-such-criu')] }, timeoutMs: 20_000 }), 'CriuNotFound');
  });

  it('queries the version', async () => {
    const v = await criuVersion({ runner: runner('version'), timeoutMs: 20_000 });
    assert.equal(v.text, '4.1.1');
    assert.equal(v.number, 40101);
  });
});
