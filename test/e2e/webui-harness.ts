/**
 * What the admin page's browser tests (webui.test.ts) and its benchmark (bench/webui.ts) share: the
 * real router — the compiled CLI, with its admin server — on loopback, with a second router as its
 * one peer, and Debian's Chromium driven by playwright-core with every request that would leave the
 * box refused and recorded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { reseedZipOf } from '../helpers/zip.js';
import { waitFor } from '../interop/testnet.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Headless, no sandbox (root in CI), and none of Chromium's own background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
/** The repository: dist/test/e2e → ../../.. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEBUI_DIST = join(REPO_ROOT, 'webui', 'dist');

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A `garlicgate` process (the compiled CLI) and its output. */
export class RouterProcess {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly datadir: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(process.execPath, [cli, `--datadir=${datadir}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForLog(text: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.output.includes(text), timeoutMs, `"${text}" in the router's log`, {
      abortIf: () => (this.running ? undefined : `the router exited:\n${this.output.slice(-2000)}`),
    });
  }

  /** SIGTERM, then SIGKILL if it has not stopped after 15 s. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Exit status of a restart asked from the admin UI (src/cli.ts): the supervisor starts it again. */
const RESTART_EXIT_CODE = 75;

export interface AdminBox {
  /** Our router, with the admin UI (the current process, when supervised). */
  router: RouterProcess;
  /** Its one peer (admin UI off). */
  peer: RouterProcess;
  url: string;
  work: string;
  /** Processes of our router started so far (restarts by the supervisor included). */
  starts: number;
  close(): Promise<void>;
}

/**
 * Two routers on loopback, netId 99 (never the real network): the peer starts first; our router
 * bootstraps from a reseed zip of the peer's RouterInfo, so it has one peer and one netDb entry to
 * show. Our router serves the admin UI (the built page in webui/dist) on 127.0.0.1.
 *
 * `supervised`: this process plays systemd for our router — INVOCATION_ID is set (the CLI then offers
 * restart) and an exit with status 75 (restart asked from the UI) starts it again, as the unit's
 * Restart=on-failure would.
 */
export async function startAdminBox(prefix: string, opts: { supervised?: boolean } = {}): Promise<AdminBox> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const peerDir = join(work, 'peer');
  const ourDir = join(work, 'router');
  const peer = new RouterProcess(peerDir, ['--netid=99', '--host=127.0.0.1', `--port=${await freePort()}`, '--reseed.urls=', '--http.enabled=false']);
  await peer.waitForLog('NTCP2 listening');
  await waitFor(() => existsSync(join(peerDir, 'router.info')), 10_000, "the peer's router.info");
  const zip = join(work, 'seed.zip');
  writeFileSync(zip, await reseedZipOf([readFileSync(join(peerDir, 'router.info'))]));
  const httpPort = await freePort();
  const args = ['--netid=99', '--host=127.0.0.1', `--port=${await freePort()}`, `--reseed.zipfile=${zip}`, `--http.port=${httpPort}`];
  let closing = false;
  const env: Record<string, string> = opts.supervised ? { INVOCATION_ID: 'ggwebui-e2e' } : {};
  const start = (): RouterProcess => {
    const r = new RouterProcess(ourDir, args, env);
    box.starts += 1;
    if (opts.supervised) {
      void r.exited.then((code) => {
        if (code === RESTART_EXIT_CODE && !closing) box.router = start();
      });
    }
    return r;
  };
  const box: AdminBox = {
    router: undefined as unknown as RouterProcess,
    peer,
    url: `http://127.0.0.1:${httpPort}/`,
    work,
    starts: 0,
    close: async () => {
      closing = true;
      await box.router.stop();
      await peer.stop();
    },
  };
  box.router = start();
  try {
    await box.router.waitForLog('admin UI listening');
  } catch (e) {
    await box.close();
    throw e;
  }
  return box;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface Browser {
  context: BrowserContext;
  /** Requests to anywhere but this machine: refused, and listed here. */
  external: string[];
  close(): Promise<void>;
}

/**
 * Chromium with a new empty profile (removed on close). With `guard` (the default) every request not
 * to loopback is aborted and recorded; the benchmark goes without it (interception costs time).
 */
export async function launchChromium(prefix: string, opts: { guard?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/run-tests.mjs installs it)`);
  const profile = mkdtempSync(join(tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const external: string[] = [];
  if (opts.guard ?? true) {
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if ((url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname)) return route.continue();
      if (url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      external.push(url.href);
      return route.abort('blockedbyclient');
    });
  }
  return {
    context,
    external,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
