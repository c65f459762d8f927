// `make demo` runs hack/demo.ts; this runs the same script without a
// terminal and checks that it did what it says: the shipped images and
// manifests, the operator's pods with their security settings, a checkpoint
// that succeeded with its archive and statistics, checkpointctl, the plugin,
// the metrics, the way to a real cluster; and that it leaves nothing behind,
// after a normal end and after Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { repoDir } from '../env/paths.ts';
import { isAlive } from '../env/scratch.ts';
import { waitFor } from '../env/run.ts';

interface DemoRun { code: number | null; out: string }

/** Starts the demo in its own process group (as a terminal's foreground job is). */
function startDemo(): { done: Promise<DemoRun>; output: () => string; interrupt: () => void } {
  const child = spawn(process.execPath, [join(repoDir, 'hack', 'demo.ts'), '--non-interactive'], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const done = new Promise<DemoRun>((resolve) => child.once('close', (code) => { resolve({ code, out }); }));
  return {
    done,
    output: () => out,
    // Ctrl-C: SIGINT to the whole foreground process group.
    interrupt: () => { if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT'); },
  };
}

/** Every scratch directory and process the demo reported is gone. */
async function assertNothingLeft(out: string): Promise<void> {
  const kubeconfig = /kubeconfig: (\S+)/.exec(out)?.[1];
  assert.ok(kubeconfig !== undefined, 'the demo prints its kubeconfig');
  await assert.rejects(access(dirname(kubeconfig)), 'the control plane\'s directory is removed');
  const pids = [...out.matchAll(/\(containerd PID (\d+)\)|\(PID (\d+)\)/g)].map((m) => Number(m[1] ?? m[2]));
  assert.ok(pids.length > 0);
  for (const pid of pids) assert.equal(isAlive(pid), false, `PID ${pid} is gone`);
}

describe('make demo (hack/demo.ts)', () => {
  it('runs end to end without a terminal and prints the result', async () => {
    const { code, out } = await startDemo().done;
    assert.equal(code, 0, out);
    // What ships: both images, the overlay, applied as is.
    assert.match(out, /controller: ghcr\.io\/ckpt-dev\/ckpt-controller:\S+, 4 layers/);
    assert.match(out, /agent: ghcr\.io\/ckpt-dev\/ckpt-agent:\S+, 4 layers/);
    assert.match(out, /kubectl apply --server-side -k deploy\/overlays\/containerd/);
    for (const o of ['customresourcedefinition.apiextensions.k8s.io/containercheckpoints.ckpt.dev', 'deployment.apps/ckpt-controller', 'daemonset.apps/ckpt-agent', 'clusterrole.rbac.authorization.k8s.io/ckpt-agent']) {
      assert.match(out, new RegExp(`${o.replaceAll('.', '\\.')} serverside-applied`));
    }
    // The pods as the manifests describe them: two controller replicas, one agent.
    assert.match(out, /ckpt-controller-demo-0 \(PID \d+\)\n\s+image ghcr\.io\/ckpt-dev\/ckpt-controller:\S+ \(4 layers, \d+ MiB\)\n\s+uid 65532, gid 65532, read-only root file system, own PID namespace/);
    assert.match(out, /ckpt-controller-demo-1 \(PID \d+\)/);
    assert.match(out, /ckpt-agent-demo-demo-node \(PID \d+\)\n\s+image ghcr\.io\/ckpt-dev\/ckpt-agent:\S+ \(4 layers, \d+ MiB\)\n\s+uid 0, gid 0, read-only root file system, privileged, host PID namespace/);
    assert.match(out, /env CKPT_NODE_NAME=demo-node \(from spec\.nodeName\)/);
    assert.match(out, /\/run\/containerd <- hostPath \/run\/containerd \(read-only, HostToContainer\)/);
    assert.match(out, /ready; leader: ckpt-controller-demo-[01]/);
    // The checkpoint and its result.
    assert.match(out, /containercheckpoint\.ckpt\.dev\/demo-checkpoint created/);
    assert.match(out, /CheckpointCompleted \(\d+\.\ds after kubectl apply\)/);
    assert.match(out, /The result: Succeeded/);
    assert.match(out, /Succeeded\s+True\s+CheckpointCompleted/);
    assert.match(out, /archive {4}\/var\/lib\/ckpt-operator\/checkpoints\/demo\/demo-checkpoint-[0-9a-f]{8}\/checkpoint-demo_demo-app-\S+\.tar\.zst/);
    const written = Number(/pages scanned \d+, written (\d+)/.exec(out)?.[1]);
    assert.ok(written >= 16384, `64 MiB of pages written, got ${written}`);
    assert.match(out, /CRIU {7}frozen \d+\.\d ms/);
    // Other tools and views of it.
    assert.match(out, /checkpointctl show \/ckpt\/demo-checkpoint\.tar\n[\s\S]*\| app\s+\| ckpt\.dev\/workload:latest \|/);
    assert.match(out, /kubectl ckpt list -n demo\n\s+NAME\s+POD\s+NODE\s+STATE[^\n]*\n\s+demo-checkpoint\s+demo\s+demo-node\s+CheckpointCompleted/);
    assert.match(out, /└── \[1\] workload/);
    assert.match(out, /demo-hourly\s+5 \* \* \* \*\s+Europe\/Berlin/);
    assert.match(out, /ckpt_agent_container_dumps_total\{result="succeeded",reason=""\} 1/);
    assert.match(out, /ckpt_checkpoints_total\{result="succeeded",reason="CheckpointCompleted"\} 1/);
    assert.match(out, /leader_election_master_status\{name="ckpt-controller"\} 1/);
    assert.match(out, /leader_election_master_status\{name="ckpt-controller"\} 0/, 'the standby replica says so');
    assert.match(out, /kubectl apply -k deploy\/overlays\/containerd/);
    assert.match(out, /nothing is left running\n\s+demo done in/);
    await assertNothingLeft(out);
  });

  it('cleans up everything on Ctrl-C', async () => {
    const demo = startDemo();
    // Interrupt once the operator runs: pods, node and control plane are all up.
    await waitFor('the demo to start the operator', () => Promise.resolve(/ready; leader/.test(demo.output()) ? true : undefined), 600_000, 200)
      .catch(async (err: unknown) => { demo.interrupt(); await demo.done; throw err; });
    demo.interrupt();
    const { code, out } = await demo.done;
    assert.equal(code, 130, out);
    assert.match(out, /SIGINT: stopping/);
    assert.match(out, /nothing is left running/);
    await assertNothingLeft(out);
  });
});
