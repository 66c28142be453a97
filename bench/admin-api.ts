/**
 * Admin API benchmark (issue 6, item 7): the server runs in a child process of its own, as it runs
 * inside the router; this process is the load generator on loopback.
 *   - first paint (API part): the requests a page makes before it can draw the dashboard (status,
 *     CSRF token, login, dashboard snapshot) — bytes and time, login included (scrypt N=2^15);
 *   - latency p50/p99 of the API under 20 concurrent keep-alive clients (dashboard snapshot, a page
 *     of 200 peers, status), and throughput;
 *   - the cost of one dashboard tick pushed to 20 SSE subscribers (serialized once);
 *   - the server's RSS cost: the router's modules loaded first (baseline), then the admin modules,
 *     the app listening, and after the load.
 * The general rate limit is raised for the run: 20 clients from 127.0.0.1 are one client to it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runIfMain } from './run-if-main.js';

const CLIENTS = 20;
const REQUESTS_PER_CLIENT = 150;
const WARMUP = 200;
const PEERS = 200;
const PASSWORD = 'bench password 1';
const SERVER_FLAG = '--admin-bench-server';

type Msg = { type: string; [k: string]: unknown };

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Number((process.memoryUsage().rss / 1024 / 1024).toFixed(1));
}

/** The child: the admin server over a programmable router view, as in the API tests. */
async function serverMain(): Promise<void> {
  await import('../src/router/router.js');
  const baseline = rssMiB();
  const { buildAdminApp, AdminServer } = await import('../src/admin/server.js');
  const { SettingsService } = await import('../src/admin/settings/settings-service.js');
  const { SettingsTransaction } = await import('../src/admin/settings/transaction.js');
  const { CredentialStore } = await import('../src/admin/auth/credentials.js');
  const { AddressBook } = await import('../src/admin/addressbook/address-book.js');
  const { BackupService } = await import('../src/admin/backup/backup-service.js');
  const { HostCheck } = await import('../src/admin/host-check.js');
  const { LogRingBuffer } = await import('../src/admin/log-buffer.js');
  const { SystemHealthMonitor } = await import('../src/admin/system-health.js');
  const { defaultConfig } = await import('../src/config/options.js');
  const { silentLogger } = await import('../src/util/log.js');
  const { fakeRouter } = await import('../test/unit/admin/fixture.js');
  const modulesLoaded = rssMiB();

  const datadir = mkdtempSync(join(tmpdir(), 'ggadmin-bench-'));
  const log = silentLogger();
  const config = { ...defaultConfig('/nonexistent'), datadir };
  const router = fakeRouter();
  router.values.peers = PEERS;
  const credentials = await CredentialStore.load(datadir);
  await credentials.set(PASSWORD);
  const admin = await buildAdminApp({
    router,
    gateway: {},
    logs: new LogRingBuffer(),
    credentials,
    settings: new SettingsService({ config, configFile: join(datadir, 'garlicgate.conf'), commandLine: new Set(), runtime: router, network: { apply: async () => undefined }, transaction: new SettingsTransaction({ log }), log }),
    addressBook: await AddressBook.load(datadir, log),
    backup: new BackupService({ datadir, configFile: join(datadir, 'garlicgate.conf'), software: 'bench', log }),
    system: new SystemHealthMonitor({ datadir }),
    process: { shutdown: () => undefined },
    hostCheck: new HostCheck({ names: [], addresses: ['127.0.0.1'] }),
    requestFactoryReset: async () => undefined,
    log,
    rateLimits: { perClientPerMinute: 1e9 },
    maxStreams: 32,
    // The bench drives the ticks it times; the timer would only add noise.
    dashboardIntervalMs: 3_600_000,
  });
  const server = await AdminServer.start(admin, ['127.0.0.1'], 0, log);
  const listening = rssMiB();
  process.send!({ type: 'ready', port: server.boundPort(), rss: { baseline, modulesLoaded, listening } });

  process.on('message', async (m: Msg) => {
    if (m.type === 'tick') {
      const runs = 200;
      let bytes = 0;
      const sink = (json: string): boolean => ((bytes = json.length), true);
      void sink;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) {
        router.values.bytesIn += 1000;
        admin.dashboard.tick();
      }
      const perTickUs = ((performance.now() - t0) * 1000) / runs;
      process.send!({ type: 'tick', perTickUs: Number(perTickUs.toFixed(1)), subscribers: admin.dashboard.subscribers, snapshotBytes: bytes });
    }
    if (m.type === 'report') {
      const rss = rssMiB();
      // V8 gives heap back after a quiet while; measure again after 10 s without requests.
      await new Promise((r) => setTimeout(r, 10_000));
      const idle = rssMiB();
      const mu = process.memoryUsage();
      const mib = (n: number): number => Number((n / 1024 / 1024).toFixed(1));
      process.send!({ type: 'report', rss: { afterLoad: rss, afterIdle10s: idle }, memoryMiB: { heapTotal: mib(mu.heapTotal), heapUsed: mib(mu.heapUsed), external: mib(mu.external), arrayBuffers: mib(mu.arrayBuffers) } });
      await server.close();
      rmSync(datadir, { recursive: true, force: true });
      process.exit(0);
    }
  });
}

function next(child: ChildProcess, type: string): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const on = (m: Msg): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code})`)));
  });
}

interface Res {
  status: number;
  body: Buffer;
  setCookie: string[];
  ms: number;
}

function call(agent: Agent, port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), setCookie: res.headers['set-cookie'] ?? [], ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2));
}

export async function benchAdminApi(): Promise<Record<string, unknown>> {
  const child = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const ready = await next(child, 'ready');
    const port = ready.port as number;
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

    // First paint, as a page would do it a moment after the router started (systeminformation's
    // first CPU reading, taken at start, needs about half a second).
    await new Promise((r) => setTimeout(r, 1000));
    const cookieOf = (r: Res): string => r.setCookie.map((c) => c.split(';')[0]).join('; ');
    const t0 = performance.now();
    const status = await call(agent, port, 'GET', '/api/v1/status');
    const csrf = await call(agent, port, 'GET', '/api/v1/auth/csrf');
    let cookie = cookieOf(csrf);
    const login = await call(agent, port, 'POST', '/api/v1/auth/login', { cookie, 'x-csrf-token': JSON.parse(csrf.body.toString()).csrfToken }, JSON.stringify({ password: PASSWORD }));
    if (login.status !== 200) throw new Error(`bench login failed: ${login.status}`);
    cookie = cookieOf(login);
    const dash = await call(agent, port, 'GET', '/api/v1/dashboard', { cookie });
    const firstPaint = {
      requests: 4,
      bytes: status.body.length + csrf.body.length + login.body.length + dash.body.length,
      dashboardBytes: dash.body.length,
      ms: Number((performance.now() - t0).toFixed(1)),
      loginMs: Number(login.ms.toFixed(1)),
      dashboardMs: Number(dash.ms.toFixed(1)),
    };

    const paths = ['/api/v1/dashboard', `/api/v1/peers?limit=${PEERS}`, '/api/v1/status'];
    for (let i = 0; i < WARMUP; i++) await call(agent, port, 'GET', paths[i % paths.length]!, { cookie });
    // One client alone: the latency without queueing.
    const serial: number[] = [];
    for (let i = 0; i < 300; i++) serial.push((await call(agent, port, 'GET', paths[i % paths.length]!, { cookie })).ms);
    const lat: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p, []]));
    const all: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
          const p = paths[(c + i) % paths.length]!;
          const r = await call(agent, port, 'GET', p, { cookie });
          if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
          lat[p]!.push(r.ms);
          all.push(r.ms);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const stats = (xs: number[]) => {
      const s = xs.slice().sort((a, b) => a - b);
      return { p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: Number(s[s.length - 1]!.toFixed(2)) };
    };

    // 20 SSE subscribers, then time the ticks.
    const streams = await Promise.all(
      Array.from(
        { length: CLIENTS },
        () =>
          new Promise<() => void>((resolve, reject) => {
            const req = request({ host: '127.0.0.1', port, path: '/api/v1/dashboard/stream', headers: { cookie } }, (res) => {
              res.resume();
              resolve(() => req.destroy());
            });
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    child.send({ type: 'tick' });
    const tick = await next(child, 'tick');
    for (const close of streams) close();
    agent.destroy();

    child.send({ type: 'report' });
    const report = await next(child, 'report');
    const rss = { ...(ready.rss as Record<string, number>), ...(report.rss as Record<string, number>) };
    return {
      firstPaint,
      oneClient: { requests: serial.length, ...stats(serial) },
      load: {
        clients: CLIENTS,
        requests: all.length,
        requestsPerSecond: Math.round(all.length / seconds),
        all: stats(all),
        dashboard: stats(lat[paths[0]!]!),
        peers200: stats(lat[paths[1]!]!),
        status: stats(lat[paths[2]!]!),
      },
      sse: { subscribers: tick.subscribers, perTickUs: tick.perTickUs, note: 'sample, aggregate, serialize once, write to every subscriber' },
      rssMiB: {
        ...rss,
        adminModules: Number((rss.modulesLoaded! - rss.baseline!).toFixed(1)),
        adminListening: Number((rss.listening! - rss.baseline!).toFixed(1)),
        adminAfterLoad: Number((rss.afterLoad! - rss.baseline!).toFixed(1)),
        adminAfterIdle: Number((rss.afterIdle10s! - rss.baseline!).toFixed(1)),
        note: 'baseline = node with the router modules loaded; afterLoad right after 3,000 requests in 3 s (V8 young generation at its largest), afterIdle10s once V8 has given heap back',
      },
      memoryAfterLoadMiB: report.memoryMiB,
    };
  } finally {
    child.kill();
  }
}

if (process.argv.includes(SERVER_FLAG)) void serverMain();
else runIfMain(import.meta.url, benchAdminApi);
