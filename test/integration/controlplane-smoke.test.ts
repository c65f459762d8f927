// The control plane is real: CRDs from crds/ install and are served, kubectl
// apply round-trips an object, RBAC refuses an identity without permissions,
// and the garbage collector follows owner references.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { waitFor } from '../env/run.ts';
import { TestCluster } from '../support/cluster.ts';

describe('control plane', () => {
  let cluster: TestCluster;
  before(async () => { cluster = await TestCluster.start(); });
  after(async () => { await cluster.stop(); });

  it('serves the CRDs from crds/', async () => {
    const out = await cluster.kubectlOk(['api-resources', '--api-group=ckpt.dev', '-o', 'name']);
    assert.deepEqual(out.trim().split('\n').sort(), [
      'checkpointschedules.ckpt.dev', 'clustercheckpointschedules.ckpt.dev', 'containercheckpoints.ckpt.dev',
    ]);
  });

  it('round-trips a manifest through kubectl apply', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'roundtrip', namespace: 'default' }, data: { answer: '42', text: 'a\nb' } };
    await cluster.kubectlOk(['apply', '-f', '-'], { input: stringify(cm) });
    const back = JSON.parse(await cluster.kubectlOk(['get', 'configmap', 'roundtrip', '-o', 'json'])) as typeof cm;
    assert.deepEqual(back.data, cm.data);
  });

  it('refuses an identity without permissions (RBAC is on)', async () => {
    await cluster.kubectlOk(['create', 'serviceaccount', 'nobody', '-n', 'default']);
    const kubeconfig = await cluster.serviceAccountKubeconfig('default', 'nobody');
    const r = await cluster.kubectl(['get', 'pods', '-n', 'default'], { kubeconfig });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /forbidden: User "system:serviceaccount:default:nobody" cannot list resource "pods"/);
    const whoami = await cluster.kubectlOk(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig });
    assert.equal(whoami, 'system:serviceaccount:default:nobody');
  });

  it('garbage-collects dependents by owner reference', async () => {
    const owner = JSON.parse(await cluster.kubectlOk(['create', 'configmap', 'owner', '-n', 'default', '-o', 'json'])) as { metadata: { uid: string } };
    await cluster.kubectlOk(['apply', '-f', '-'], { input: stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'dependent', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }] },
    }) });
    await cluster.kubectlOk(['delete', 'configmap', 'owner', '-n', 'default']);
    await waitFor('the dependent to be collected', async () => {
      const r = await cluster.kubectl(['get', 'configmap', 'dependent', '-n', 'default']);
      return r.code !== 0 && r.stderr.includes('NotFound') ? true : undefined;
    }, 60_000, 250);
  });
});
