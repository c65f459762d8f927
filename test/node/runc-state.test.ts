// runc state resolution and the freezer against the real node: containerd's
// runc state of running, created, paused and stopped containers, read from the
// host through containerd's mount namespace (/proc/<containerd>/root).
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBundleSpec, resolveContainer, rootfsOverlay } from '../../src/runc/container.ts';
import { RuncError } from '../../src/runc/errors.ts';
import { Freezer } from '../../src/runc/freezer.ts';
import { waitFor } from '../env/run.ts';
import { runcRoot, shareInNode, TestNode } from '../support/node.ts';
import { ticks, ticksAfter } from '../support/workload.ts';

function reason(r: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof RuncError, `expected a RuncError, got ${String(err)}`);
    assert.equal(err.reason, r, err.message);
    return true;
  };
}

describe('runc state on the node', () => {
  let node: TestNode;
  let fsRoot: string;
  let root: string;
  before(async () => {
    node = await TestNode.start();
    fsRoot = `/proc/${node.info.pid}/root`;
    root = join(fsRoot, runcRoot);
  });
  after(async () => { await node.stop(); });

  it('resolves a running containerd container: init, bundle spec, overlay upper layer', async () => {
    const pid = await node.runContainer({ id: 'rs-run', args: ['/bin/workload', 'mem', '4'], annotations: { 'io.kubernetes.cri.container-name': 'app' } });
    const c = await resolveContainer(root, 'rs-run', { fsRoot });
    assert.equal(c.status, 'running');
    assert.equal(c.pid, pid);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    assert.equal(c.state.initProcessStart.toString(), stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    assert.match(c.state.config.rootfs, /\/k8s\.io\/rs-run\/rootfs$/);
    assert.ok(c.state.config.labels.includes('io.kubernetes.cri.container-name=app'));
    const spec = await readBundleSpec(c, fsRoot);
    assert.deepEqual((spec.process as { args: string[] }).args, ['/bin/workload', 'mem', '4']);
    assert.equal(c.state.externalDescriptors?.length, 3);
    const overlay = await rootfsOverlay(c);
    assert.ok(overlay !== undefined, 'containerd roots are overlays');
    // The workload writes /tmp/ticks into its own upper layer.
    await ticksAfter(node, pid, 0);
    await access(join(fsRoot, overlay.upperdir, 'tmp', 'ticks'));
  });

  it('refuses a created container (runc create, not started)', async () => {
    // A bundle copied from a running container, created by runc in a root of its own.
    await node.runContainer({ id: 'rs-src', args: ['/bin/workload', 'mem', '1'] });
    const src = await resolveContainer(root, 'rs-src', { fsRoot });
    const bundle = `${shareInNode}/created-bundle`;
    const spec = await readBundleSpec(src, fsRoot);
    const linux = spec.linux as Record<string, unknown>;
    // Under k8s.io, whose cgroups the node's teardown removes.
    linux.cgroupsPath = '/k8s.io/rs-created';
    spec.root = { path: 'rootfs' };
    await node.execOk(['mkdir', '-p', `${bundle}/rootfs`]);
    await node.execOk(['cp', '-a', `${src.state.config.rootfs}/.`, `${bundle}/rootfs/`]);
    await node.execOk(['sh', '-c', `cat > ${bundle}/config.json`], { input: JSON.stringify(spec) });
    const createdRoot = '/run/ckpt-test-runc';
    await node.execOk(['sh', '-c', `runc --root ${createdRoot} create --bundle ${bundle} rs-created </dev/null >${bundle}/out 2>&1`]);
    try {
      await assert.rejects(resolveContainer(join(fsRoot, createdRoot), 'rs-created', { fsRoot }), reason('ContainerCreated'));
    } finally {
      await node.exec(['runc', '--root', createdRoot, 'delete', '--force', 'rs-created']);
    }
  });

  it('refuses a stopped container', async () => {
    await node.execOk(['ctr', '-n', 'k8s.io', 'run', '-d', 'ckpt.dev/workload:latest', 'rs-stop', '/bin/true']);
    await waitFor('rs-stop to exit', async () => ((await node.taskStatus('rs-stop')) === 'STOPPED' ? true : undefined), 10_000);
    await assert.rejects(resolveContainer(root, 'rs-stop', { fsRoot }), reason('ContainerStopped'));
  });

  it('refuses IDs that are paths and reports unknown containers', async () => {
    await assert.rejects(resolveContainer(root, '../k8s.io/rs-run', { fsRoot }), reason('InvalidContainerId'));
    await assert.rejects(resolveContainer(root, 'no-such-container', { fsRoot }), reason('ContainerNotFound'));
  });

  it('sees a paused container as paused, and the freezer thaws it', async () => {
    const pid = await node.runContainer({ id: 'rs-pause', args: ['/bin/workload', 'mem', '1'] });
    await ticksAfter(node, pid, 0);
    await node.execOk(['ctr', '-n', 'k8s.io', 'task', 'pause', 'rs-pause']);
    const c = await resolveContainer(root, 'rs-pause', { fsRoot });
    assert.equal(c.status, 'paused');
    const freezer = Freezer.fromCgroupPaths(c.state.cgroupPaths, fsRoot);
    assert.ok(freezer !== undefined);
    assert.equal(freezer.version, 'v1', 'this node is cgroup v1 (hybrid)');
    assert.equal(await freezer.state(), 'FROZEN');
    assert.equal(await freezer.ensureThawed(), 'thawed');
    assert.equal(await freezer.state(), 'THAWED');
    // containerd keeps saying PAUSED (it reports what it did, not the cgroup); the workload's ticks tell the truth.
    await ticksAfter(node, pid, await ticks(node, pid));
    assert.equal((await resolveContainer(root, 'rs-pause', { fsRoot })).status, 'running');
  });

  it('freezes and thaws through the real cgroup', async () => {
    const pid = await node.runContainer({ id: 'rs-freeze', args: ['/bin/workload', 'mem', '1'] });
    await ticksAfter(node, pid, 0);
    const c = await resolveContainer(root, 'rs-freeze', { fsRoot });
    const freezer = Freezer.fromCgroupPaths(c.state.cgroupPaths, fsRoot);
    assert.ok(freezer !== undefined);
    await freezer.freeze();
    assert.equal(await freezer.state(), 'FROZEN');
    assert.equal(await freezer.isPaused(), true);
    assert.equal(await freezer.ensureThawed(), 'thawed');
    assert.equal(await freezer.ensureThawed(), 'not-frozen');
    await ticksAfter(node, pid, await ticks(node, pid));
  });
});
