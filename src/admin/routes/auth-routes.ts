/**
 * First run, login, logout, password change (issue 6, item 2). There is no default password: until
 * the owner sets one (first-run), no session can log in and every other route answers 401. Login
 * regenerates the session id (no fixation) and hands back a fresh CSRF token; every state change,
 * login included, needs the token of the session's secret.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/csrf-protection';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from '../auth/credentials.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, bool, errorSchema, int, noContent, obj, route, str, type RouteSpec } from './spec.js';

const password = (description: string): object => str(description, { minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const tokenAnswer = (description: string): object =>
  obj(
    {
      csrfToken: str('send it as the `x-csrf-token` header of every POST/PUT/DELETE of this session'),
      expiresAt: int('when the session ends unless used again (ms since epoch)'),
    },
    { description },
  );

export const AUTH_ROUTES = {
  status: {
    method: 'GET',
    url: `${API_PREFIX}/status`,
    group: 'Session',
    summary: 'Whether a password is set and whether this session is logged in',
    description: 'The page calls this first: `firstRun` true means it must show the set-password form. Tells nothing else about the box.',
    auth: 'public',
    schema: {
      response: {
        200: obj({
          apiVersion: int('1'),
          firstRun: bool('no password is set yet'),
          authenticated: bool('this session is logged in'),
          sessionExpiresAt: { type: ['integer', 'null'], description: 'when this session ends unless used again (ms since epoch); null when not logged in' },
        }),
      },
    },
  },
  csrf: {
    method: 'GET',
    url: `${API_PREFIX}/auth/csrf`,
    group: 'Session',
    summary: 'A CSRF token for this session (creates an anonymous session if there is none)',
    description: 'Needed before the first POST of a session (first-run, login). The answer sets the session cookie.',
    auth: 'public',
    schema: { response: { 200: obj({ csrfToken: str('send it as the `x-csrf-token` header') }) } },
  },
  firstRun: {
    method: 'POST',
    url: `${API_PREFIX}/auth/first-run`,
    group: 'Session',
    summary: 'Set the owner password (only while none is set); logs this session in',
    auth: 'public',
    rateLimit: 'password',
    schema: {
      body: obj({ password: password(`the new password, ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters`) }),
      response: {
        201: tokenAnswer('password set; this session is logged in (the session id changed: use this token from now on)'),
        400: errorSchema('the password is refused (`detail` says why)'),
        409: errorSchema('a password is already set: use login'),
      },
    },
  },
  login: {
    method: 'POST',
    url: `${API_PREFIX}/auth/login`,
    group: 'Session',
    summary: 'Log in with the owner password',
    auth: 'public',
    rateLimit: 'password',
    schema: {
      body: obj({ password: password('the owner password') }),
      response: {
        200: tokenAnswer('logged in (the session id changed: use this token from now on)'),
        401: errorSchema('wrong password'),
        409: errorSchema('no password is set yet (first run)', { firstRun: bool() }),
      },
    },
  },
  logout: {
    method: 'POST',
    url: `${API_PREFIX}/auth/logout`,
    group: 'Session',
    summary: 'End this session (its event streams close too)',
    auth: 'session',
    schema: { response: { 204: noContent('logged out') } },
  },
  password: {
    method: 'POST',
    url: `${API_PREFIX}/auth/password`,
    group: 'Session',
    summary: 'Change the owner password; every other session is logged out',
    auth: 'session',
    rateLimit: 'password',
    schema: {
      body: obj({ current: password('the current password'), password: password(`the new password, ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters`) }),
      response: {
        204: noContent('changed'),
        400: errorSchema('the new password is refused (`detail` says why)'),
        401: errorSchema('the current password is wrong, or not logged in'),
      },
    },
  },
} satisfies Record<string, RouteSpec>;

/** Whether the request's session is logged in and within its absolute lifetime. */
export function isLoggedIn(deps: Pick<AdminDeps, 'now' | 'sessionAbsoluteMs'>, request: FastifyRequest): boolean {
  const s = request.session;
  return s?.authenticated === true && typeof s.authenticatedAt === 'number' && deps.now() - s.authenticatedAt < deps.sessionAbsoluteMs;
}

function expiresAt(deps: AdminDeps, request: FastifyRequest): number {
  return Math.min(deps.now() + deps.sessionIdleMs, (request.session.authenticatedAt ?? deps.now()) + deps.sessionAbsoluteMs);
}

export function registerAuthRoutes(app: FastifyInstance, deps: AdminDeps): void {
  let settingFirstPassword = false;

  const logIn = async (request: FastifyRequest): Promise<void> => {
    await request.session.regenerate();
    request.session.authenticated = true;
    request.session.authenticatedAt = deps.now();
  };

  route(app, AUTH_ROUTES.status, async (request) => {
    const ok = isLoggedIn(deps, request);
    return { apiVersion: 1, firstRun: !deps.credentials.isSet, authenticated: ok, sessionExpiresAt: ok ? expiresAt(deps, request) : null };
  });

  route(app, AUTH_ROUTES.csrf, async (_request, reply) => ({ csrfToken: reply.generateCsrf() }));

  route(
    app,
    AUTH_ROUTES.firstRun,
    async (request, reply) => {
      const { password } = request.body as { password: string };
      if (deps.credentials.isSet || settingFirstPassword) return reply.code(409).send({ error: 'a password is already set: log in instead' });
      const problem = passwordProblem(password);
      if (problem) return reply.code(400).send({ error: 'password refused', detail: problem });
      settingFirstPassword = true;
      try {
        await deps.credentials.set(password);
      } finally {
        settingFirstPassword = false;
      }
      deps.log.warn({ ip: request.ip }, 'admin password set (first run)');
      await logIn(request);
      return reply.code(201).send({ csrfToken: reply.generateCsrf(), expiresAt: expiresAt(deps, request) });
    },
  );

  route(
    app,
    AUTH_ROUTES.login,
    async (request, reply) => {
      const { password } = request.body as { password: string };
      if (!deps.credentials.isSet) return reply.code(409).send({ error: 'no password is set yet: this is the first run', firstRun: true });
      if (!(await deps.credentials.verify(password))) {
        deps.log.warn({ ip: request.ip }, 'admin login failed');
        return reply.code(401).send({ error: 'wrong password' });
      }
      await logIn(request);
      deps.log.info({ ip: request.ip }, 'admin login');
      return { csrfToken: reply.generateCsrf(), expiresAt: expiresAt(deps, request) };
    },
  );

  route(app, AUTH_ROUTES.logout, async (request, reply) => {
    const id = request.session.sessionId;
    await request.session.destroy();
    deps.streams.closeSession(id);
    return reply.code(204).send();
  });

  route(
    app,
    AUTH_ROUTES.password,
    async (request, reply) => {
      const { current, password } = request.body as { current: string; password: string };
      if (!(await deps.credentials.verify(current))) {
        deps.log.warn({ ip: request.ip }, 'admin password change: wrong current password');
        return reply.code(401).send({ error: 'the current password is wrong' });
      }
      const problem = passwordProblem(password);
      if (problem) return reply.code(400).send({ error: 'password refused', detail: problem });
      await deps.credentials.set(password);
      deps.sessions.destroyAllExcept(request.session.sessionId);
      deps.log.warn({ ip: request.ip }, 'admin password changed; other sessions logged out');
      return reply.code(204).send();
    },
  );
}
