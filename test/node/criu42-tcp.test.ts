// Established TCP connections, end to end, with CRIU 4.2 from Debian forky.
// CRIU 4.1 (the default node root) cannot dump any inet socket on Linux >=
// 6.16 (see test/node/agent-options.test.ts for its classified failure);
// CRIU 4.2 can, and so can the operator with it: the same agent code, a
// node root built with CKPT_CRIU_SUITE=forky.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { summarize } from '../../src/inspect/checkpoint-summary.ts';
import { readArchive } from '../../src/inspect/read-archive.ts';
import { TestCluster } from '../support/cluster.ts';
import { createCheckpoint, failure, waitForOutcome } from '../support/checkpoints.ts';
import { TestNode } from '../support/node.ts';
import { startAgent, startController, type OperatorProcess } from '../support/operator.ts';
import { startPod, type RunningPod } from '../support/pods.ts';
import { ticks, ticksAfter } from '../support/workload.ts';

describe('tcp-established with CRIU 4.2', () => {
  let cluster: TestCluster;
  let node: TestNode;
  let controller: OperatorProcess;
  let agent: OperatorProcess;
  let pod: RunningPod;
  const ns = 'net';

  before(async () => {
    [cluster, node] = await Promise.all([TestCluster.start(), TestNode.start({ criuSuite: 'forky' })]);
    await cluster.installRbac();
    await cluster.kubectlOk(['create', 'namespace', ns]);
    await cluster.kubectlOk(['label', 'namespace', ns, 'ckpt.dev/checkpoints=enabled']);
    pod = await startPod(cluster, node, { namespace: ns, name: 'server', nodeName: 'node-1', containers: [{ name: 'app', args: ['/bin/workload', 'tcp', '8080', '8'] }] });
    [controller, agent] = await Promise.all([startController(cluster), startAgent(cluster, node, { nodeName: 'node-1' })]);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), agent.stop()]);
    await Promise.all([cluster.stop(), node.stop()]);
  });

  it('runs CRIU 4.2 in this node root', async () => {
    assert.match(await node.execOk(['criu', '--version']), /Version: 4\.2/);
  });

  it('checkpoints a container with an established connection, which keeps working', async () => {
    const app = pod.containers.app;
    assert.ok(app !== undefined);
    await node.execOk(['sh', '-c', `i=0; until [ -e /proc/${app.pid}/root/tmp/ticks ] || [ $i -gt 100 ]; do i=$((i+1)); sleep 0.1; done`]);
    // A client in the pod's network namespace holds a connection to the server.
    await node.execOk(['sh', '-c', `nsenter -t ${app.pid} -n sh -c 'sleep 2147483647 | busybox nc 127.0.0.1 8080' >/dev/null 2>&1 &`]);
    await ticksAfter(node, app.pid, 0, 20_000);
    await createCheckpoint(cluster, ns, 'with-tcp', { podName: 'server', options: { tcpEstablished: true } });
    const c = await waitForOutcome(cluster, ns, 'with-tcp');
    assert.equal(failure(c), undefined, JSON.stringify(c.status, null, 2));
    const archive = c.status?.containers?.[0]?.archive?.path ?? '';
    const summary = summarize(await readArchive(join(node.info.share, 'archives', archive)));
    const tcp = summary.sockets.filter((s) => s.kind === 'tcp');
    assert.ok(tcp.some((s) => s.state === 'LISTEN' && s.local.endsWith(':8080')), JSON.stringify(tcp));
    assert.ok(tcp.some((s) => s.state === 'ESTABLISHED'), JSON.stringify(tcp));
    await ticksAfter(node, app.pid, await ticks(node, app.pid));
  });
});
