/**
 * The session store behind @fastify/session: in memory (sessions end when the router restarts — the
 * owner logs in again), bounded, and aware of expiry. @fastify/session's own MemoryStore grows without
 * bound and keeps expired sessions; on a Pi exposed to a LAN, a flood of anonymous sessions (each
 * first visit gets one for its CSRF secret) must not grow memory: past `maxSessions`, anonymous
 * sessions are evicted first, oldest first.
 *
 * Only the session's data is kept (a plain copy), never the live Session object, which references
 * its request.
 */
import type { FastifyRequest, Session } from 'fastify';
import type {} from '@fastify/session';

declare module 'fastify' {
  interface Session {
    /** Set when the owner logged in (or set the first password) in this session. */
    authenticated?: boolean;
    /** When, ms since epoch: a session lives at most SESSION_ABSOLUTE_MS after login. */
    authenticatedAt?: number;
  }
}

type Callback = (err?: unknown) => void;

interface Entry {
  data: Record<string, unknown>;
  expiresAt: number;
  authenticated: boolean;
}

export class BoundedSessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: { maxSessions?: number; fallbackTtlMs: number; now?: () => number }) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    const data: Record<string, unknown> = {};
    for (const k of Object.keys(session)) {
      const v = (session as unknown as Record<string, unknown>)[k];
      data[k] = k === 'cookie' && v && typeof (v as { toJSON?: unknown }).toJSON === 'function' ? (v as { toJSON(): unknown }).toJSON() : v;
    }
    const exp = (session.cookie as { expires?: unknown } | undefined)?.expires;
    const expiresAt = exp instanceof Date ? exp.getTime() : this.now() + this.opts.fallbackTtlMs;
    this.sessions.delete(sessionId); // re-insert: the Map's order is least recently saved first
    this.sessions.set(sessionId, { data, expiresAt, authenticated: session.authenticated === true });
    this.evict();
    callback();
  }

  get(sessionId: string, callback: (err: unknown, result?: Session | null) => void): void {
    const e = this.live(sessionId);
    callback(null, e ? (structuredClone(e.data) as unknown as Session) : null);
  }

  destroy(sessionId: string, callback: Callback): void {
    this.sessions.delete(sessionId);
    callback();
  }

  /** Whether this session exists, has not expired and is logged in (the SSE streams check it on each push). */
  isAuthenticated(sessionId: string): boolean {
    return this.live(sessionId)?.authenticated === true;
  }

  /** Ends every session but `keep` (after a password change). */
  destroyAllExcept(keep: string | undefined): void {
    for (const id of [...this.sessions.keys()]) if (id !== keep) this.sessions.delete(id);
  }

  private live(sessionId: string): Entry | undefined {
    const e = this.sessions.get(sessionId);
    if (e && e.expiresAt <= this.now()) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return e;
  }

  private evict(): void {
    const max = this.opts.maxSessions ?? 64;
    if (this.sessions.size <= max) return;
    const now = this.now();
    for (const [id, e] of this.sessions) if (e.expiresAt <= now) this.sessions.delete(id);
    for (const pass of [false, true]) {
      for (const [id, e] of this.sessions) {
        if (this.sessions.size <= max) return;
        if (e.authenticated === pass) this.sessions.delete(id);
      }
    }
  }
}

/** The request's session id when it has a live session (used by the SSE streams). */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  return (request.session as { sessionId?: string } | undefined)?.sessionId;
}
