/**
 * The admin web server (issue 6, item 1): Fastify in the router's process, with Fastify's official
 * plugins for security headers (@fastify/helmet), rate limiting (@fastify/rate-limit), cookies and
 * sessions (@fastify/cookie, @fastify/session), CSRF (@fastify/csrf-protection) and static files
 * (@fastify/static, for the page in webui/ once it exists).
 *
 * Every request passes, in this order: the Host check (DNS rebinding; ./host-check.ts), security
 * headers, the per-client rate limit, the session, then for /api routes: the route must have a spec
 * (./routes/spec.ts), a logged-in session unless the spec says public, and the CSRF token on every
 * POST/PUT/DELETE; the password-checking routes have a stricter rate limit on top.
 *
 * AdminServer listens on the addresses of ./listen-addresses.ts (the LAN address and loopback, never
 * the WAN), one HTTP server per address sharing the one Fastify app.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../util/log.js';
import type { AddressBook } from './addressbook/address-book.js';
import { SubscriptionUpdater } from './addressbook/subscriptions.js';
import { BoundedSessionStore } from './auth/session-store.js';
import type { CredentialStore } from './auth/credentials.js';
import type { BackupService } from './backup/backup-service.js';
import { DashboardFeed } from './dashboard.js';
import type { HiddenServices } from '../gateway/hidden-services.js';
import type { GatewayStatus } from './gateway-status.js';
import type { HostCheck } from './host-check.js';
import type { LogRingBuffer } from './log-buffer.js';
import type { AdminRouterView, ProcessControl } from './router-view.js';
import { isLoggedIn } from './routes/auth-routes.js';
import type { AdminDeps } from './routes/deps.js';
import { registerApiRoutes } from './routes/index.js';
import { isStateChanging } from './routes/spec.js';
import type { SettingsService } from './settings/settings-service.js';
import { EventStreamHub } from './sse.js';
import type { SystemHealthSource } from './system-health.js';

export interface RateLimits {
  /** Requests per minute per client address to the whole server (default 600). */
  perClientPerMinute: number;
  /** Password checks (login, first run, password change, factory reset) per minute per client (default 5). */
  passwordPerClientPerMinute: number;
  /** Password checks per minute from all clients together (default 30). */
  passwordPerMinute: number;
}

export interface AdminAppOptions {
  router: AdminRouterView;
  gateway: GatewayStatus;
  /** Hidden services, when the LAN gateway runs (src/gateway/hidden-services.ts). */
  hiddenServices?: HiddenServices;
  logs: LogRingBuffer;
  credentials: CredentialStore;
  settings: SettingsService;
  addressBook: AddressBook;
  backup: BackupService;
  system: SystemHealthSource;
  process: ProcessControl;
  hostCheck: HostCheck;
  requestFactoryReset: () => Promise<void>;
  log: Logger;
  now?: () => number;
  /** The built web page (default `<package>/webui/dist`); without it `/` says the page is not installed. */
  staticRoot?: string;
  dashboardIntervalMs?: number;
  rateLimits?: Partial<RateLimits>;
  /** Session lifetimes: idle (default 60 min, renewed by every request) and absolute (default 12 h after login). */
  sessionIdleMs?: number;
  sessionAbsoluteMs?: number;
  maxSessions?: number;
  /** Open event streams at most (default 16). */
  maxStreams?: number;
}

export interface AdminApp {
  app: FastifyInstance;
  deps: AdminDeps;
  dashboard: DashboardFeed;
  streams: EventStreamHub;
  /** The request handler, for extra listening servers. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Every route Fastify registered (method and path), as its onRoute hook saw them. */
  routes: readonly { method: string; url: string }[];
  close(): Promise<void>;
}

export const SESSION_COOKIE = 'gg_session';
export const DEFAULT_STATIC_ROOT = fileURLToPath(new URL('../../../webui/dist', import.meta.url));

/** Content-Security-Policy for the page: everything from the box itself, nothing inline, no framing. */
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export async function buildAdminApp(opts: AdminAppOptions): Promise<AdminApp> {
  const now = opts.now ?? Date.now;
  const limits: RateLimits = { perClientPerMinute: 600, passwordPerClientPerMinute: 5, passwordPerMinute: 30, ...opts.rateLimits };
  const sessionIdleMs = opts.sessionIdleMs ?? 60 * 60_000;
  const sessionAbsoluteMs = opts.sessionAbsoluteMs ?? 12 * 3600_000;
  const log = opts.log.child({ sub: 'admin' });
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const app = Fastify({
    // Fastify's own per-request lines are info: only its warnings and errors reach the log.
    loggerInstance: log.child({ part: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, allowUnionTypes: true } },
    serverFactory: (h) => {
      handler = h;
      return createServer(h);
    },
  });

  // 1. The Host check runs before anything else, static files included.
  app.addHook('onRequest', async (request, reply) => {
    if (!opts.hostCheck.allows(request.headers.host)) {
      log.warn({ host: request.headers.host, ip: request.ip }, 'refused a request with a foreign Host header');
      return reply.code(403).send({ error: 'host not allowed', detail: 'open the admin UI by the box’s address or name' });
    }
  });

  // Only JSON bodies: no form posts (they are what cross-site forgery uses).
  app.removeContentTypeParser('text/plain');

  await app.register(fastifyHelmet, { contentSecurityPolicy: CSP, hsts: false, crossOriginEmbedderPolicy: false });
  await app.register(fastifyRateLimit, {
    global: true,
    max: limits.perClientPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctx) => new HttpError(429, 'too many requests', `retry in ${ctx.after}`),
  });

  const sessions = new BoundedSessionStore({ maxSessions: opts.maxSessions ?? 64, fallbackTtlMs: sessionIdleMs, now });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: randomBytes(32).toString('hex'),
    cookieName: SESSION_COOKIE,
    // Plain HTTP on the LAN: a Secure cookie would never be sent back.
    cookie: { httpOnly: true, sameSite: 'strict', secure: false, path: '/', maxAge: sessionIdleMs },
    rolling: true,
    saveUninitialized: false,
    store: sessions,
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session', getToken: (req) => req.headers['x-csrf-token'] as string | undefined });

  // 2. API routes: a spec, a session unless public, the CSRF token on state changes.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const spec = request.routeOptions.config.spec;
    if (!spec) return reply.code(404).send({ error: 'not found' });
    if (spec.auth === 'public') return;
    if (!isLoggedIn({ now, sessionAbsoluteMs }, request)) {
      return reply.code(401).send({ error: 'not logged in', firstRun: !opts.credentials.isSet });
    }
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith('/api/') || !isStateChanging(request.method)) return done();
    app.csrfProtection(request, reply, done);
  });

  // 3. Password checks: per client and overall, shared by every route that checks the password.
  const perClient = app.createRateLimit({ max: limits.passwordPerClientPerMinute, timeWindow: 60_000, keyGenerator: (req) => `password:${req.ip}` });
  const overall = app.createRateLimit({ max: limits.passwordPerMinute, timeWindow: 60_000, keyGenerator: () => 'password:*' });
  const passwordLimit = async (request: FastifyRequest): Promise<void> => {
    for (const limiter of [perClient, overall]) {
      const r = await limiter(request);
      if (!r.isAllowed && r.isExceeded) {
        log.warn({ ip: request.ip, key: r.key }, 'password attempts rate-limited');
        throw new HttpError(429, 'too many password attempts', `retry in ${r.ttlInSeconds} s`);
      }
    }
  };
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (routeOptions) => {
    for (const method of [routeOptions.method].flat()) routes.push({ method, url: routeOptions.url });
    if (routeOptions.config?.spec?.rateLimit !== 'password') return;
    const existing = routeOptions.onRequest;
    routeOptions.onRequest = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), passwordLimit];
  });

  // A POST/PUT/DELETE without a body means `{}` (its schema then says what is missing).
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && isStateChanging(request.method)) request.body = {};
  });

  // Actions that must wait until the answer is out (restart, shutdown).
  const after = new WeakMap<FastifyRequest, () => void>();
  app.addHook('onResponse', async (request) => {
    const fn = after.get(request);
    if (fn) setImmediate(fn);
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply: FastifyReply) => {
    if (error.validation) return reply.code(400).send({ error: 'invalid request', detail: error.message });
    if (error instanceof HttpError) {
      if (error.statusCode === 429) reply.header('retry-after', /\d+/.exec(error.detail ?? '')?.[0] ?? '60');
      return reply.code(error.statusCode).send({ error: error.message, ...(error.detail ? { detail: error.detail } : {}) });
    }
    if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN') {
      return reply.code(403).send({ error: 'missing or invalid CSRF token', detail: 'send the x-csrf-token header (GET /api/v1/auth/csrf)' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      log.error({ err: error.message, stack: error.stack, url: request.url }, 'admin API error');
      return reply.code(500).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: error.message });
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not found' }));

  const streams = new EventStreamHub({ maxStreams: opts.maxStreams, sessionValid: (id) => sessions.isAuthenticated(id) });
  const dashboard = new DashboardFeed({ router: opts.router, gateway: opts.gateway, system: opts.system, intervalMs: opts.dashboardIntervalMs, now });
  const subscriptions = new SubscriptionUpdater({ book: opts.addressBook, backend: () => opts.gateway.backend?.(), log: log.child({ sub: 'subscriptions' }), now });
  const deps: AdminDeps = {
    subscriptions,
    router: opts.router,
    gateway: opts.gateway,
    ...(opts.hiddenServices ? { hiddenServices: opts.hiddenServices } : {}),
    dashboard,
    logs: opts.logs,
    credentials: opts.credentials,
    sessions,
    settings: opts.settings,
    addressBook: opts.addressBook,
    backup: opts.backup,
    process: opts.process,
    streams,
    requestFactoryReset: opts.requestFactoryReset,
    log,
    now,
    sessionIdleMs,
    sessionAbsoluteMs,
    afterResponse: (request, fn) => void after.set(request, fn),
  };
  registerApiRoutes(app, deps);

  const staticRoot = opts.staticRoot ?? DEFAULT_STATIC_ROOT;
  if (existsSync(staticRoot)) {
    // preCompressed: webui/build.mjs writes .br and .gz beside each text file; a browser that accepts
    // them gets those, others the plain file. Nothing is compressed per request. The plugin sets no
    // Vary, so it is set here: a cache must not hand the brotli file to a browser without brotli.
    // index as a list: with preCompressed, @fastify/static 9.3 answers 404 for / when it is a string.
    await app.register(fastifyStatic, {
      root: staticRoot,
      prefix: '/',
      index: ['index.html'],
      cacheControl: true,
      maxAge: 0,
      preCompressed: true,
      setHeaders: (res) => res.setHeader('Vary', 'Accept-Encoding'),
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('GarlicGate admin: the web page is not installed (webui/dist). The JSON API is under /api/v1 (docs/api.md).\n'),
    );
  }

  await app.ready();
  dashboard.start();
  // Subscriptions are fetched on a schedule only where there is a way into I2P (the LAN gateway).
  if (opts.gateway.backend) subscriptions.start();
  if (!handler) throw new Error('fastify did not call the server factory');
  const h = handler;
  return {
    app,
    deps,
    dashboard,
    streams,
    handler: h,
    routes,
    close: async () => {
      dashboard.stop();
      subscriptions.stop();
      streams.closeAll();
      await app.close();
    },
  };
}

/** The admin app listening on its addresses; binds that fail because the address is not up yet are retried. */
export class AdminServer {
  private readonly servers = new Map<string, Server>();
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly admin: AdminApp,
    private readonly port: number,
    private readonly log: Logger,
  ) {}

  /** Listens on every address; an address that is not configured yet (EADDRNOTAVAIL) is retried every `retryMs`. */
  static async start(admin: AdminApp, addresses: readonly string[], port: number, log: Logger, retryMs = 10_000): Promise<AdminServer> {
    const s = new AdminServer(admin, port, log);
    const pending = await s.listenAll(addresses);
    if (pending.length > 0) s.retry(pending, retryMs);
    return s;
  }

  /** Addresses listened on now, as host:port. */
  get listening(): string[] {
    return [...this.servers.entries()]
      .filter(([, srv]) => srv.listening)
      .map(([a, srv]) => {
        const port = (srv.address() as { port: number }).port;
        return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
      });
  }

  /** The port actually bound (useful with port 0 in tests). */
  boundPort(): number | undefined {
    for (const srv of this.servers.values()) {
      const a = srv.address();
      if (a && typeof a === 'object') return a.port;
    }
    return undefined;
  }

  private async listenAll(addresses: readonly string[]): Promise<string[]> {
    const pending: string[] = [];
    for (const address of addresses) {
      if (this.servers.has(address)) continue;
      const srv = address === addresses[0] && this.servers.size === 0 ? this.admin.app.server : createServer(this.admin.handler);
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ host: address, port: this.port }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
        this.servers.set(address, srv);
        this.log.info({ address, port: this.port }, 'admin UI listening');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EADDRNOTAVAIL') throw e;
        this.log.warn({ address, port: this.port }, 'admin UI: address not configured yet, will retry');
        pending.push(address);
      }
    }
    return pending;
  }

  private retry(pending: string[], retryMs: number): void {
    this.retryTimer = setTimeout(() => {
      if (this.closed) return;
      this.listenAll(pending).then(
        (left) => {
          if (left.length > 0) this.retry(left, retryMs);
        },
        (e: Error) => this.log.error({ err: e.message }, 'admin UI: listening failed'),
      );
    }, retryMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.admin.streams.closeAll();
    // Fastify closes only servers it listened with itself: these are ours to close.
    await Promise.all(
      [...this.servers.values()].map(
        (srv) =>
          new Promise<void>((resolve) => {
            srv.close(() => resolve());
            srv.closeAllConnections();
          }),
      ),
    );
    await this.admin.close();
  }
}
