import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeClient, PatchOptions } from '../../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';
import { coreResources } from '../../../src/runtime/kube/resource.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../../src/runtime/objects/finalizers.ts';
import {
  AlreadyOwnedError, controllerReference, getControllerOf, isControlledBy, withControllerReference,
} from '../../../src/runtime/objects/owner-references.ts';
import { StatusWriter } from '../../../src/runtime/objects/status-writer.ts';

interface Call { name: string; namespace: string | undefined; patch: unknown; opts: PatchOptions | undefined }

function recordingClient(): Pick<KubeClient, 'patch' | 'updateStatus'> & { calls: Call[]; puts: KubeObject[] } {
  const calls: Call[] = [];
  const puts: KubeObject[] = [];
  return {
    calls,
    puts,
    patch: <T extends KubeObject>(_r: unknown, name: string, namespace: string | undefined, patch: unknown, opts?: PatchOptions) => {
      calls.push({ name, namespace, patch, opts });
      return Promise.resolve({} as T);
    },
    updateStatus: <T extends KubeObject>(_r: unknown, obj: T) => {
      puts.push(obj);
      return Promise.resolve(obj);
    },
  };
}

const owner = { apiVersion: 'ckpt.dev/v1alpha1', kind: 'CheckpointSchedule', metadata: { name: 's', namespace: 'ns', uid: 'owner-uid' } };

describe('finalizers', () => {
  it('adds and removes with a merge patch that carries the resourceVersion read', async () => {
    const c = recordingClient();
    const obj = { metadata: { name: 'x', namespace: 'ns', resourceVersion: '42', finalizers: ['other'] } };
    await addFinalizer(c, coreResources.configMaps, obj, 'ckpt.dev/archives');
    await removeFinalizer(c, coreResources.configMaps, { metadata: { ...obj.metadata, finalizers: ['other', 'ckpt.dev/archives'] } }, 'ckpt.dev/archives');
    assert.deepEqual(c.calls.map((x) => x.patch), [
      { metadata: { resourceVersion: '42', finalizers: ['other', 'ckpt.dev/archives'] } },
      { metadata: { resourceVersion: '42', finalizers: ['other'] } },
    ]);
    assert.equal(c.calls[0]?.opts?.type, 'merge');
  });

  it('writes nothing when there is nothing to change and refuses objects without a resourceVersion', async () => {
    const c = recordingClient();
    const obj = { metadata: { name: 'x', resourceVersion: '1', finalizers: ['f'] } };
    assert.equal(hasFinalizer(obj, 'f'), true);
    assert.equal(await addFinalizer(c, coreResources.configMaps, obj, 'f'), obj);
    assert.equal(await removeFinalizer(c, coreResources.configMaps, obj, 'g'), obj);
    assert.equal(c.calls.length, 0);
    await assert.rejects(addFinalizer(c, coreResources.configMaps, { metadata: { name: 'x' } }, 'f'), /resourceVersion/);
  });
});

describe('owner references', () => {
  it('sets a controller reference and recognises the controller', () => {
    const owned = withControllerReference<KubeObject>({ metadata: { name: 'c', namespace: 'ns' } }, owner, true);
    assert.deepEqual(getControllerOf(owned), { ...controllerReference(owner), controller: true, blockOwnerDeletion: true });
    assert.ok(isControlledBy(owned, owner));
    assert.ok(!isControlledBy(owned, { ...owner, metadata: { ...owner.metadata, uid: 'other' } }));
    assert.deepEqual(withControllerReference(owned, owner, true).metadata?.ownerReferences?.length, 1, 'idempotent');
  });

  it('refuses a second controller and cross-namespace references', () => {
    const owned = withControllerReference({ metadata: { name: 'c', namespace: 'ns' } }, owner, true);
    assert.throws(() => withControllerReference(owned, { ...owner, metadata: { ...owner.metadata, uid: 'u2' } }, true), AlreadyOwnedError);
    assert.throws(() => withControllerReference({ metadata: { name: 'c', namespace: 'elsewhere' } }, owner, true), /cross-namespace/);
    const clusterOwner = { apiVersion: 'ckpt.dev/v1alpha1', kind: 'ClusterCheckpointSchedule', metadata: { name: 'cs', uid: 'cu' } };
    assert.ok(isControlledBy(withControllerReference({ metadata: { name: 'c', namespace: 'any' } }, clusterOwner, false), clusterOwner));
    assert.throws(() => controllerReference({ metadata: { name: 'no-uid' } }), /uid/);
  });
});

describe('StatusWriter', () => {
  it('writes through /status with the object\'s resourceVersion and never without one', async () => {
    const c = recordingClient();
    const w = new StatusWriter(c, { fieldManager: 'ckpt-controller' });
    const obj = { metadata: { name: 'x', namespace: 'ns', resourceVersion: '7' }, status: { phase: 'Done' } };
    await w.update(coreResources.pods, obj);
    assert.equal(c.puts[0], obj);
    await w.patch(coreResources.pods, obj, { phase: 'Running' });
    assert.deepEqual(c.calls[0]?.patch, { metadata: { resourceVersion: '7' }, status: { phase: 'Running' } });
    assert.equal(c.calls[0].opts?.subresource, 'status');
    assert.equal(c.calls[0].opts.fieldManager, 'ckpt-controller');
    assert.throws(() => w.update(coreResources.pods, { metadata: { name: 'x' }, status: {} }), /without name and resourceVersion/);
    assert.throws(() => w.patch(coreResources.pods, { metadata: { name: 'x', resourceVersion: '' } }, {}), /without name and resourceVersion/);
  });
});
