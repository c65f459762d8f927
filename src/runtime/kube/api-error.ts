// Errors returned by the API server, typed by what a controller does about
// them. A 409 Conflict is its own class because the controller loop turns it
// into a requeue (re-read, then try again) rather than an error.
import type { Status } from './object.ts';

export class ApiError extends Error {
  /** HTTP status code. */
  readonly code: number;
  /** metav1.Status reason (e.g. NotFound, Conflict, AlreadyExists, Expired), or ''. */
  readonly reason: string;
  readonly status: Status | undefined;
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, code: number, status: Status | undefined, text?: string) {
    const why = status?.message ?? text ?? '';
    super(`${method} ${path}: ${code} ${status?.reason ?? ''}${why !== '' ? `: ${why}` : ''}`.replace(/ +:/, ':'));
    this.name = 'ApiError';
    this.code = code;
    this.reason = status?.reason ?? '';
    this.status = status;
    this.method = method;
    this.path = path;
  }
}

/** The object changed since it was read (resourceVersion precondition failed). */
export class ConflictError extends ApiError {
  constructor(method: string, path: string, status: Status | undefined, text?: string) {
    super(method, path, 409, status, text);
    this.name = 'ConflictError';
  }
}

export function apiErrorFrom(method: string, path: string, code: number, body: string): ApiError {
  let status: Status | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && (parsed as Status).kind === 'Status') status = parsed;
  } catch {
    // Not JSON (e.g. a proxy's HTML page); keep the text.
  }
  const text = status === undefined ? body.slice(0, 500) : undefined;
  if (code === 409 && status?.reason !== 'AlreadyExists') return new ConflictError(method, path, status, text);
  return new ApiError(method, path, code, status, text);
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

export function isConflict(err: unknown): err is ConflictError {
  return err instanceof ConflictError;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/** 410 Gone: a resourceVersion or continue token too old to serve. */
export function isExpired(err: unknown): boolean {
  return err instanceof ApiError && err.code === 410;
}

/** No response arrived: connection refused or reset, DNS, TLS, or the request timed out. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/**
 * Worth retrying unchanged: the request met no API server (a restart, a
 * network blip), or the server was overloaded (429), timed out (408) or
 * failed (5xx). The caller's own abort is neither.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.code >= 500 || err.code === 429 || err.code === 408;
  return err instanceof TransportError;
}
