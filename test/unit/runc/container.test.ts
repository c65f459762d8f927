// Container status as runc decides it, and the refusals a checkpoint needs:
// created, stopped, zombie and a reused PID.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertStillRunning, resolveContainer } from '../../../src/runc/container.ts';
import { RuncError } from '../../../src/runc/errors.ts';
import { readRuncState } from '../../../src/runc/state.ts';
import { runcStatus } from '../../../src/runc/status.ts';
import { fakeContainer, fakeRuntime, type FakeRuntime } from './fake-runtime.ts';

function reason(r: string) {
  return (err: unknown): boolean => err instanceof RuncError && err.reason === r;
}

describe('runc container status', () => {
  let rt: FakeRuntime;
  let opts: { procRoot: string; fsRoot: string };
  before(async () => {
    rt = await fakeRuntime();
    opts = { procRoot: rt.proc, fsRoot: rt.fsRoot };
    await fakeContainer(rt, { id: 'running', pid: 10, recordedStart: 500, process: { state: 'S', start: 500 }, freezer: 'THAWED' });
    await fakeContainer(rt, { id: 'created', pid: 11, recordedStart: 500, process: { state: 'S', start: 500 }, freezer: 'THAWED', execFifo: true });
    await fakeContainer(rt, { id: 'paused', pid: 12, recordedStart: 500, process: { state: 'S', start: 500 }, freezer: 'FROZEN' });
    await fakeContainer(rt, { id: 'gone', pid: 13, recordedStart: 500, freezer: 'THAWED' });
    await fakeContainer(rt, { id: 'zombie', pid: 14, recordedStart: 500, process: { state: 'Z', start: 500 }, freezer: 'THAWED' });
    await fakeContainer(rt, { id: 'reused', pid: 15, recordedStart: 500, process: { state: 'S', start: 777 }, freezer: 'THAWED' });
    await fakeContainer(rt, { id: 'nocgroup', pid: 16, recordedStart: 500, process: { state: 'R', start: 500 } });
  });
  after(async () => { await rt.cleanup(); });

  const expect: [string, string, string?][] = [
    ['running', 'running'],
    ['created', 'created'],
    ['paused', 'paused'],
    ['gone', 'stopped', 'no-process'],
    ['zombie', 'stopped', 'zombie'],
    ['reused', 'stopped', 'pid-reused'],
    ['nocgroup', 'running'],
  ];
  for (const [id, status, because] of expect) {
    it(`${id} is ${status}${because === undefined ? '' : ` (${because})`}`, async () => {
      const r = await runcStatus(await readRuncState(rt.root, id), opts);
      assert.equal(r.status, status);
      assert.equal(r.stoppedBecause, because);
    });
  }

  it('resolves running and paused containers', async () => {
    const c = await resolveContainer(rt.root, 'running', opts);
    assert.equal(c.status, 'running');
    assert.equal(c.pid, 10);
    assert.equal(c.bundle, '/run/containerd/io.containerd.runtime.v2.task/k8s.io/x1');
    assert.equal((await resolveContainer(rt.root, 'paused', opts)).status, 'paused');
  });

  it('refuses what runc checkpoint refuses, each with its own reason', async () => {
    await assert.rejects(resolveContainer(rt.root, 'created', opts), reason('ContainerCreated'));
    await assert.rejects(resolveContainer(rt.root, 'gone', opts), reason('ContainerStopped'));
    await assert.rejects(resolveContainer(rt.root, 'zombie', opts), reason('ContainerStopped'));
    await assert.rejects(resolveContainer(rt.root, 'reused', opts), reason('PidReused'));
  });

  it('notices a PID reused after resolution', async () => {
    await fakeContainer(rt, { id: 'later', pid: 17, recordedStart: 900, process: { state: 'S', start: 900 }, freezer: 'THAWED' });
    const c = await resolveContainer(rt.root, 'later', opts);
    await fakeContainer(rt, { id: 'later', pid: 17, recordedStart: 900, process: { state: 'S', start: 901 }, freezer: 'THAWED' });
    await assert.rejects(assertStillRunning(c, opts), reason('PidReused'));
  });
});
