import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadCredentials } from '../../../src/runtime/kube/credentials.ts';

describe('loadCredentials', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'creds-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  const kubeconfig = async (name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }, { name: 'other', context: { cluster: 'x', user: 'y' } }],
      clusters: [{ name: 'k', cluster }], users: [{ name: 'u', user }],
    }));
    return file;
  };
  const apply = async (file: string): Promise<RequestOptions & { server: string | undefined }> => {
    const c = await loadCredentials(file);
    const o: RequestOptions = {};
    await c.applyToHTTPSOptions(o);
    return { ...o, server: c.getCurrentCluster()?.server };
  };

  it('reads a token and an inline CA of the current context', async () => {
    const o = await apply(await kubeconfig('token', { server: 'https://10.0.0.1:6443', 'certificate-authority-data': Buffer.from('CA').toString('base64') }, { token: 'abc' }));
    assert.equal(o.server, 'https://10.0.0.1:6443');
    assert.equal(String(o.ca), 'CA');
    assert.deepEqual(o.headers, { Authorization: 'Bearer abc' });
  });

  it('re-reads a token file every time (bound tokens rotate)', async () => {
    await writeFile(join(dir, 'tok'), 'one\n');
    const c = await loadCredentials(await kubeconfig('tokfile', { server: 'https://a:1', 'certificate-authority': 'ca.pem' }, { tokenFile: 'tok' }).then(async (f) => { await writeFile(join(dir, 'ca.pem'), 'PEM'); return f; }));
    const o1: RequestOptions = {};
    await c.applyToHTTPSOptions(o1);
    await writeFile(join(dir, 'tok'), 'two\n');
    const o2: RequestOptions = {};
    await c.applyToHTTPSOptions(o2);
    assert.deepEqual([o1.headers, o2.headers], [{ Authorization: 'Bearer one' }, { Authorization: 'Bearer two' }]);
    assert.equal(String(o1.ca), 'PEM');
  });

  it('reads client certificates', async () => {
    const o = await apply(await kubeconfig('cert', { server: 'https://a:1', 'insecure-skip-tls-verify': true },
      { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') }));
    assert.equal(String(o.cert), 'CERT');
    assert.deepEqual(o.key, Buffer.from('KEY'));
    assert.equal(o.rejectUnauthorized, false);
  });

  it('hands exec plugins to client-node', async () => {
    const c = await loadCredentials(await kubeconfig('exec', { server: 'https://a:1' }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }));
    assert.equal(c.constructor.name, 'KubeConfig');
  });

  it('says what is missing', async () => {
    await assert.rejects(loadCredentials(undefined, { HOME: dir }), /no kubeconfig found/);
  });
});
