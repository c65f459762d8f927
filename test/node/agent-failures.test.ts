// What goes wrong on a real node, end to end through the real controller and
// agent processes: containers that are gone, exit mid-dump, reuse their PID
// or were never started; CRIU that hangs; page servers that are unreachable
// or not allowed; a full disk; paths that try to leave the archive root or
// reach another checkpoint's files; and the agent killed with SIGKILL in the
// middle of dumps. Every time the checkpoint ends Failed with its reason, no
// partial file stays, and a container that is still there runs, thawed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckpointOptions, Compression } from '../../src/api/checkpoint-options.ts';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { stopChild, waitFor } from '../env/run.ts';
import { TestCluster } from '../support/cluster.ts';
import { createCheckpoint, failure, getCheckpoint, waitForOutcome } from '../support/checkpoints.ts';
import {
  assertRunningAndThawed, childrenNamed, containerFreezer, filesBelow, loggedCriuRequests, processGone, waitForDumpHold,
} from '../support/agent-checks.ts';
import { runcRoot, TestNode } from '../support/node.ts';
import { startAgent, startController, type OperatorProcess } from '../support/operator.ts';
import { newContainerID, startPod, type RunningPod } from '../support/pods.ts';
import { ticksAfter } from '../support/workload.ts';

const ns = 'fail';
const leaseArgs = ['--lease-duration=3s', '--renew-deadline=2s', '--retry-period=500ms'];

type AppPod = RunningPod & { app: { id: string; pid: number } };

describe('agent failures on the real node', () => {
  let cluster: TestCluster;
  let node: TestNode;
  let controller: OperatorProcess;
  let agent: OperatorProcess;
  let podCount = 0;
  const archives = (): string => join(node.info.share, 'archives');

  before(async () => {
    [cluster, node] = await Promise.all([TestCluster.start(), TestNode.start()]);
    await cluster.installRbac();
    for (const n of [ns, 'planted', 'tenant-b']) {
      await cluster.kubectlOk(['create', 'namespace', n]);
      await cluster.kubectlOk(['label', 'namespace', n, 'ckpt.dev/checkpoints=enabled']);
    }
    [controller, agent] = await Promise.all([
      startController(cluster, { args: leaseArgs }),
      startAgent(cluster, node, { nodeName: 'node-1', args: ['--page-server-allowlist=127.0.0.1/32', ...leaseArgs] }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), agent.stop()]);
    await Promise.all([cluster.stop(), node.stop()]);
  });

  async function pod(args: string[], o: { namespace?: string; nodeName?: string; container?: string } = {}): Promise<AppPod> {
    const container = o.container ?? 'app';
    const p = await startPod(cluster, node, {
      namespace: o.namespace ?? ns, name: `p${++podCount}`, nodeName: o.nodeName ?? 'node-1', containers: [{ name: container, args }],
    });
    const app = p.containers[container];
    assert.ok(app !== undefined);
    await ticksAfter(node, app.pid, 0, 60_000);
    return { ...p, app };
  }

  async function checkpoint(name: string, p: RunningPod, options: CheckpointOptions = {}, more: { compression?: Compression; timeoutSeconds?: number; namespace?: string } = {}): Promise<ContainerCheckpoint> {
    const namespace = more.namespace ?? ns;
    await createCheckpoint(cluster, namespace, name, {
      podName: p.name, options, archive: { compression: more.compression ?? 'Zstd' },
      ...(more.timeoutSeconds !== undefined ? { timeoutSeconds: more.timeoutSeconds } : {}),
    });
    return waitForOutcome(cluster, namespace, name, 300_000);
  }

  function failedWith(c: ContainerCheckpoint, reason: string, containerReason: string | undefined, message: RegExp): void {
    const f = failure(c);
    assert.ok(f !== undefined, `expected ${reason}, got ${JSON.stringify(c.status, null, 2)}\n${agent.logs().slice(-2000)}`);
    assert.equal(f.reason, reason, f.message);
    assert.match(f.message, message);
    if (containerReason !== undefined) assert.equal(c.status?.containers?.[0]?.reason, containerReason, f.message);
  }

  /** The checkpoint's own directory below the archive root (host view) holds nothing. */
  async function assertNoFilesOf(c: ContainerCheckpoint, root = archives()): Promise<void> {
    const dir = join(root, c.metadata.namespace ?? '', `${c.metadata.name ?? ''}-${(c.metadata.uid ?? '').slice(0, 8)}`);
    assert.deepEqual(await filesBelow(dir), [], `partial files of ${c.metadata.name ?? ''} in ${dir}`);
  }

  /** A container that is no longer alive must at least not be left frozen. */
  async function assertNotFrozen(id: string): Promise<void> {
    const f = await containerFreezer(node, id);
    const s = await f.state();
    assert.ok(s === 'THAWED' || s === 'gone', `container ${id} freezer is ${s}`);
  }

  async function pointPodAt(p: RunningPod, container: string, id: string): Promise<void> {
    const now = new Date().toISOString();
    await cluster.kubectlOk(['patch', 'pod', p.name, '-n', p.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({
      status: {
        containerStatuses: [{
          name: container, ready: true, restartCount: 0, started: true, image: 'ckpt.dev/workload:latest', imageID: 'ckpt.dev/workload:latest',
          containerID: `containerd://${id}`, state: { running: { startedAt: now } },
        }],
      },
    })]);
  }

  describe('containers that are not there to dump', () => {
    it('a container gone between the controller\'s resolution and the dump: ContainerGone, or ContainerNotRunning while its task is not deleted', async () => {
      // The pod object still says running (there is no kubelet to tell): the
      // agent finds out from runc's state.
      const exited = await pod(['/bin/workload', 'mem', '4']);
      await node.execOk(['ctr', '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', exited.app.id]);
      await processGone(exited.app.pid);
      const c1 = await checkpoint('exited', exited);
      failedWith(c1, 'ContainerNotRunning', 'ContainerStopped', /is stopped: its init process \d+ is gone/);
      assert.deepEqual(loggedCriuRequests(agent, ns, 'exited'), [], 'CRIU never ran');
      await assertNoFilesOf(c1);

      await node.execOk(['ctr', '-n', 'k8s.io', 'task', 'delete', exited.app.id]);
      const c2 = await checkpoint('deleted', exited);
      failedWith(c2, 'ContainerGone', 'ContainerNotFound', /does not exist under runc root/);
      await assertNoFilesOf(c2);
    });

    it('a container that exits mid-dump: ContainerGone, partial files removed, its cgroup not left frozen', async () => {
      const p = await pod(['/bin/workload', 'mem', '512']);
      const freezer = await containerFreezer(node, p.app.id);
      await createCheckpoint(cluster, ns, 'exits-mid-dump', { podName: p.name });
      await waitForDumpHold(freezer, p.app.pid);
      process.kill(p.app.pid, 'SIGKILL');
      const c = await waitForOutcome(cluster, ns, 'exits-mid-dump', 120_000);
      failedWith(c, 'ContainerGone', undefined, /exit/);
      assert.equal(loggedCriuRequests(agent, ns, 'exits-mid-dump').length, 1);
      await assertNoFilesOf(c);
      await assertNotFrozen(p.app.id);
    });

    it('a reused PID: the container\'s init PID now belongs to another process, PidReused', async () => {
      const p = await pod(['/bin/workload', 'mem', '4']);
      await node.execOk(['ctr', '-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', p.app.id]);
      await processGone(p.app.pid);
      // Hand the freed PID to a new process: ns_last_pid makes the kernel's
      // next PID the one we want (CRIU restores PIDs the same way).
      const reuser = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'python3', '-u', '-c', `
import ctypes, os, sys
target = ${p.app.pid}
libc = ctypes.CDLL(None)
for _ in range(2000):
    with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
        f.write(str(target - 1))
    pid = os.fork()
    if pid == 0:
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: never outlive the test
        os.execvp('sleep', ['sleep', '100000'])
    if pid == target:
        print('ready', flush=True)
        os.waitpid(pid, 0)
        sys.exit(0)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print('no luck', flush=True)
`], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        let said = '';
        reuser.stdout.setEncoding('utf8').on('data', (d: string) => { said += d; });
        await waitFor('the PID to be reused', () => (said.includes('no luck') ? Promise.reject(new Error('could not get the PID')) : Promise.resolve(said.includes('ready') ? true : undefined)), 60_000);
        const st = await readFile(`/proc/${p.app.pid}/comm`, 'utf8');
        assert.equal(st.trim(), 'sleep');
        const c = await checkpoint('pid-reused', p);
        failedWith(c, 'PidReused', 'PidReused', new RegExp(`PID ${p.app.pid} now belongs to another process`));
        assert.deepEqual(loggedCriuRequests(agent, ns, 'pid-reused'), []);
        await assertNoFilesOf(c);
        // The other process was left alone.
        assert.equal((await readFile(`/proc/${p.app.pid}/comm`, 'utf8')).trim(), 'sleep');
      } finally {
        await stopChild(reuser, 2_000);
      }
    });

    it('a created container (runc create, never started): ContainerCreated', async () => {
      const p = await pod(['/bin/workload', 'mem', '4']);
      const id = newContainerID();
      const bundle = `/ckpt/created-${id.slice(0, 8)}`;
      const task = `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${p.app.id}`;
      await node.execOk(['sh', '-euc', `
        mkdir -p ${bundle}
        cp -a ${task}/rootfs ${bundle}/rootfs
        python3 - ${task}/config.json ${bundle}/config.json <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec['root']['path'] = 'rootfs'
spec['linux']['cgroupsPath'] = '/k8s.io/${id}'
json.dump(spec, open(sys.argv[2], 'w'))
PY
        runc --root ${runcRoot} create --bundle ${bundle} ${id} </dev/null >/dev/null 2>&1
      `]);
      try {
        const state = JSON.parse(await node.execOk(['runc', '--root', runcRoot, 'state', id])) as { status: string };
        assert.equal(state.status, 'created');
        await pointPodAt(p, 'app', id);
        const c = await checkpoint('created', p);
        failedWith(c, 'ContainerCreated', 'ContainerCreated', /created state \(not started\)/);
        assert.deepEqual(loggedCriuRequests(agent, ns, 'created'), []);
        await assertNoFilesOf(c);
        assert.equal((JSON.parse(await node.execOk(['runc', '--root', runcRoot, 'state', id])) as { status: string }).status, 'created');
      } finally {
        await node.exec(['runc', '--root', runcRoot, 'delete', '--force', id]);
        await node.exec(['rm', '-rf', bundle]);
      }
    });
  });

  describe('deadlines', () => {
    it('CRIU stopped while it holds the container: CriuTimeout at timeoutSeconds, CRIU killed, the container running and thawed', async () => {
      const p = await pod(['/bin/workload', 'mem', '1024']);
      const freezer = await containerFreezer(node, p.app.id);
      const agentPid = agent.child.pid ?? 0;
      await createCheckpoint(cluster, ns, 'criu-hangs', { podName: p.name, timeoutSeconds: 15 });
      await waitForDumpHold(freezer, p.app.pid);
      const criu = await childrenNamed(agentPid, 'criu');
      assert.equal(criu.length, 1, 'one CRIU under the agent');
      // A hang where it hurts most: CRIU holds the tasks (seized, maybe its
      // parasite inside) and goes silent.
      for (const pid of criu) process.kill(pid, 'SIGSTOP');
      const c = await waitForOutcome(cluster, ns, 'criu-hangs', 120_000);
      failedWith(c, 'CriuTimeout', 'CriuTimeout', /CRIU did not finish within \d+ ms and was killed/);
      for (const pid of criu) await processGone(pid, 10_000);
      await assertNoFilesOf(c);
      await assertRunningAndThawed(node, p.app.id, 'after the timeout');
      await node.removeContainer(p.app.id);
    });

    it('an archive that outlasts timeoutSeconds: DeadlineExceeded from the agent, the partial archive removed, the container running', async () => {
      // Gzip of 1 GiB of random memory takes tens of seconds here; the dump itself about one.
      const p = await pod(['/bin/workload', 'mem', '1024']);
      const c = await checkpoint('slow-archive', p, {}, { compression: 'Gzip', timeoutSeconds: 6 });
      failedWith(c, 'DeadlineExceeded', 'DeadlineExceeded', /the archive was not written within the checkpoint's timeout/);
      assert.ok(c.status?.containers?.[0]?.statistics === undefined);
      assert.equal(loggedCriuRequests(agent, ns, 'slow-archive').length, 1);
      await assertNoFilesOf(c);
      await assertRunningAndThawed(node, p.app.id);
      await node.removeContainer(p.app.id);
    });
  });

  describe('page servers', () => {
    it('allowed by the allowlist but nothing listening: PageServerUnreachable, the container running and thawed', async () => {
      const p = await pod(['/bin/workload', 'mem', '8']);
      const c = await checkpoint('ps-unreachable', p, { pageServer: { address: '127.0.0.1', port: 1 } });
      failedWith(c, 'PageServerUnreachable', 'PageServerUnreachable', /page server could not be reached/);
      assert.equal(loggedCriuRequests(agent, ns, 'ps-unreachable').length, 1);
      await assertNoFilesOf(c);
      await assertRunningAndThawed(node, p.app.id);
    });

    it('outside the allowlist: PageServerNotAllowed before CRIU runs', async () => {
      const p = await pod(['/bin/workload', 'mem', '4']);
      const c = await checkpoint('ps-not-allowed', p, { pageServer: { address: '10.1.2.3', port: 27027 } });
      failedWith(c, 'PageServerNotAllowed', 'PageServerNotAllowed', /10\.1\.2\.3 is outside the operator's page server allowlist/);
      assert.deepEqual(loggedCriuRequests(agent, ns, 'ps-not-allowed'), [], 'CRIU never ran');
      await assertNoFilesOf(c);
      await assertRunningAndThawed(node, p.app.id);
    });
  });

  describe('a full disk', () => {
    let small: OperatorProcess | undefined;
    const mount = '/ckpt/small';

    after(async () => {
      await small?.stop();
      await node.exec(['umount', mount]);
    });

    async function tinyRoot(size: string): Promise<void> {
      await small?.stop();
      await node.exec(['umount', mount]);
      await node.execOk(['mkdir', '-p', mount]);
      // Inside the node's mount namespace only, where the agent runs.
      await node.execOk(['mount', '-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', mount]);
      small = await startAgent(cluster, node, { nodeName: 'node-small', args: [`--archive-root=${mount}/archives`, ...leaseArgs] });
    }

    async function filesOnTinyRoot(): Promise<string[]> {
      return (await node.execOk(['find', `${mount}/archives`, '-type', 'f'])).split('\n').filter((l) => l !== '');
    }

    it('while CRIU writes the images: DiskFull, partial files removed, the container running and thawed', async () => {
      await tinyRoot('1m');
      const p = await pod(['/bin/workload', 'mem', '32'], { nodeName: 'node-small' });
      const c = await checkpoint('full-criu', p);
      failedWith(c, 'DiskFull', 'DiskFull', /no space left on device/i);
      assert.deepEqual(await filesOnTinyRoot(), []);
      await assertRunningAndThawed(node, p.app.id);
    });

    it('while the agent writes the archive: DiskFull, partial files removed, the container running and thawed', async () => {
      // Room for the 32 MiB of images, not for the archive next to them.
      await tinyRoot('48m');
      const p = await pod(['/bin/workload', 'mem', '32'], { nodeName: 'node-small' });
      const c = await checkpoint('full-archive', p, {}, { compression: 'None' });
      failedWith(c, 'DiskFull', 'DiskFull', /out of space/);
      assert.ok((c.status?.containers?.[0]?.statistics ?? c.status?.containers?.[0]?.message) !== undefined);
      assert.deepEqual(await filesOnTinyRoot(), []);
      await assertRunningAndThawed(node, p.app.id);
    });
  });

  describe('paths that try to leave the archive root or reach other checkpoints\' files', () => {
    const outside = (): string => join(node.info.share, 'outside');

    before(async () => {
      await mkdir(join(outside(), 'app'), { recursive: true });
      await writeFile(join(outside(), 'app', 'precious'), 'keep me');
    });

    async function assertOutsideUntouched(): Promise<void> {
      assert.deepEqual(await filesBelow(outside()), ['app', 'app/precious']);
      assert.equal(await readFile(join(outside(), 'app', 'precious'), 'utf8'), 'keep me');
    }

    it('a planted symlink in the archive root (imagePath, workPath, a namespace directory): PathEscape, nothing written or removed outside', async () => {
      await symlink(outside(), join(archives(), 'trap'));
      const p = await pod(['/bin/workload', 'mem', '4']);
      const c1 = await checkpoint('trap-images', p, { imagePath: 'trap' });
      failedWith(c1, 'PathEscape', 'PathEscape', /trap is a symlink; refusing to follow it/);
      const c2 = await checkpoint('trap-work', p, { workPath: 'trap/deeper' });
      failedWith(c2, 'PathEscape', 'PathEscape', /trap is a symlink; refusing to follow it/);
      // A namespace's directory planted before its first checkpoint.
      await symlink(outside(), join(archives(), 'planted'));
      const q = await pod(['/bin/workload', 'mem', '4'], { namespace: 'planted' });
      const c3 = await checkpoint('trap-namespace', q, {}, { namespace: 'planted' });
      failedWith(c3, 'PathEscape', 'PathEscape', /planted is a symlink; refusing to follow it/);
      // Deleting them removes nothing through the symlinks either.
      await cluster.kubectlOk(['delete', 'ckpt', 'trap-images', 'trap-work', '-n', ns, '--wait=true', '--timeout=60s']);
      await cluster.kubectlOk(['delete', 'ckpt', 'trap-namespace', '-n', 'planted', '--wait=true', '--timeout=60s']);
      await assertOutsideUntouched();
      for (const c of [c1, c2, c3]) assert.deepEqual(loggedCriuRequests(agent, c.metadata.namespace ?? '', c.metadata.name ?? ''), []);
      await assertRunningAndThawed(node, p.app.id);
      await assertRunningAndThawed(node, q.app.id);
    });

    it('imagePath and workPath tricks: the API refuses them before any agent sees them', async () => {
      for (const [field, value] of [
        ['imagePath', '../escape'], ['imagePath', '/etc'], ['imagePath', 'a/../../b'], ['workPath', '..'], ['workPath', '/var/lib/ckpt'],
        ['imagePath', 'a//b'], ['workPath', 'with space'], ['imagePath', 'same'],
      ] as const) {
        const options = field === 'imagePath' && value === 'same' ? { imagePath: 'same', workPath: 'same' } : { [field]: value };
        const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
          input: JSON.stringify({ apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name: 'trick' }, spec: { podName: 'p1', options } }),
        });
        assert.notEqual(r.code, 0, `${field}=${value} was accepted`);
        assert.match(r.stderr, /relative path inside the agent's archive root|must differ/, r.stderr);
      }
      assert.equal(await getCheckpoint(cluster, ns, 'trick'), undefined);
      await assertOutsideUntouched();
    });

    it('a symlinked runc state directory: PathEscape, the container it points at untouched', async () => {
      const p = await pod(['/bin/workload', 'mem', '4']);
      const fake = newContainerID();
      await node.execOk(['ln', '-s', `${runcRoot}/${p.app.id}`, `${runcRoot}/${fake}`]);
      try {
        await pointPodAt(p, 'app', fake);
        const c = await checkpoint('state-symlink', p);
        failedWith(c, 'PathEscape', 'UnsafeStatePath', /runc state directory .* is a symlink/);
        assert.deepEqual(loggedCriuRequests(agent, ns, 'state-symlink'), []);
        await assertNoFilesOf(c);
        await assertRunningAndThawed(node, p.app.id);
      } finally {
        await node.exec(['rm', '-f', `${runcRoot}/${fake}`]);
      }
    });

    it('chosen directories another checkpoint made, even another tenant\'s: refused, and never removed by the intruder', async () => {
      const p = await pod(['/bin/workload', 'mem', '4']);
      const first = await checkpoint('shared-first', p, { imagePath: 'shared' });
      assert.equal(failure(first), undefined, JSON.stringify(first.status));
      const kept = await filesBelow(join(archives(), 'shared', 'app'));
      assert.ok(kept.includes('inventory.img'), kept.join(' '));
      // The same imagePath again: the directory is the first checkpoint's.
      const second = await checkpoint('shared-second', p, { imagePath: 'shared' });
      failedWith(second, 'InvalidSpec', 'PathInUse', /shared\/app already exists/);
      assert.deepEqual(await filesBelow(join(archives(), 'shared', 'app')), kept);
      await cluster.kubectlOk(['delete', 'ckpt', 'shared-second', '-n', ns, '--wait=true', '--timeout=60s']);
      assert.deepEqual(await filesBelow(join(archives(), 'shared', 'app')), kept, 'deleting the second removed the first\'s images');

      // Another tenant aims at the first checkpoint's own directory: imagePath
      // is its namespace, and its container is named like the directory.
      const victimDir = `${first.metadata.name ?? ''}-${(first.metadata.uid ?? '').slice(0, 8)}`;
      const victimArchive = join(archives(), first.status?.containers?.[0]?.archive?.path ?? '');
      await stat(victimArchive);
      const q = await pod(['/bin/workload', 'mem', '4'], { namespace: 'tenant-b', container: victimDir });
      const intruder = await checkpoint('intruder', q, { imagePath: ns }, { namespace: 'tenant-b' });
      failedWith(intruder, 'InvalidSpec', 'PathInUse', new RegExp(`${ns}/${victimDir} already exists`));
      await stat(victimArchive);
      await cluster.kubectlOk(['delete', 'ckpt', 'intruder', '-n', 'tenant-b', '--wait=true', '--timeout=60s']);
      await stat(victimArchive);
      assert.deepEqual(await filesBelow(join(archives(), 'shared', 'app')), kept);

      await cluster.kubectlOk(['delete', 'ckpt', 'shared-first', '-n', ns, '--wait=true', '--timeout=60s']);
      assert.deepEqual(await filesBelow(join(archives(), 'shared', 'app')), []);
      await assert.rejects(stat(victimArchive));
      await assertRunningAndThawed(node, p.app.id);
      await assertRunningAndThawed(node, q.app.id);
    });
  });

  describe('the agent killed with SIGKILL in the middle of dumps', () => {
    const trials = 20;
    const nodeName = 'node-kill';
    let big: AppPod;
    let current: OperatorProcess | undefined;

    after(async () => { await current?.stop(); });

    it(`${trials} trials: the container runs, not frozen, every time; AgentLost; the next agent removes the partial files`, async () => {
      big = await pod(['/bin/workload', 'mem', '1024'], { nodeName });
      const freezer = await containerFreezer(node, big.app.id);
      current = await startAgent(cluster, node, { nodeName, args: leaseArgs });
      const seen: string[] = [];
      for (let i = 0; i < trials; i++) {
        const name = `killed-${i}`;
        const killer = current;
        await createCheckpoint(cluster, ns, name, { podName: big.name, archive: { compression: 'Zstd' } });
        const claimed = await waitFor(`${name} to be claimed`, async () => {
          const c = await getCheckpoint(cluster, ns, name);
          return c?.status?.agent !== undefined ? c : undefined;
        }, 120_000, 20);
        const hold = await waitForDumpHold(freezer, big.app.pid);
        // Land the kill at different points of the dump: seizing, memory
        // dump, writing, and (later trials) the archive.
        await new Promise((r) => setTimeout(r, (i % 5) * 150));
        const criu = await childrenNamed(killer.child.pid ?? 0, 'criu');
        await killer.kill();
        seen.push(`${hold}+${(i % 5) * 150}ms${criu.length === 0 ? ' (after CRIU)' : ''}`);
        // CRIU, orphaned, ends at its next word to the dead agent and resumes the tasks.
        for (const pid of criu) await processGone(pid, 120_000);
        await assertRunningAndThawed(node, big.app.id, `trial ${i} (${seen.at(-1) ?? ''})`);
        // The next agent takes the node's Lease once the killed one's runs out.
        current = await startAgent(cluster, node, { nodeName, args: leaseArgs });
        const c = await waitForOutcome(cluster, ns, name, 120_000);
        failedWith(c, 'AgentLost', undefined, /stopped renewing its lease|was replaced by/);
        assert.equal(c.status?.agent?.identity, claimed.status?.agent?.identity);
        await waitFor(`the next agent to remove ${name}'s partial files`, async () => {
          const left = await filesBelow(join(archives(), ns, `${name}-${(c.metadata.uid ?? '').slice(0, 8)}`));
          return left.length === 0 ? true : undefined;
        }, 60_000, 200);
        assert.equal(await freezer.state(), 'THAWED');
      }
      // The last agent still serves: a checkpoint now succeeds.
      await createCheckpoint(cluster, ns, 'after-kills', { podName: big.name });
      const ok = await waitForOutcome(cluster, ns, 'after-kills', 300_000);
      assert.equal(failure(ok), undefined, JSON.stringify(ok.status));
      await assertRunningAndThawed(node, big.app.id);
      process.stderr.write(`kill points: ${seen.join(', ')}\n`);
      await node.removeContainer(big.app.id);
    });
  });
});
