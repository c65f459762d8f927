import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProcStat, readProcStat } from '../../../src/runc/proc-stat.ts';
import { statLine } from './fake-runtime.ts';

describe('/proc/<pid>/stat', () => {
  it('reads state and start time (field 22)', () => {
    const s = parseProcStat(statLine(42, 'workload', 'S', 91959));
    assert.deepEqual(s, { pid: 42, comm: 'workload', state: 'S', ppid: 1, startTime: 91959n });
  });

  it('survives a comm with spaces and parentheses', () => {
    const s = parseProcStat(statLine(7, 'evil) S 1 (x', 'Z', 123));
    assert.equal(s.comm, 'evil) S 1 (x');
    assert.equal(s.state, 'Z');
    assert.equal(s.startTime, 123n);
  });

  it('keeps start times past 2^53 exact', () => {
    assert.equal(parseProcStat(statLine(1, 'a', 'R', 2n ** 60n + 1n)).startTime, 2n ** 60n + 1n);
  });

  it('refuses a malformed line and reports a missing process as undefined', async () => {
    assert.throws(() => parseProcStat('42 workload S'), /malformed/);
    assert.equal(await readProcStat(2 ** 30), undefined);
  });

  it('reads this process', async () => {
    const s = await readProcStat(process.pid);
    assert.ok(s !== undefined);
    assert.equal(s.pid, process.pid);
    assert.match(s.state, /^[RS]$/);
  });
});
