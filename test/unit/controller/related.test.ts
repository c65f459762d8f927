import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { ContainerCheckpoint } from '../../../src/api/container-checkpoint.ts';
import {
  agentChanged, agentLeaseNode, checkpointIndexers, checkpointsOfNode, checkpointsOfPod, deletingOnNode, podIndexers, undecidedInNamespace,
} from '../../../src/controller/checkpoint/related.ts';
import { ObjectCache } from '../../../src/runtime/informer/object-cache.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';

type Ckpt = ContainerCheckpoint & KubeObject;
type Pod = V1Pod & KubeObject;

const t0 = new Date('2026-11-26T12:00:00Z');
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);

function ckpt(name: string, podName: string, o: { node?: string; finished?: boolean; deleting?: boolean; ns?: string } = {}): Ckpt {
  return {
    apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint',
    metadata: { name, namespace: o.ns ?? 'shop', ...(o.deleting === true ? { deletionTimestamp: at(0).toISOString() } : {}) },
    spec: { podName },
    status: {
      ...(o.node !== undefined ? { nodeName: o.node } : {}),
      ...(o.finished === true ? { conditions: [{ type: 'Succeeded', status: 'True', reason: 'CheckpointCompleted', message: '', lastTransitionTime: at(0).toISOString() }] } : {}),
    },
  };
}

function pod(name: string, nodeName?: string, ns = 'shop'): Pod {
  return { metadata: { name, namespace: ns }, spec: { containers: [], ...(nodeName !== undefined ? { nodeName } : {}) } };
}

function caches(cs: Ckpt[], ps: Pod[]): { checkpoints: ObjectCache<Ckpt>; pods: ObjectCache<Pod> } {
  const checkpoints = new ObjectCache<Ckpt>(checkpointIndexers);
  for (const c of cs) checkpoints.set(`${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`, c);
  const pods = new ObjectCache<Pod>(podIndexers);
  for (const p of ps) pods.set(`${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`, p);
  return { checkpoints, pods };
}

describe('related checkpoints', () => {
  const { checkpoints, pods } = caches([
    ckpt('fresh', 'web'),
    ckpt('handed', 'web', { node: 'n1' }),
    ckpt('done', 'web', { node: 'n1', finished: true }),
    ckpt('going', 'web', { node: 'n1', finished: true, deleting: true }),
    ckpt('other-pod', 'db', { node: 'n1' }),
    ckpt('elsewhere', 'api'),
    ckpt('same-name', 'web', { ns: 'other' }),
  ], [pod('web', 'n1'), pod('db', 'n1'), pod('api', 'n2'), pod('web', 'n2', 'other')]);

  it('maps a pod to its open checkpoints in its namespace only', () => {
    assert.deepEqual(checkpointsOfPod(checkpoints, pod('web', 'n1')).sort(), ['shop/fresh', 'shop/handed']);
  });
  it('maps a node\'s agent to the checkpoints handed to it and those waiting on its pods', () => {
    assert.deepEqual(checkpointsOfNode(checkpoints, pods, 'n1').sort(), ['shop/fresh', 'shop/handed', 'shop/other-pod']);
    assert.deepEqual(checkpointsOfNode(checkpoints, pods, 'n2').sort(), ['other/same-name', 'shop/elsewhere']);
    assert.deepEqual(checkpointsOfNode(checkpoints, pods, 'n3'), []);
  });
  it('maps a node to its checkpoints being deleted', () => {
    assert.deepEqual(deletingOnNode(checkpoints, 'n1'), ['shop/going']);
  });
  it('maps a namespace to its checkpoints not handed off yet', () => {
    assert.deepEqual(undecidedInNamespace(checkpoints, 'shop').sort(), ['shop/elsewhere', 'shop/fresh']);
  });
  it('tells agent Leases from others', () => {
    assert.equal(agentLeaseNode({ metadata: { name: 'ckpt-agent-node-1' } }), 'node-1');
    assert.equal(agentLeaseNode({ metadata: { name: 'ckpt-controller' } }), undefined);
  });
});

describe('agentChanged', () => {
  const lease = (holder: string, renewed: number) => ({ spec: { holderIdentity: holder, renewTime: at(renewed).toISOString(), leaseDurationSeconds: 15 } });
  it('ignores a renewal by the same live holder', () => {
    assert.equal(agentChanged(lease('a', 0), lease('a', 5), at(6)), false);
  });
  it('sees an agent appear, come back, vanish or be replaced', () => {
    assert.equal(agentChanged(undefined, lease('a', 0), at(1)), true);
    assert.equal(agentChanged(lease('a', 0), lease('a', 20), at(21)), true);
    assert.equal(agentChanged(lease('a', 0), lease('', 5), at(6)), true);
    assert.equal(agentChanged(lease('a', 0), lease('b', 5), at(6)), true);
  });
});
