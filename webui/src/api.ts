/**
 * The page's only way to the box: the JSON API under /api/v1 (docs/api.md). Keeps the session's CSRF
 * token (sent as `x-csrf-token` on every POST/PUT/DELETE), turns error answers into ApiError, and
 * tells the app when the session has ended (401) so it can show the login form.
 */

export const API = '/api/v1';

// A value the router cannot know yet is `{available: false, reason}` in its place (docs/api.md).
export { isNotAvailable, type Maybe, type NotAvailable } from '../../src/admin/not-available.js';

/** The body of an error answer: `error` always, the rest depending on the route. */
export interface ErrorBody {
  error: string;
  detail?: string;
  /** 400 of settings and the address book: a reason per field. */
  reasons?: Record<string, string>;
  /** 400 of the backup routes: why the archive is refused. */
  reason?: string;
  /** 503 of a feature that does not exist yet. */
  feature?: string;
  firstRun?: boolean;
  restored?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.detail ? `${body.error}: ${body.detail}` : body.error);
  }

  /** 503 "not available yet": the router does not have this feature yet. */
  get notAvailableYet(): boolean {
    return this.status === 503 && this.body.error === 'not available yet';
  }
}

let csrfToken: string | undefined;
const sessionEndedListeners = new Set<() => void>();

/** Called with the token of a login or first-run answer (the session id changed with it). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

export function onSessionEnded(fn: () => void): () => void {
  sessionEndedListeners.add(fn);
  return () => sessionEndedListeners.delete(fn);
}

function sessionEnded(): void {
  csrfToken = undefined;
  for (const fn of sessionEndedListeners) fn();
}

/** Routes that answer without a session: a 401 from them is a wrong password, not an ended session. */
const PUBLIC = new Set(['/status', '/auth/csrf', '/auth/first-run', '/auth/login']);

async function token(): Promise<string> {
  if (csrfToken === undefined) {
    const r = await send('GET', '/auth/csrf');
    csrfToken = ((await r.json()) as { csrfToken: string }).csrfToken;
  }
  return csrfToken;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = await token();
  let res: Response;
  try {
    res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { error: 'the box does not answer', detail: 'check that it is running and that this device is on its network' });
  }
  if (res.ok) return res;
  let err: ErrorBody;
  try {
    err = (await res.json()) as ErrorBody;
  } catch {
    err = { error: `HTTP ${res.status}` };
  }
  if (res.status === 401 && !PUBLIC.has(path)) sessionEnded();
  throw new ApiError(res.status, err);
}

/**
 * One API call. A 403 for the CSRF token (a token from before a login elsewhere, say) fetches a new
 * token and tries once more.
 */
export async function request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<Response> {
  try {
    return await send(method, path, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 403 && /CSRF/i.test(e.body.error) && method !== 'GET') {
      csrfToken = undefined;
      return send(method, path, body);
    }
    throw e;
  }
}

export async function get<T>(path: string): Promise<T> {
  return (await (await request('GET', path)).json()) as T;
}

/** A POST/PUT/DELETE; undefined for 204 answers. */
export async function call<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const r = await request(method, path, body);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

/** After an event stream was refused: if the session has ended, say so (the app shows the login form). */
export async function verifySession(): Promise<void> {
  try {
    const s = (await (await send('GET', '/status')).json()) as { authenticated: boolean };
    if (!s.authenticated) sessionEnded();
  } catch {
    // the box does not answer: the stream's own retry will find out
  }
}

/** Words for a person about a failed call. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) return `Too many attempts. ${e.body.detail ? `Try again: ${e.body.detail}.` : 'Wait a minute and try again.'}`;
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
