// The native SEQPACKET addon: whole messages, distinct EOF, timeout and
// truncation outcomes, blocking ends for CRIU.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seqpacketPair } from '../../../src/criu/seqpacket.ts';

describe('seqpacket socketpair', () => {
  it('carries whole messages and keeps their boundaries', async () => {
    const [a, b] = seqpacketPair();
    a.send(Buffer.from('one'));
    a.send(Buffer.from('second message'));
    const first = await b.recv(1024, 1000);
    const second = await b.recv(1024, 1000);
    assert.equal(first.kind === 'message' ? first.data.toString() : first.kind, 'one');
    assert.equal(second.kind === 'message' ? second.data.toString() : second.kind, 'second message');
    await a.close();
    await b.close();
  });

  it('reports a timeout when nothing arrives', async () => {
    const [a, b] = seqpacketPair();
    assert.deepEqual(await b.recv(1024, 20), { kind: 'timeout' });
    await a.close();
    await b.close();
  });

  it('reports EOF once the peer is closed, and EPIPE to a sender', async () => {
    const [a, b] = seqpacketPair();
    await a.close();
    assert.deepEqual(await b.recv(1024, 1000), { kind: 'eof' });
    assert.throws(() => { b.send(Buffer.from('x')); }, (err: NodeJS.ErrnoException) => err.code === 'EPIPE');
    await b.close();
  });

  it('reports truncation with the real size instead of cutting a message', async () => {
    const [a, b] = seqpacketPair();
    a.send(Buffer.alloc(500, 1));
    assert.deepEqual(await b.recv(100, 1000), { kind: 'truncated', size: 500 });
    await a.close();
    await b.close();
  });

  it('wakes a pending receive when a message arrives later', async () => {
    const [a, b] = seqpacketPair();
    const pending = b.recv(1024, 5000);
    setTimeout(() => { a.send(Buffer.from('late')); }, 50);
    const got = await pending;
    assert.equal(got.kind === 'message' ? got.data.toString() : got.kind, 'late');
    await a.close();
    await b.close();
  });

  it('refuses a second concurrent receive and defers close until the pending one returns', async () => {
    const [a, b] = seqpacketPair();
    const pending = b.recv(1024, 200);
    await assert.rejects(b.recv(1024, 10), /already pending/);
    const closing = b.close();
    assert.deepEqual(await pending, { kind: 'timeout' });
    await closing;
    assert.throws(() => { b.send(Buffer.from('x')); }, /closed/);
    await a.close();
  });

  it('makes blocking, close-on-exec ends', async () => {
    const [a, b] = seqpacketPair();
    const { readFile } = await import('node:fs/promises');
    for (const fd of [a.descriptor, b.descriptor]) {
      const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
      const flags = parseInt(/flags:\s*([0-7]+)/.exec(info)?.[1] ?? '0', 8);
      assert.equal(flags & 0o4000, 0, 'O_NONBLOCK must be clear');
      assert.notEqual(flags & 0o2000000, 0, 'O_CLOEXEC must be set');
    }
    await a.close();
    await b.close();
  });
});
