import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ContainerCheckpointStatus } from '../../../src/api/container-checkpoint.ts';
import { CheckpointGoneError, StatusRefusedError, mutateStatus, type Ckpt, type StatusClient } from '../../../src/agent/worker/status-updater.ts';
import type { Clock } from '../../../src/runtime/clock.ts';
import { apiErrorFrom, TransportError } from '../../../src/runtime/kube/api-error.ts';

/** Time jumps by each timer's delay and the timer fires on the next turn, so backoff costs nothing. */
class JumpingClock implements Clock {
  t = 0;
  slept: number[] = [];
  now(): number { return this.t; }
  setTimer(ms: number, fn: () => void): { cancel: () => void } {
    this.slept.push(ms);
    this.t += ms;
    const h = setImmediate(fn);
    return { cancel: () => { clearImmediate(h); } };
  }
}

type Step = 'ok' | Error;

/** Answers get and updateStatus from scripts; each call takes the next step (ok when the script runs out). */
class ScriptedClient implements StatusClient {
  gets = 0;
  updates = 0;
  written: Ckpt[] = [];
  private readonly getSteps: Step[];
  private readonly updateSteps: Step[];
  constructor(o: { get?: Step[]; update?: Step[] } = {}) {
    this.getSteps = [...(o.get ?? [])];
    this.updateSteps = [...(o.update ?? [])];
  }
  get<T>(): Promise<T> {
    this.gets++;
    const s = this.getSteps.shift() ?? 'ok';
    if (s !== 'ok') return Promise.reject(s);
    const obj: Ckpt = { apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name: 'c', namespace: 'ns', resourceVersion: String(this.gets) }, spec: { podName: 'p' }, status: {} };
    return Promise.resolve(obj as T);
  }
  updateStatus<T>(_r: unknown, obj: T): Promise<T> {
    this.updates++;
    const s = this.updateSteps.shift() ?? 'ok';
    if (s !== 'ok') return Promise.reject(s);
    this.written.push(obj as Ckpt);
    return Promise.resolve(obj);
  }
}

const api = (code: number, reason = ''): Error => apiErrorFrom('PUT', '/x', code, JSON.stringify({ kind: 'Status', code, reason, message: 'm' }));
const mark = (): ContainerCheckpointStatus => ({ nodeName: 'n1' });

describe('mutateStatus', () => {
  it('writes the change to the object it read', async () => {
    const c = new ScriptedClient();
    const out = await mutateStatus(c, 'ns', 'c', mark, { clock: new JumpingClock() });
    assert.equal(out.status?.nodeName, 'n1');
    assert.equal(c.written[0]?.metadata.resourceVersion, '1');
  });

  it('re-reads and writes again after a conflict, with the newer object', async () => {
    const c = new ScriptedClient({ update: [api(409, 'Conflict')] });
    await mutateStatus(c, 'ns', 'c', mark, { clock: new JumpingClock() });
    assert.deepEqual([c.gets, c.updates], [2, 2]);
    assert.equal(c.written[0]?.metadata.resourceVersion, '2');
  });

  it('gives up after the allowed conflicts in a row', async () => {
    const c = new ScriptedClient({ update: Array.from({ length: 5 }, () => api(409, 'Conflict')) });
    await assert.rejects(mutateStatus(c, 'ns', 'c', mark, { clock: new JumpingClock(), conflictAttempts: 3 }), /409/);
    assert.equal(c.updates, 3);
  });

  it('rides out an API server that is down, overloaded or failing, with growing pauses', async () => {
    const clock = new JumpingClock();
    const down = new TransportError('connect ECONNREFUSED');
    const c = new ScriptedClient({ get: [down, down, api(503)], update: [api(429), api(500), new TransportError('socket hang up')] });
    const out = await mutateStatus(c, 'ns', 'c', mark, { clock });
    assert.equal(out.status?.nodeName, 'n1');
    assert.equal(c.written.length, 1);
    assert.equal(clock.slept.length, 6);
    assert.ok(clock.slept.every((ms, i) => i === 0 || ms >= (clock.slept[i - 1] ?? 0)), `pauses grow: ${clock.slept.join(', ')}`);
  });

  it('rides out the refusals of an API server whose authenticator and RBAC caches are still warming up', async () => {
    const c = new ScriptedClient({ get: [api(401, 'Unauthorized')], update: [api(403, 'Forbidden')] });
    await mutateStatus(c, 'ns', 'c', mark, { clock: new JumpingClock() });
    assert.equal(c.written.length, 1);
  });

  it('stops retrying when the retry window is spent', async () => {
    const clock = new JumpingClock();
    const c = new ScriptedClient({ get: Array.from({ length: 1000 }, () => new TransportError('connect ECONNREFUSED')) });
    await assert.rejects(mutateStatus(c, 'ns', 'c', mark, { clock, retryForMs: 30_000 }), TransportError);
    assert.ok(clock.t <= 30_000, `gave up at ${String(clock.t)} ms`);
    assert.ok(clock.t >= 20_000, `gave up early, at ${String(clock.t)} ms`);
  });

  it('does not retry a request the server refuses for what it is', async () => {
    const c = new ScriptedClient({ update: [api(422, 'Invalid')] });
    await assert.rejects(mutateStatus(c, 'ns', 'c', mark, { clock: new JumpingClock() }), /422/);
    assert.equal(c.updates, 1);
  });

  it('reports a deleted checkpoint and a refused change as such, without retrying', async () => {
    await assert.rejects(mutateStatus(new ScriptedClient({ get: [api(404, 'NotFound')] }), 'ns', 'c', mark), CheckpointGoneError);
    const c = new ScriptedClient();
    await assert.rejects(mutateStatus(c, 'ns', 'c', () => undefined), StatusRefusedError);
    assert.equal(c.updates, 0);
  });

  it('stops at once when its job is aborted', async () => {
    const abort = new AbortController();
    const clock = new JumpingClock();
    const c = new ScriptedClient({ get: Array.from({ length: 1000 }, () => new TransportError('connect ECONNREFUSED')) });
    const p = mutateStatus(c, 'ns', 'c', mark, { clock, signal: abort.signal });
    abort.abort(new Error('agent stopping'));
    await assert.rejects(p);
    assert.equal(c.gets, 1);
    assert.deepEqual(clock.slept, []);
  });
});
