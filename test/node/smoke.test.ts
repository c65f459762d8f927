// The node stack works on this machine: containerd runs containers from the
// locally built image, CRIU's own check passes, and runc's checkpoint (the
// reference this project is measured against) dumps a running container.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runcRoot, TestNode } from '../support/node.ts';
import { ticks, ticksAfter } from '../support/workload.ts';

describe('node stack', () => {
  let node: TestNode;
  before(async () => { node = await TestNode.start(); });
  after(async () => { await node.stop(); });

  it('runs a containerd container that keeps working', async () => {
    const pid = await node.runContainer({ id: 'smoke-run', args: ['/bin/workload', 'mem', '8'] });
    assert.equal(await node.taskStatus('smoke-run'), 'RUNNING');
    await ticksAfter(node, pid, await ticksAfter(node, pid, 0));
  });

  it('passes criu check inside the node root', async () => {
    const r = await node.exec(['criu', 'check']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, /Looks good/);
    const version = await node.execOk(['criu', '--version']);
    assert.match(version, /Version: 4\.1/);
  });

  it('checkpoints with runc --leave-running and the container keeps running', async () => {
    const pid = await node.runContainer({ id: 'smoke-ckpt', args: ['/bin/workload', 'mem', '16'] });
    await ticksAfter(node, pid, 0);
    const r = await node.exec(['runc', '--root', runcRoot, 'checkpoint', '--leave-running',
      '--image-path', '/ckpt/smoke-img', '--work-path', '/ckpt/smoke-work', 'smoke-ckpt'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `runc checkpoint failed: ${r.stderr}`);
    const inventory = await node.execOk(['ls', '/ckpt/smoke-img']);
    assert.match(inventory, /inventory\.img/);
    assert.match(inventory, /pages-1\.img/);
    assert.equal(await node.taskStatus('smoke-ckpt'), 'RUNNING');
    await ticksAfter(node, pid, await ticks(node, pid));
  });
});
