/**
 * Test scaffolding for the admin API: a programmable implementation of our own AdminRouterView
 * interface (not a stand-in for a peer: the admin server only ever sees this interface), a temporary
 * data directory, the real admin app around them, and an HTTP client over Fastify's inject that keeps
 * the session cookie and the CSRF token like the page will.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { defaultConfig, type RouterConfig } from '../../../src/config/options.js';
import { configFilePath } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/util/log.js';
import { AddressBook } from '../../../src/admin/addressbook/address-book.js';
import { CredentialStore } from '../../../src/admin/auth/credentials.js';
import { BackupService } from '../../../src/admin/backup/backup-service.js';
import type { GatewayStatus } from '../../../src/admin/gateway-status.js';
import { HostCheck } from '../../../src/admin/host-check.js';
import { LogRingBuffer } from '../../../src/admin/log-buffer.js';
import type { AdminRouterView, ProcessControl, RuntimeSettings } from '../../../src/admin/router-view.js';
import { buildAdminApp, SESSION_COOKIE, type AdminApp, type AdminAppOptions } from '../../../src/admin/server.js';
import { SettingsService, type NetworkApplier } from '../../../src/admin/settings/settings-service.js';
import { SettingsTransaction, type Timers } from '../../../src/admin/settings/transaction.js';
import type { SystemHealth, SystemHealthSource } from '../../../src/admin/system-health.js';
import type { ScryptParams } from '../../../src/admin/auth/password.js';

/** A scratch directory of this test run (prefix ggadmin-), removed when the test process exits. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `ggadmin-${tag}-`));
  process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Cheap scrypt for tests that log in many times; the password tests use the real parameters. */
export const TEST_SCRYPT: ScryptParams = { logN: 10, r: 8, p: 1 };

export const TEST_HOST = 'gatewaybox';
export const LAN_IP = '192.168.42.1';

export interface FakeRouter extends AdminRouterView {
  values: {
    bytesIn: number;
    bytesOut: number;
    transitBytes: number;
    buildsStarted: number;
    buildsSucceeded: number;
    peers: number;
  };
  applied: RuntimeSettings[];
  /** Make applyRuntimeSettings fail (to test the settings rollback). */
  failApply: boolean;
}

export function fakeRouter(): FakeRouter {
  const r: FakeRouter = {
    values: { bytesIn: 0, bytesOut: 0, transitBytes: 0, buildsStarted: 0, buildsSucceeded: 0, peers: 2 },
    applied: [],
    failApply: false,
    version: '0.1.0',
    routerHash: () => 'A'.repeat(44),
    netId: () => 2,
    uptimeMs: () => 60_000,
    caps: () => 'LU',
    isReseeding: () => false,
    traffic: () => ({ bytesIn: r.values.bytesIn, bytesOut: r.values.bytesOut, transitBytes: r.values.transitBytes }),
    counts: () => ({ peers: r.values.peers, knownRouters: 120, floodfills: 9, leaseSets: 3 }),
    tunnelCounts: () => ({ exploratoryInbound: 3, exploratoryOutbound: 2, clientPools: 0, clientInbound: 0, clientOutbound: 0, transit: 4 }),
    tunnelBuilds: () => ({ started: r.values.buildsStarted, succeeded: r.values.buildsSucceeded }),
    peers: () =>
      Array.from({ length: r.values.peers }, (_, i) => ({
        hash: `${String.fromCharCode(65 + i)}${'x'.repeat(43)}`,
        address: `198.51.100.${10 + i}`,
        port: 20000 + i,
        inbound: i % 2 === 0,
        establishedAt: 1_000 + i,
        bytesIn: 500 * (r.values.peers - i),
        bytesOut: 100 * i,
        caps: 'XfR',
        version: '0.9.62',
      })),
    exploratoryTunnels: () => [{ id: 7, direction: 'inbound', hops: ['h1', 'h2'], createdAt: 1, expiresAt: 600_001, state: 'established', latencyMs: undefined }],
    transitTunnels: () => [
      { role: 'participant', receiveTunnelId: 11, next: 'n1', createdAt: 3, expiresAt: 600_003, messages: 5, bytes: 5000 },
      { role: 'obep', receiveTunnelId: 12, next: 'n2', createdAt: 2, expiresAt: 600_002, messages: 9, bytes: 9000 },
    ],
    netDbSummary: () => ({ routerInfos: 120, floodfills: 9, leaseSets: 3, caps: { bandwidth: { L: 20, X: 100 }, floodfill: 9, reachable: 90, unreachable: 30 }, versions: { '0.9.62': 120 }, counters: { lookups: { started: 4 } } }),
    applyRuntimeSettings: async (s) => {
      if (r.failApply) throw new Error('router refused');
      r.applied.push(s);
    },
  };
  return r;
}

/** A system health source with fixed figures (the real one is tested on its own). */
export function fixedSystem(): SystemHealthSource {
  const h: SystemHealth = {
    sampledAt: 1,
    cpu: { loadPercent: 12.5, cores: 4, loadAverage: [0.5, 0.4, 0.3], temperatureC: { available: false, reason: 'no temperature sensor' } },
    memory: { totalBytes: 1_000_000, availableBytes: 600_000, usedPercent: 40 },
    disk: { mount: '/', totalBytes: 32e9, freeBytes: 20e9, usedPercent: 37.5 },
    process: { rssBytes: 80e6, heapUsedBytes: 30e6, uptimeS: 60 },
  };
  return { sample: async () => h };
}

export interface TestAdmin {
  admin: AdminApp;
  router: FakeRouter;
  config: RouterConfig;
  datadir: string;
  logs: LogRingBuffer;
  networkApplied: RouterConfig[];
  processCalls: string[];
  factoryResets: number;
  close(): Promise<void>;
}

export interface TestAdminOptions {
  config?: Partial<RouterConfig>;
  gateway?: GatewayStatus;
  restart?: boolean;
  timers?: Timers;
  now?: () => number;
  network?: NetworkApplier;
  app?: Partial<AdminAppOptions>;
  commandLine?: string[];
}

export async function makeAdmin(o: TestAdminOptions = {}): Promise<TestAdmin> {
  const datadir = tempDir('test');
  const config: RouterConfig = { ...defaultConfig('/nonexistent'), datadir, ...o.config };
  const router = fakeRouter();
  const logs = new LogRingBuffer();
  const log = silentLogger();
  const networkApplied: RouterConfig[] = [];
  const processCalls: string[] = [];
  const t: Partial<TestAdmin> = { factoryResets: 0 };
  const credentials = await CredentialStore.load(datadir, TEST_SCRYPT);
  const addressBook = await AddressBook.load(datadir, log, o.now);
  const settings = new SettingsService({
    config,
    configFile: configFilePath(config),
    commandLine: new Set(o.commandLine ?? []),
    runtime: router,
    network: o.network ?? { apply: async (c) => void networkApplied.push(c) },
    transaction: new SettingsTransaction({ log, now: o.now, timers: o.timers }),
    log,
    now: o.now,
  });
  const proc: ProcessControl = {
    shutdown: (graceful) => void processCalls.push(`shutdown:${graceful}`),
    ...(o.restart ? { restart: () => void processCalls.push('restart') } : {}),
  };
  const admin = await buildAdminApp({
    router,
    gateway: o.gateway ?? {},
    logs,
    credentials,
    settings,
    addressBook,
    backup: new BackupService({ datadir, configFile: configFilePath(config), software: '0.1.0', log, scrypt: TEST_SCRYPT, afterRestore: () => addressBook.reload() }),
    system: fixedSystem(),
    process: proc,
    hostCheck: new HostCheck({ names: ['garlicgate.lan'], addresses: [LAN_IP], hostname: TEST_HOST, interfaceAddresses: () => ['127.0.0.1', '::1', '10.0.2.15'] }),
    requestFactoryReset: async () => void (t.factoryResets! += 1),
    log,
    staticRoot: join(datadir, 'no-webui'),
    ...o.app,
    // The password limit has its own test; the others log in more often than it allows.
    rateLimits: { passwordPerClientPerMinute: 1000, passwordPerMinute: 1000, ...o.app?.rateLimits },
  });
  const close = async (): Promise<void> => {
    await admin.close();
    rmSync(datadir, { recursive: true, force: true });
  };
  return Object.assign(t, { admin, router, config, datadir, logs, networkApplied, processCalls, close }) as TestAdmin;
}

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
  raw: LightMyRequestResponse;
}

/** A browser-like client: keeps the session cookie, sends the CSRF token on state changes, a good Host header. */
export class Client {
  cookie: string | undefined;
  csrf: string | undefined;
  host = `127.0.0.1:7070`;
  remoteAddress = '127.0.0.1';

  constructor(private readonly admin: AdminApp) {}

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const h: Record<string, string> = { host: this.host, ...headers };
    if (this.cookie) h.cookie = `${SESSION_COOKIE}=${this.cookie}`;
    if (method !== 'GET' && this.csrf && h['x-csrf-token'] === undefined) h['x-csrf-token'] = this.csrf;
    const res = await this.admin.app.inject({
      method,
      url,
      headers: h,
      remoteAddress: this.remoteAddress,
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    const set = res.cookies.find((c) => c.name === SESSION_COOKIE);
    if (set) this.cookie = set.value === '' ? undefined : set.value;
    let parsed: unknown = res.body;
    if ((res.headers['content-type'] ?? '').toString().startsWith('application/json') && res.body !== '') parsed = JSON.parse(res.body);
    return { status: res.statusCode, body: parsed, headers: res.headers, raw: res };
  }

  get(url: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', url, undefined, headers);
  }

  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
    return this.request('POST', url, body, headers);
  }

  put(url: string, body?: unknown): Promise<Reply> {
    return this.request('PUT', url, body);
  }

  delete(url: string): Promise<Reply> {
    return this.request('DELETE', url);
  }

  /** GET /auth/csrf: a token (and a session cookie). */
  async fetchCsrf(): Promise<string> {
    const r = await this.get('/api/v1/auth/csrf');
    this.csrf = r.body.csrfToken;
    return this.csrf!;
  }

  /** First run (when no password exists yet) or login; leaves the client logged in with its new token. */
  async logIn(password = 'correct horse battery'): Promise<void> {
    await this.fetchCsrf();
    const status = await this.get('/api/v1/status');
    const r = await this.post(status.body.firstRun ? '/api/v1/auth/first-run' : '/api/v1/auth/login', { password });
    if (r.status !== 200 && r.status !== 201) throw new Error(`log in failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.csrf = r.body.csrfToken;
  }
}

/** Fake timers for the settings transaction: time moves only when the test says so. */
export class FakeClock implements Timers {
  now = 1_800_000_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = until;
  }
}

/** Lets queued promise work finish (the transaction runs its steps on a promise chain). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
