import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiErrorFrom, ConflictError, isAlreadyExists, isConflict, isExpired, isNotFound } from '../../../src/runtime/kube/api-error.ts';
import { formatMicroTime, formatTime } from '../../../src/runtime/kube/micro-time.ts';
import { keyOf, objectKey, parseKey } from '../../../src/runtime/kube/object-key.ts';
import { coreResources, resourcePath, type ResourceType } from '../../../src/runtime/kube/resource.ts';

const checkpoints: ResourceType = { group: 'ckpt.dev', version: 'v1alpha1', plural: 'containercheckpoints', kind: 'ContainerCheckpoint', namespaced: true };

describe('resource paths', () => {
  it('addresses core and custom resources, namespaced or not', () => {
    assert.equal(resourcePath(coreResources.pods), '/api/v1/pods');
    assert.equal(resourcePath(coreResources.pods, { namespace: 'a' }), '/api/v1/namespaces/a/pods');
    assert.equal(resourcePath(checkpoints, { namespace: 'a', name: 'c', subresource: 'status' }), '/apis/ckpt.dev/v1alpha1/namespaces/a/containercheckpoints/c/status');
    assert.equal(resourcePath(coreResources.nodes, { namespace: 'ignored', name: 'n1' }), '/api/v1/nodes/n1');
    assert.throws(() => resourcePath(checkpoints, { subresource: 'status' }), /needs an object name/);
  });
});

describe('object keys', () => {
  it('round-trips namespace/name and name', () => {
    assert.equal(objectKey({ metadata: { name: 'x', namespace: 'ns' } }), 'ns/x');
    assert.equal(objectKey({ metadata: { name: 'node-1' } }), 'node-1');
    assert.deepEqual(parseKey('ns/x'), { namespace: 'ns', name: 'x' });
    assert.deepEqual(parseKey('node-1'), { name: 'node-1' });
    assert.equal(keyOf(parseKey('ns/x')), 'ns/x');
    assert.throws(() => parseKey('a/b/c'), /invalid object key/);
    assert.throws(() => parseKey('/x'), /invalid object key/);
    assert.throws(() => objectKey({ metadata: {} }), /no metadata.name/);
  });
});

describe('API errors', () => {
  const status = (code: number, reason: string): string => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `${reason} happened` });

  it('types errors by what a controller does about them', () => {
    const conflict = apiErrorFrom('PUT', '/x', 409, status(409, 'Conflict'));
    assert.ok(conflict instanceof ConflictError && isConflict(conflict));
    assert.match(conflict.message, /PUT \/x: 409 Conflict: Conflict happened/);
    const exists = apiErrorFrom('POST', '/x', 409, status(409, 'AlreadyExists'));
    assert.ok(isAlreadyExists(exists) && !isConflict(exists));
    assert.ok(isNotFound(apiErrorFrom('GET', '/x', 404, status(404, 'NotFound'))));
    assert.ok(isExpired(apiErrorFrom('GET', '/x', 410, status(410, 'Expired'))));
    const html = apiErrorFrom('GET', '/x', 502, '<html>bad gateway</html>');
    assert.equal(html.reason, '');
    assert.match(html.message, /bad gateway/);
  });
});

describe('time formats', () => {
  it('writes metav1.Time in seconds and MicroTime with six digits', () => {
    const t = Date.UTC(2026, 4, 6, 7, 8, 9, 45);
    assert.equal(formatTime(t), '2026-05-06T07:08:09Z');
    assert.equal(formatMicroTime(t), '2026-05-06T07:08:09.045000Z');
  });
});
