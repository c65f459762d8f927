// A small JSON REST client for the Kubernetes API on top of client-node's
// KubeConfig (which resolves credentials: client certificates, tokens, token
// files, exec plugins). It owns its HTTP layer so that watches are plain
// streams the informer can time, abort and restart at will, and so that every
// resource, built-in or custom, is reached the same way with typed errors.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { CredentialSource } from './credentials.ts';
import { apiErrorFrom, TransportError } from './api-error.ts';
import type { KubeList, KubeObject, Status, WatchEvent, WatchEventType } from './object.ts';
import { resourcePath, type ResourceType } from './resource.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal | undefined;
  /** Overrides the client's request timeout; 0 disables it (watches). */
  timeoutMs?: number;
}

export interface ResponseRecord {
  method: HttpMethod;
  path: string;
  /** HTTP status, or undefined when no response arrived. */
  code: number | undefined;
  durationMs: number;
}

export interface KubeClientOptions {
  userAgent?: string;
  /** Timeout of each non-watch request (default 30 s). */
  requestTimeoutMs?: number;
  /** Most connections kept to the API server (default 64). */
  maxSockets?: number;
  /** How long resolved credentials are reused before asking the KubeConfig again (default 60 s). */
  credentialTtlMs?: number;
  /** Called once per request with its outcome (metrics; tests that check who wrote what). */
  onResponse?: (r: ResponseRecord) => void;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface WatchOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  resourceVersion?: string | undefined;
  allowWatchBookmarks?: boolean;
  /** Server-side duration of this watch; the server closes it cleanly after this. */
  timeoutSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called on every chunk of bytes, bookmarks included: the watchdog's heartbeat. */
  onActivity?: () => void;
}

export interface WriteOptions {
  fieldManager?: string;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  type?: PatchType;
  subresource?: string;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  signal?: AbortSignal;
}

interface Transport {
  server: URL;
  agent: HttpAgent;
  headers: OutgoingHttpHeaders;
  auth: string | undefined;
  expiresAt: number;
}

export class KubeClient {
  private readonly kc: CredentialSource;
  private readonly opts: Required<Omit<KubeClientOptions, 'onResponse'>> & Pick<KubeClientOptions, 'onResponse'>;
  private transport: Transport | undefined;
  private ownAgent: HttpAgent | undefined;

  constructor(kc: CredentialSource, opts: KubeClientOptions = {}) {
    this.kc = kc;
    this.opts = {
      userAgent: 'ckpt-operator',
      requestTimeoutMs: 30_000,
      maxSockets: 64,
      credentialTtlMs: 60_000,
      ...opts,
    };
  }

  /** Closes idle keep-alive connections (the client stays usable). */
  close(): void {
    this.ownAgent?.destroy();
    this.ownAgent = undefined;
    this.transport = undefined;
  }

  // ---- typed resource operations -------------------------------------------------

  get<T extends KubeObject>(r: ResourceType, name: string, namespace?: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>({ method: 'GET', path: resourcePath(r, { namespace, name }), signal });
  }

  list<T extends KubeObject>(r: ResourceType, o: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({
      method: 'GET',
      path: resourcePath(r, { namespace: o.namespace }),
      query: {
        labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit,
        continue: o.continue, resourceVersion: o.resourceVersion,
      },
      signal: o.signal,
    });
  }

  create<T extends KubeObject>(r: ResourceType, obj: T, o: WriteOptions = {}): Promise<T> {
    return this.request<T>({
      method: 'POST',
      path: resourcePath(r, { namespace: obj.metadata?.namespace }),
      query: { fieldManager: o.fieldManager },
      body: obj,
      signal: o.signal,
    });
  }

  /** PUT the whole object. Its metadata.resourceVersion makes this a compare-and-swap. */
  update<T extends KubeObject>(r: ResourceType, obj: T, o: WriteOptions = {}): Promise<T> {
    return this.request<T>({
      method: 'PUT',
      path: resourcePath(r, { namespace: obj.metadata?.namespace, name: requireName(obj) }),
      query: { fieldManager: o.fieldManager },
      body: obj,
      signal: o.signal,
    });
  }

  /** PUT through the /status subresource; only status changes, guarded by resourceVersion. */
  updateStatus<T extends KubeObject>(r: ResourceType, obj: T, o: WriteOptions = {}): Promise<T> {
    return this.request<T>({
      method: 'PUT',
      path: resourcePath(r, { namespace: obj.metadata?.namespace, name: requireName(obj), subresource: 'status' }),
      query: { fieldManager: o.fieldManager },
      body: obj,
      signal: o.signal,
    });
  }

  patch<T extends KubeObject>(r: ResourceType, name: string, namespace: string | undefined, patch: unknown, o: PatchOptions = {}): Promise<T> {
    const type = o.type ?? 'merge';
    return this.request<T>({
      method: 'PATCH',
      path: resourcePath(r, { namespace, name, subresource: o.subresource }),
      query: { fieldManager: o.fieldManager, force: type === 'apply' ? o.force : undefined },
      body: patch,
      contentType: patchContentTypes[type],
      signal: o.signal,
    });
  }

  delete(r: ResourceType, name: string, namespace?: string, o: DeleteOptions = {}): Promise<Status | KubeObject> {
    const body = o.preconditions !== undefined || o.propagationPolicy !== undefined
      ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: o.preconditions, propagationPolicy: o.propagationPolicy }
      : undefined;
    return this.request<Status | KubeObject>({ method: 'DELETE', path: resourcePath(r, { namespace, name }), body, signal: o.signal });
  }

  /**
   * Streams a watch, calling onEvent for each event in order. Resolves when the
   * server ends the stream ('closed') or the signal aborts ('aborted'); rejects
   * with an ApiError when the server refuses the watch and with the transport
   * error when the connection fails.
   */
  async watch<T extends KubeObject>(r: ResourceType, o: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<'closed' | 'aborted'> {
    const path = resourcePath(r, { namespace: o.namespace });
    let res: IncomingMessage;
    try {
      res = await this.open({
        method: 'GET',
        path,
        query: {
          watch: true, resourceVersion: o.resourceVersion, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector,
          allowWatchBookmarks: o.allowWatchBookmarks, timeoutSeconds: o.timeoutSeconds,
        },
        signal: o.signal,
        timeoutMs: 0,
      });
    } catch (err) {
      if (o.signal?.aborted === true) return 'aborted';
      throw err;
    }
    if (res.statusCode !== 200) {
      // Refused before streaming (403, 410 from storage, 5xx): a typed error, never an empty stream.
      const body = await readBody(res, { method: 'GET', path });
      throw apiErrorFrom('WATCH', path, res.statusCode ?? 0, body);
    }
    return new Promise((resolve, reject) => {
      const decoder = new StringDecoder('utf8');
      let buffered = '';
      let settled = false;
      const finish = (err: Error | undefined, how: 'closed' | 'aborted'): void => {
        if (settled) return;
        settled = true;
        o.signal?.removeEventListener('abort', onAbort);
        if (!res.destroyed) res.destroy();
        if (err !== undefined) reject(err);
        else resolve(how);
      };
      const onAbort = (): void => { finish(undefined, 'aborted'); };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.signal?.aborted === true) onAbort();
      res.on('data', (chunk: Buffer) => {
        o.onActivity?.();
        buffered += decoder.write(chunk);
        let nl: number;
        while (!settled && (nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          let event: WatchEvent<T>;
          try {
            event = parseWatchEvent<T>(line);
          } catch (err) {
            finish(new Error(`watch ${path}: ${(err as Error).message}`), 'closed');
            return;
          }
          try {
            onEvent(event);
          } catch (err) {
            finish(err instanceof Error ? err : new Error(String(err)), 'closed');
            return;
          }
        }
      });
      res.on('end', () => { finish(undefined, o.signal?.aborted === true ? 'aborted' : 'closed'); });
      res.on('error', (err) => {
        if (o.signal?.aborted === true) finish(undefined, 'aborted');
        else finish(err, 'closed');
      });
      res.on('close', () => {
        if (o.signal?.aborted === true) finish(undefined, 'aborted');
        else if (!res.complete) finish(new Error(`watch ${path}: connection closed mid-stream`), 'closed');
        else finish(undefined, 'closed');
      });
    });
  }

  // ---- raw requests --------------------------------------------------------------

  /** Sends one JSON request and parses the JSON reply; errors are ApiError. */
  async request<T>(req: HttpRequest): Promise<T> {
    const res = await this.open(req);
    const body = await readBody(res, req);
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw apiErrorFrom(req.method, req.path, code, body);
    return (body === '' ? {} : JSON.parse(body)) as T;
  }

  private async open(req: HttpRequest, retriedAuth = false): Promise<IncomingMessage> {
    const t = await this.currentTransport();
    const url = new URL(t.server.href.replace(/\/$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = req.body === undefined ? undefined
      : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: OutgoingHttpHeaders = {
      ...t.headers,
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent,
    };
    if (payload !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const timeoutMs = req.timeoutMs ?? this.opts.requestTimeoutMs;
    const signals = [req.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s) => s !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const started = performance.now();
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const options: RequestOptions = { method: req.method, headers, agent: t.agent, signal, auth: t.auth };
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const r = send(url, options, resolve);
        r.on('error', reject);
        r.end(payload);
      });
      this.opts.onResponse?.({ method: req.method, path: req.path, code: res.statusCode, durationMs: performance.now() - started });
      if (res.statusCode === 401 && !retriedAuth) {
        // Credentials may have rotated (token files, exec plugins): resolve them again once.
        res.resume();
        this.transport = undefined;
        return await this.open(req, true);
      }
      return res;
    } catch (err) {
      this.opts.onResponse?.({ method: req.method, path: req.path, code: undefined, durationMs: performance.now() - started });
      if (req.signal?.aborted === true) throw err;
      if (signal?.aborted === true) throw new TransportError(`${req.method} ${req.path}: no response within ${timeoutMs} ms`, { cause: err });
      throw new TransportError(`${req.method} ${req.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async currentTransport(): Promise<Transport> {
    if (this.transport !== undefined && this.transport.expiresAt > Date.now()) return this.transport;
    const cluster = this.kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const o: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(o);
    const server = new URL(cluster.server);
    let agent: HttpAgent;
    if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== '' && o.agent instanceof HttpAgent) {
      // client-node knows how to reach the server through a proxy; use its agent.
      agent = o.agent;
    } else {
      // Our own keep-alive pool: client-node's default agent opens a fresh TLS
      // connection per request, which a busy controller cannot afford.
      this.ownAgent ??= server.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true, maxSockets: this.opts.maxSockets })
        : new HttpsAgent({
          keepAlive: true, maxSockets: this.opts.maxSockets, ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx,
          passphrase: o.passphrase, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername,
        });
      agent = this.ownAgent;
    }
    this.transport = {
      server,
      agent,
      headers: o.headers !== undefined && !Array.isArray(o.headers) ? { ...(o.headers as OutgoingHttpHeaders) } : {},
      auth: typeof o.auth === 'string' ? o.auth : undefined,
      expiresAt: Date.now() + this.opts.credentialTtlMs,
    };
    return this.transport;
  }
}

function requireName(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new Error('object has no metadata.name');
  return name;
}

function readBody(res: IncomingMessage, req: HttpRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
    res.on('error', (err) => { reject(new TransportError(`${req.method} ${req.path}: reading the response failed`, { cause: err })); });
  });
}

const watchEventTypes = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function parseWatchEvent<T>(line: string): WatchEvent<T> {
  const parsed = JSON.parse(line) as { type?: unknown; object?: unknown };
  if (typeof parsed.type !== 'string' || !watchEventTypes.has(parsed.type) || typeof parsed.object !== 'object' || parsed.object === null) {
    throw new Error(`unexpected watch event ${line.slice(0, 200)}`);
  }
  return { type: parsed.type as WatchEventType, object: parsed.object };
}

