import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/runtime/logging/logger.ts';

describe('createLogger', () => {
  it('writes JSON lines with a level name, honours the level and carries child bindings', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter((l) => l !== '')));
    const log = createLogger({ level: 'info', name: 'ckpt-controller', destination: out });
    log.debug('hidden');
    log.child({ controller: 'checkpoint', namespace: 'ns', name: 'c1' }).info({ attempt: 2 }, 'reconciling');
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(rec.level, 'info');
    assert.equal(rec.logger, 'ckpt-controller');
    assert.equal(rec.controller, 'checkpoint');
    assert.equal(rec.namespace, 'ns');
    assert.equal(rec.name, 'c1');
    assert.equal(rec.attempt, 2);
    assert.equal(rec.msg, 'reconciling');
    assert.match(String(rec.time), /^\d{4}-\d\d-\d\dT/);
  });
});
