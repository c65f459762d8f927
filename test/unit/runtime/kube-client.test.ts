import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, ConflictError } from '../../../src/runtime/kube/api-error.ts';
import { KubeClient, type ResponseRecord } from '../../../src/runtime/kube/kube-client.ts';
import type { KubeObject, WatchEvent } from '../../../src/runtime/kube/object.ts';
import { coreResources } from '../../../src/runtime/kube/resource.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('KubeClient (against a scripted HTTP server)', () => {
  let server: Server;
  let handler: Handler = (_req, _body, res) => { res.end(); };
  let kc: KubeConfig;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => { handler(req, body, res); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => { r(); }));
  });

  it('sends credentials, query, JSON body and patch content types', async () => {
    const seen: { method?: string; url?: string; auth?: string; type?: string; body?: string }[] = [];
    handler = (req, body, res) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ metadata: { name: 'p' } }));
    };
    const records: ResponseRecord[] = [];
    const client = new KubeClient(kc, { onResponse: (r) => records.push(r) });
    await client.list(coreResources.pods, { namespace: 'ns', labelSelector: 'a=b', limit: 10 });
    await client.patch(coreResources.pods, 'p', 'ns', { metadata: { labels: { x: 'y' } } }, { subresource: 'status', fieldManager: 'me' });
    await client.create(coreResources.configMaps, { metadata: { name: 'c', namespace: 'ns' } });
    assert.deepEqual(seen[0], { method: 'GET', url: '/api/v1/namespaces/ns/pods?labelSelector=a%3Db&limit=10', auth: 'Bearer secret-token', type: undefined, body: '' });
    assert.equal(seen[1]?.url, '/api/v1/namespaces/ns/pods/p/status?fieldManager=me');
    assert.equal(seen[1].type, 'application/merge-patch+json');
    assert.equal(seen[2]?.method, 'POST');
    assert.deepEqual(JSON.parse(seen[2].body ?? ''), { metadata: { name: 'c', namespace: 'ns' } });
    assert.deepEqual(records.map((r) => `${r.method} ${String(r.code)}`), ['GET 200', 'PATCH 200', 'POST 200']);
    client.close();
  });

  it('turns error statuses into typed errors', async () => {
    handler = (_req, _body, res) => {
      res.statusCode = 409;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified' }));
    };
    const client = new KubeClient(kc);
    await assert.rejects(client.updateStatus(coreResources.pods, { metadata: { name: 'p', namespace: 'ns', resourceVersion: '1' } }), (e: unknown) => e instanceof ConflictError && /modified/.test(e.message));
    handler = (_req, _body, res) => { res.statusCode = 403; res.end('forbidden'); };
    await assert.rejects(client.get(coreResources.pods, 'p', 'ns'), (e: unknown) => e instanceof ApiError && e.code === 403);
    client.close();
  });

  it('gives up on a request without an answer after its timeout', async () => {
    handler = () => undefined;
    const client = new KubeClient(kc, { requestTimeoutMs: 100 });
    await assert.rejects(client.get(coreResources.pods, 'p', 'ns'), /no response within 100 ms/);
    client.close();
  });

  it('streams watch events split across chunks, and reports how the stream ended', async () => {
    const lines = [
      { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } },
      { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '4' } } },
    ].map((l) => `${JSON.stringify(l)}\n`).join('');
    let url = '';
    handler = (req, _body, res) => {
      url = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      // Byte-sized chunks: events must be reassembled from pieces.
      let i = 0;
      const t = setInterval(() => {
        if (i >= lines.length) {
          clearInterval(t);
          res.end();
          return;
        }
        res.write(lines.slice(i, i + 7));
        i += 7;
      }, 1);
    };
    const client = new KubeClient(kc);
    const events: WatchEvent<KubeObject>[] = [];
    let activity = 0;
    const how = await client.watch(coreResources.pods, { namespace: 'ns', resourceVersion: '1', allowWatchBookmarks: true, timeoutSeconds: 30, onActivity: () => { activity++; } }, (e) => events.push(e));
    assert.equal(how, 'closed');
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'BOOKMARK', 'DELETED']);
    assert.ok(activity > 3);
    assert.equal(url, '/api/v1/namespaces/ns/pods?watch=true&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=30');

    handler = (_req, _body, res) => { res.writeHead(200); res.write(lines.slice(0, 20)); };
    const ac = new AbortController();
    const aborted = client.watch(coreResources.pods, { signal: ac.signal }, () => undefined);
    setTimeout(() => { ac.abort(); }, 50);
    assert.equal(await aborted, 'aborted');

    handler = (_req, _body, res) => { res.writeHead(200); res.write('not json\n'); };
    await assert.rejects(client.watch(coreResources.pods, {}, () => undefined), /watch \/api\/v1\/pods/);

    handler = (_req, _body, res) => { res.writeHead(200); res.write(lines.slice(0, 30)); setTimeout(() => { res.destroy(); }, 20); };
    await assert.rejects(client.watch(coreResources.pods, {}, () => undefined), /closed mid-stream|aborted|socket hang up/);

    handler = (_req, _body, res) => { res.statusCode = 410; res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired' })); };
    await assert.rejects(client.watch(coreResources.pods, {}, () => undefined), (e: unknown) => e instanceof ApiError && e.code === 410);
    client.close();
  });
});
