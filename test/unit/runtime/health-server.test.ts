import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { HealthServer } from '../../../src/runtime/health/health-server.ts';
import { shutdownSignal } from '../../../src/runtime/lifecycle/shutdown-signal.ts';
import { runtimeMetrics } from '../../../src/runtime/metrics/runtime-metrics.ts';

describe('HealthServer', () => {
  it('reports not ready until every check passes, and serves metrics', async () => {
    const registry = new Registry();
    runtimeMetrics(registry).leaderElection.leading('x', false);
    const s = new HealthServer({ port: 0, host: '127.0.0.1', registry });
    let synced = false;
    s.addHealthCheck('ping', () => true);
    s.addReadyCheck('informers', () => synced || 'caches not synced yet');
    s.addReadyCheck('throws', () => { if (!synced) throw new Error('boom'); return true; });
    const port = await s.listen();
    const get = async (path: string): Promise<{ code: number; body: string; type: string | null }> => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { code: r.status, body: await r.text(), type: r.headers.get('content-type') };
    };
    try {
      assert.equal((await get('/healthz')).code, 200);
      const notReady = await get('/readyz');
      assert.equal(notReady.code, 500);
      assert.match(notReady.body, /\[-\]informers failed: caches not synced yet/);
      assert.match(notReady.body, /\[-\]throws failed: boom/);
      synced = true;
      assert.deepEqual(await get('/readyz'), { code: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
      assert.match((await get('/readyz?verbose')).body, /\[\+\]informers ok/);
      const metrics = await get('/metrics');
      assert.equal(metrics.code, 200);
      assert.match(metrics.body, /leader_election_master_status\{name="x"\} 0/);
      assert.match(metrics.type ?? '', /text\/plain/);
      assert.equal((await get('/nope')).code, 404);
    } finally {
      await s.close();
    }
  });
});

describe('shutdownSignal', () => {
  it('aborts on the first signal and escalates on the second', () => {
    const proc = new EventEmitter();
    const seconds: string[] = [];
    const s = shutdownSignal({ process: proc, onSecondSignal: (sig) => seconds.push(sig) });
    assert.equal(s.signal.aborted, false);
    proc.emit('SIGTERM', 'SIGTERM');
    assert.equal(s.signal.aborted, true);
    assert.match((s.signal.reason as Error).message, /SIGTERM/);
    proc.emit('SIGINT', 'SIGINT');
    assert.deepEqual(seconds, ['SIGINT']);
    s.dispose();
    assert.equal(proc.listenerCount('SIGTERM'), 0);
  });
});
