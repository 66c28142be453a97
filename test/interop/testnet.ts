/**
 * A private network of real i2pd 2.45.1 routers for interop tests.
 *
 * Every choice here follows /work/shared/notes/i2pd-testnet.md: routers live on 198.18.0.x inside the
 * `gg-interop` network namespace (i2pd drops peers from reserved ranges), netid 99, no reseed (router
 * i's netDb is seeded with the router.info files of routers 0..i-1 before start, see
 * I2pdNetworkOptions.seeding for why not all of them), webconsole on 127.0.0.1 with one port per
 * router. The harness deliberately does not use GarlicGate's own parsers (src/data):
 * it must stay a trustworthy outside view even when the code under test is wrong.
 *
 * Usage (inside the namespace, which `npm test` provides):
 *   const net = new I2pdNetwork({ count: 3, floodfills: 1 });
 *   await net.init(); await net.start();
 *   await net.routers[2].waitForSessionsWith([net.routers[0].identHashBase64()], 20_000);
 *   await net.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger, type Logger } from '../../src/util/log.js';
import { assertInsideInteropNetns } from './netns.js';

// ---------------------------------------------------------------------------------------------------
// Generic helpers

/** Where the Debian package puts i2pd (the brief says /usr/bin; bookworm ships both). */
const I2PD_CANDIDATES = ['/usr/bin/i2pd', '/usr/sbin/i2pd'];

/** Path of the i2pd binary ($I2PD_BIN first); throws, never skips, when it is missing. */
export function findI2pd(): string {
  const candidates = process.env.I2PD_BIN ? [process.env.I2PD_BIN] : I2PD_CANDIDATES;
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(`i2pd not found (looked at ${candidates.join(', ')}): install the Debian package i2pd (npm test does)`);
}

export interface WaitForOptions {
  /** Poll interval, default 250 ms. */
  intervalMs?: number;
  /** Called before each poll; a returned string aborts the wait at once with that reason. */
  abortIf?: () => string | undefined;
  /** Extra text appended to the timeout error (e.g. a log tail). */
  context?: () => string;
}

/**
 * Poll `predicate` until it returns true. A predicate that throws counts as "not yet" (a webconsole
 * that is still starting, say); the last such error is quoted in the timeout message.
 */
export async function waitFor(
  predicate: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  opts: WaitForOptions = {},
): Promise<void> {
  const interval = opts.intervalMs ?? 250;
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    const abort = opts.abortIf?.();
    if (abort !== undefined) throw new Error(`gave up waiting for ${what}: ${abort}`);
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      let msg = `timed out after ${timeoutMs} ms waiting for ${what}`;
      if (lastError !== undefined) msg += `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      const ctx = opts.context?.();
      if (ctx) msg += `\n${ctx}`;
      throw new Error(msg);
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, timeoutMs - elapsed)));
  }
}

/** I2P's base64 (`-` and `~` instead of `+` and `/`), as used in netDb file names and the webconsole. */
function i2pBase64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '~');
}

/**
 * SHA-256 of the RouterIdentity at the start of a RouterInfo (common-structures: 256-byte public key
 * field, 128-byte signing key field, certificate = type(1) length(2) payload). Checked, not trusted.
 */
export function routerInfoIdentHash(routerInfo: Uint8Array): Buffer {
  const KEYS = 384;
  if (routerInfo.length < KEYS + 3) throw new Error(`RouterInfo too short for a RouterIdentity: ${routerInfo.length} bytes`);
  const certLen = (routerInfo[KEYS + 1]! << 8) | routerInfo[KEYS + 2]!;
  const identLen = KEYS + 3 + certLen;
  if (routerInfo.length < identLen) throw new Error(`RouterInfo truncated inside its RouterIdentity certificate (${routerInfo.length} < ${identLen})`);
  return createHash('sha256').update(routerInfo.subarray(0, identLen)).digest();
}

export function routerInfoHashBase64(routerInfo: Uint8Array): string {
  return i2pBase64(routerInfoIdentHash(routerInfo));
}

/** i2pd's netDb layout: `netDb/r<first base64 char>/routerInfo-<base64 hash>.dat`. */
export function netDbRouterInfoPath(dataDir: string, hashB64: string): string {
  if (!/^[A-Za-z0-9~-]{43}=$/.test(hashB64)) throw new Error(`not an I2P base64 SHA-256 hash: '${hashB64}'`);
  return path.join(dataDir, 'netDb', `r${hashB64[0]}`, `routerInfo-${hashB64}.dat`);
}

function writeRouterInfoInto(dataDir: string, routerInfo: Buffer): string {
  const file = netDbRouterInfoPath(dataDir, routerInfoHashBase64(routerInfo));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, routerInfo);
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Webconsole parsing (i2pd 2.45.1 HTML, learnt by fetching the pages of running routers)

/** One established session as listed on `?page=transports`. */
export interface TransportSession {
  /** Section name: `NTCP2`, `SSU2`, `NTCP2v6`, `SSU2v6`. */
  transport: string;
  /**
   * i2pd prints only an abbreviation of the peer's ident hash: its first 4 base64 characters
   * (GetIdentHashAbbreviation). Compare with `hash.startsWith(identPrefix)`.
   */
  identPrefix: string;
  host: string;
  port: number;
  /** i2pd's `&#8658;` before the hash means it dialled out; after the endpoint, the peer dialled in. */
  outgoing: boolean;
  sentBytes: number;
  receivedBytes: number;
  /** Trailing flags such as `itag:123`, `queue:4`, `slow`. */
  flags: string[];
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const ARROW = '\u21d2'; // &#8658;
const SESSION_ITEM = new RegExp(
  `^(${ARROW}\\s*)?([A-Za-z0-9~=-]{1,44}):\\s+(\\[[0-9a-fA-F:.]+\\]|[0-9.]+):(\\d+)\\s*(${ARROW})?\\s*\\[(\\d+):(\\d+)\\]((?:\\s*\\[[^\\]]*\\])*)\\s*$`,
);

/**
 * Parse `?page=transports`. Layout (i2pd 2.45.1), one block per transport with sessions:
 *   <div class='slide'><label for='slide_ntcp2'><b>NTCP2</b> ( 2 )</label> ... <div class="slidecontent list">
 *   <div class="listitem">\r\nUgy4: 198.18.0.2:43855 &#8658;  [14942:9811]</div>
 *   <div class="listitem">\r\n &#8658; sFn4: 198.18.0.3:20003 [12862:17255]</div> ...
 * Throws when the page does not look like that (a changed format must fail tests, not empty them).
 */
export function parseTransportsPage(html: string): TransportSession[] {
  if (!/<b>Transports:<\/b>/.test(html)) throw new Error('not an i2pd transports page (no "Transports:" heading)');
  const sessions: TransportSession[] = [];
  const blocks = html.split("<div class='slide'>").slice(1);
  for (const block of blocks) {
    const head = /^<label for='slide_[a-z0-9]+'><b>([A-Za-z0-9]+)<\/b> \( (\d+) \)<\/label>/.exec(block);
    if (!head) throw new Error(`unexpected transports section header: ${JSON.stringify(block.slice(0, 120))}`);
    const transport = head[1]!;
    const declared = Number(head[2]);
    const items = [...block.matchAll(/<div class="listitem">([\s\S]*?)<\/div>/g)];
    for (const m of items) {
      const text = decodeEntities(m[1]!).replace(/\s+/g, ' ').trim();
      const p = SESSION_ITEM.exec(text);
      if (!p) throw new Error(`unparsable ${transport} session line: ${JSON.stringify(text)}`);
      sessions.push({
        transport,
        identPrefix: p[2]!,
        host: p[3]!.replace(/^\[|\]$/g, ''),
        port: Number(p[4]),
        outgoing: p[1] !== undefined,
        sentBytes: Number(p[6]),
        receivedBytes: Number(p[7]),
        flags: [...(p[8] ?? '').matchAll(/\[([^\]]*)\]/g)].map((f) => f[1]!),
      });
    }
    if (items.length !== declared) throw new Error(`${transport}: header announces ${declared} sessions, found ${items.length} lines`);
  }
  return sessions;
}

/** One line per session, for error messages: `NTCP2 to Ugy4 198.18.0.2:20002 [sent:received]`. */
export function describeSessions(sessions: TransportSession[]): string {
  if (sessions.length === 0) return 'none';
  return sessions
    .map((s) => `${s.transport} ${s.outgoing ? 'to' : 'from'} ${s.identPrefix} ${s.host}:${s.port} [${s.sentBytes}:${s.receivedBytes}]${s.flags.map((f) => ` [${f}]`).join('')}`)
    .join(', ');
}

/** What the webconsole's main page tells (all counts as i2pd sees them). */
export interface I2pdStatus {
  uptimeText: string;
  networkStatus: string;
  /** Full base64 ident hash of the router itself. */
  routerIdent: string;
  caps: string;
  /** Routers in its netDb (i2pd counts itself), floodfills among them, LeaseSets. */
  routers: number;
  floodfills: number;
  leaseSets: number;
  /** Inbound + outbound tunnels it owns (exploratory and client), and transit tunnels through it. */
  clientTunnels: number;
  transitTunnels: number;
}

/**
 * Parse the main page (`/`). Lines of interest (i2pd 2.45.1):
 *   <b>Uptime:</b> 20 seconds<br>  <b>Network status:</b> Testing<br>
 *   <b>Router Ident:</b> Ugy4Li-...05o=<br>  <b>Router Caps:</b> X<br>
 *   <b>Routers:</b> 3 <b>Floodfills:</b> 1 <b>LeaseSets:</b> 0<br>
 *   <b>Client Tunnels:</b> 11 <b>Transit Tunnels:</b> 30<br>
 */
export function parseStatusPage(html: string): I2pdStatus {
  const text = (label: string): string => {
    const m = new RegExp(`<b>${label}:</b>\\s*([^<]*)`).exec(html);
    if (!m) throw new Error(`i2pd main page: no "${label}:" field`);
    return decodeEntities(m[1]!).trim();
  };
  const num = (label: string): number => {
    const v = text(label);
    if (!/^\d+$/.test(v)) throw new Error(`i2pd main page: "${label}:" is not a number: ${JSON.stringify(v)}`);
    return Number(v);
  };
  return {
    uptimeText: text('Uptime'),
    networkStatus: text('Network status'),
    routerIdent: text('Router Ident'),
    caps: text('Router Caps'),
    routers: num('Routers'),
    floodfills: num('Floodfills'),
    leaseSets: num('LeaseSets'),
    clientTunnels: num('Client Tunnels'),
    transitTunnels: num('Transit Tunnels'),
  };
}

function httpGet(port: number, pathAndQuery: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET 127.0.0.1:${port}${pathAndQuery}: HTTP ${res.statusCode}`));
        else resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${pathAndQuery}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------
// Process bookkeeping: no i2pd may outlive the test process.

const liveProcesses = new Set<ChildProcess>();
/** Temporary base directories of networks not stopped yet, removed if the process dies first. */
const temporaryDirs = new Set<string>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const p of liveProcesses) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveProcesses.clear();
  for (const d of temporaryDirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  temporaryDirs.clear();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  killAllNow();
  process.removeListener('SIGINT', onFatalSignal);
  process.removeListener('SIGTERM', onFatalSignal);
  hooksInstalled = false;
  // Re-raise so the process dies of the signal as it would have without us.
  process.kill(process.pid, signal);
}

function track(p: ChildProcess): void {
  liveProcesses.add(p);
  p.once('exit', () => {
    liveProcesses.delete(p);
    if (liveProcesses.size === 0 && hooksInstalled) {
      process.removeListener('SIGINT', onFatalSignal);
      process.removeListener('SIGTERM', onFatalSignal);
      hooksInstalled = false;
    }
  });
  if (!hooksInstalled) {
    process.on('SIGINT', onFatalSignal);
    process.on('SIGTERM', onFatalSignal);
    hooksInstalled = true;
  }
}
process.on('exit', killAllNow);

// ---------------------------------------------------------------------------------------------------
// One i2pd router

export interface I2pdRouterSettings {
  index: number;
  address: string;
  ntcp2Port: number;
  ssu2Port: number;
  httpPort: number;
  samPort?: number;
  floodfill: boolean;
  netId: number;
  bandwidth: string;
  ntcp2: boolean;
  ssu2: boolean;
  logLevel: 'debug' | 'info';
  /** Dotted i2pd option names (`exploratory.inbound.length`), applied last. */
  extraOptions: Record<string, string>;
}

export class I2pdRouter {
  readonly index: number;
  readonly address: string;
  readonly ntcp2Port: number;
  readonly ssu2Port: number;
  readonly httpPort: number;
  readonly samPort?: number;
  readonly floodfill: boolean;
  readonly dataDir: string;
  private readonly settings: I2pdRouterSettings;
  private proc?: ChildProcess;
  private exitInfo?: string;
  private identHash?: string;

  constructor(
    settings: I2pdRouterSettings,
    dataDir: string,
    private readonly bin: string,
    private readonly log: Logger,
  ) {
    this.settings = settings;
    this.index = settings.index;
    this.address = settings.address;
    this.ntcp2Port = settings.ntcp2Port;
    this.ssu2Port = settings.ssu2Port;
    this.httpPort = settings.httpPort;
    if (settings.samPort !== undefined) this.samPort = settings.samPort;
    this.floodfill = settings.floodfill;
    this.dataDir = dataDir;
  }

  get configPath(): string {
    return path.join(this.dataDir, 'i2pd.conf');
  }

  get logPath(): string {
    return path.join(this.dataDir, 'i2pd.log');
  }

  get running(): boolean {
    return this.proc !== undefined && this.exitInfo === undefined;
  }

  /** The options, flat with dotted names (i2pd's config parser accepts `section.key=value` lines). */
  configOptions(): Map<string, string> {
    const s = this.settings;
    const b = (v: boolean): string => (v ? 'true' : 'false');
    const o = new Map<string, string>([
      ['log', 'file'],
      ['logfile', this.logPath],
      ['loglevel', s.logLevel],
      ['netid', String(s.netId)],
      // Published address and bind address: the 198.18 address, so peers see who we are.
      ['host', s.address],
      ['address4', s.address],
      ['nat', 'false'],
      ['ipv4', 'true'],
      ['ipv6', 'false'],
      ['port', String(s.ntcp2Port)],
      ['floodfill', b(s.floodfill)],
      // Non-floodfills default to L; client tunnels prefer O/P/X peers.
      ['bandwidth', s.bandwidth],
      ['ntcp2.enabled', b(s.ntcp2)],
      ['ntcp2.published', b(s.ntcp2)],
      ['ntcp2.port', String(s.ntcp2Port)],
      ['ssu2.enabled', b(s.ssu2)],
      ['ssu2.published', b(s.ssu2)],
      ['ssu2.port', String(s.ssu2Port)],
      ['http.enabled', 'true'],
      ['http.address', '127.0.0.1'],
      ['http.port', String(s.httpPort)],
      ['http.strictheaders', 'false'],
      // Their defaults (4444, 4447, 7656) would collide between routers of one namespace.
      ['httpproxy.enabled', 'false'],
      ['socksproxy.enabled', 'false'],
      ['sam.enabled', b(s.samPort !== undefined)],
      ['sam.address', '127.0.0.1'],
      ['sam.port', String(s.samPort ?? 0)],
      ['bob.enabled', 'false'],
      ['i2cp.enabled', 'false'],
      ['i2pcontrol.enabled', 'false'],
      // No reseed: bootstrap is by copying router.info files into netDb before start.
      ['reseed.urls', ''],
      ['reseed.threshold', '0'],
      // Keep the address book on (disabling it crashes 2.45.1 on SAM lookups; an empty subscription
      // URL aborts it after 3 minutes). Empty hosts.txt + a host that never resolves.
      ['addressbook.enabled', 'true'],
      ['addressbook.defaulturl', 'http://testnet.invalid/hosts.txt'],
      ['addressbook.subscriptions', 'http://testnet.invalid/hosts.txt'],
      ['upnp.enabled', 'false'],
      ['nettime.enabled', 'false'],
      // Every router shares the host clock; clock-skew tests must not be "corrected" from peers.
      ['nettime.frompeers', 'false'],
      ['persist.profiles', 'false'],
    ]);
    for (const [k, v] of Object.entries(s.extraOptions)) {
      if (!/^[a-z0-9]+(\.[A-Za-z0-9]+)*$/.test(k) || /[\r\n]/.test(v)) throw new Error(`bad i2pd option ${JSON.stringify(k)}=${JSON.stringify(v)}`);
      o.set(k, v);
    }
    return o;
  }

  /** Create the datadir, its i2pd.conf and the empty hosts.txt the address book wants. */
  prepare(): void {
    fs.mkdirSync(this.dataDir, { recursive: true });
    const lines = [`# i2pd #${this.index}, written by test/interop/testnet.ts`];
    for (const [k, v] of this.configOptions()) lines.push(`${k}=${v}`);
    fs.writeFileSync(this.configPath, lines.join('\n') + '\n');
    const hosts = path.join(this.dataDir, 'hosts.txt');
    if (!fs.existsSync(hosts)) fs.writeFileSync(hosts, '');
  }

  /**
   * Spawn i2pd and wait until its webconsole answers. `--datadir` must be on the command line (i2pd
   * ignores it in i2pd.conf). Detached: a Ctrl-C to the test's process group must not start i2pd's
   * 10-minute graceful shutdown (SIGINT); we stop it ourselves with SIGTERM.
   */
  async launch(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error(`i2pd #${this.index} is already running`);
    const out = fs.openSync(path.join(this.dataDir, 'stdout.log'), 'a');
    let p: ChildProcess;
    try {
      p = spawn(this.bin, [`--datadir=${this.dataDir}`, `--conf=${this.configPath}`], {
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      fs.closeSync(out);
    }
    this.proc = p;
    this.exitInfo = undefined;
    track(p);
    p.unref(); // the exit hook kills it; a forgotten stop() must not hang the test process
    p.once('error', (e) => {
      this.exitInfo ??= `spawn failed: ${e.message}`;
    });
    p.once('exit', (code, signal) => {
      this.exitInfo ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.log.debug({ router: this.index, exit: this.exitInfo }, 'i2pd exited');
    });
    this.log.debug({ router: this.index, pid: p.pid, address: this.address, httpPort: this.httpPort }, 'i2pd spawned');
    await this.waitFor(async () => {
      await this.webconsole('');
      return fs.existsSync(path.join(this.dataDir, 'router.info'));
    }, timeoutMs, `i2pd #${this.index} webconsole on 127.0.0.1:${this.httpPort}`);
  }

  /** SIGTERM (i2pd stops in about 2 s), SIGKILL after 5 s. */
  async terminate(): Promise<void> {
    const p = this.proc;
    if (!p || this.exitInfo !== undefined) return;
    const exited = new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) resolve();
      else p.once('exit', () => resolve());
    });
    p.kill('SIGTERM');
    const t0 = Date.now();
    // A ref'd timer: the child is unref'd, so this timer is what keeps the event loop alive meanwhile.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), 5000);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.warn({ router: this.index }, 'i2pd ignored SIGTERM for 5 s; SIGKILL');
      p.kill('SIGKILL');
      const keepAlive = setInterval(() => {}, 1000);
      await exited;
      clearInterval(keepAlive);
    }
    this.log.debug({ router: this.index, ms: Date.now() - t0 }, 'i2pd stopped');
  }

  /** The router's current router.info file (rewritten by i2pd when it republishes). */
  routerInfoBytes(): Buffer {
    return fs.readFileSync(path.join(this.dataDir, 'router.info'));
  }

  /** Base64 SHA-256 of its RouterIdentity (stable for the datadir's lifetime). */
  identHashBase64(): string {
    this.identHash ??= routerInfoHashBase64(this.routerInfoBytes());
    return this.identHash;
  }

  /** Copy router.info out (e.g. into test/fixtures); returns the bytes. */
  copyRouterInfoTo(destFile: string): Buffer {
    const ri = this.routerInfoBytes();
    fs.mkdirSync(path.dirname(destFile), { recursive: true });
    fs.writeFileSync(destFile, ri);
    return ri;
  }

  /** Put a RouterInfo into its netDb directory. i2pd reads netDb only at start: call before launch. */
  addRouterInfo(routerInfo: Buffer): string {
    return writeRouterInfoInto(this.dataDir, routerInfo);
  }

  /** GET a webconsole page; `page` is what follows the `/`, e.g. `?page=transports` ('' = main page). */
  async webconsole(page: string): Promise<string> {
    return httpGet(this.httpPort, '/' + page.replace(/^\//, ''), 5000);
  }

  async status(): Promise<I2pdStatus> {
    return parseStatusPage(await this.webconsole(''));
  }

  async transportSessions(): Promise<TransportSession[]> {
    return parseTransportsPage(await this.webconsole('?page=transports'));
  }

  /**
   * Established sessions per transport, as ident-hash abbreviations exactly as shown (the first 4
   * base64 characters; i2pd never prints more). IPv6 sections are folded in.
   */
  async transports(): Promise<{ ntcp2: string[]; ssu2: string[] }> {
    const all = await this.transportSessions();
    const of = (name: string): string[] => all.filter((s) => s.transport.replace(/v6$/, '') === name).map((s) => s.identPrefix);
    return { ntcp2: of('NTCP2'), ssu2: of('SSU2') };
  }

  /** True when an established session with that router (full base64 hash) is listed. */
  async hasSessionWith(hashB64: string, transport?: 'NTCP2' | 'SSU2'): Promise<boolean> {
    return (await this.transportSessions()).some(
      (s) => hashB64.startsWith(s.identPrefix) && (transport === undefined || s.transport.replace(/v6$/, '') === transport),
    );
  }

  /**
   * Wait until established sessions with every given router (full base64 hashes) are listed, and
   * return those sessions. On timeout the error shows what the transports page listed last.
   */
  async waitForSessionsWith(hashesB64: string[], timeoutMs: number, transport?: 'NTCP2' | 'SSU2'): Promise<TransportSession[]> {
    let last: TransportSession[] = [];
    const match = (h: string): TransportSession | undefined =>
      last.find((s) => h.startsWith(s.identPrefix) && (transport === undefined || s.transport.replace(/v6$/, '') === transport));
    try {
      await this.waitFor(
        async () => {
          last = await this.transportSessions();
          return hashesB64.every((h) => match(h) !== undefined);
        },
        timeoutMs,
        `i2pd #${this.index} (${this.address}) to list ${transport ?? 'NTCP2/SSU2'} sessions with ${hashesB64.map((h) => h.slice(0, 4)).join(', ')}`,
      );
    } catch (e) {
      (e as Error).message = `${(e as Error).message}\nsessions listed last: ${describeSessions(last)}`;
      throw e;
    }
    return hashesB64.map((h) => match(h)!);
  }

  /**
   * RouterInfo files in its netDb directory (absolute paths). i2pd writes newly learnt RouterInfos to
   * disk only on its periodic save (about a minute), so the directory lags its memory.
   */
  async netDbRouterInfoFiles(): Promise<string[]> {
    const root = path.join(this.dataDir, 'netDb');
    const out: string[] = [];
    let subdirs: string[];
    try {
      subdirs = await fsp.readdir(root);
    } catch {
      return out;
    }
    for (const d of subdirs.sort()) {
      if (!d.startsWith('r')) continue;
      const entries = await fsp.readdir(path.join(root, d)).catch(() => [] as string[]);
      for (const f of entries.sort()) if (/^routerInfo-.*\.dat$/.test(f)) out.push(path.join(root, d, f));
    }
    return out;
  }

  hasRouterInfo(hashB64: string): boolean {
    return fs.existsSync(netDbRouterInfoPath(this.dataDir, hashB64));
  }

  logText(): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  private logTail(lines = 20): string {
    const all = this.logText().trimEnd().split('\n');
    return `--- last ${Math.min(lines, all.length)} lines of ${this.logPath} ---\n${all.slice(-lines).join('\n')}`;
  }

  /** {@link waitFor}, aborted at once if this i2pd dies, with its log tail in the error. */
  async waitFor(predicate: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
    await waitFor(predicate, timeoutMs, what, {
      abortIf: () => (this.exitInfo !== undefined ? `i2pd #${this.index} ${this.exitInfo}\n${this.logTail()}` : undefined),
      context: () => this.logTail(),
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// The network

export interface I2pdNetworkOptions {
  count: number;
  /** The first `floodfills` routers are floodfills. */
  floodfills: number;
  /** Parent of the routers' datadirs; default a fresh directory under os.tmpdir(), removed by stop(). */
  baseDir?: string;
  /** Default 99 (anything but the real network's 2). */
  netId?: number;
  /** Router i gets 198.18.0.<firstAddress + i>; default 1. 198.18.0.250 is reserved for the netns probe. */
  firstAddress?: number;
  /**
   * Which i2pd routers know which at start. 'ordered' (default): router i is seeded with routers
   * 0..i-1 only, so for each pair only one side can dial first; the rest is learnt from handshakes and
   * the floodfills. 'full': everyone knows everyone (as in the notes), so all routers dial each other
   * at the same instant, and i2pd 2.45.1 mishandles simultaneous dials: SSU2 handshakes all fail
   * (each side takes the other's SessionRequest for the reply to its own) and NTCP2 sometimes drops
   * the incoming session as "already exists" in favour of an outgoing one that never completes,
   * leaving a half-dead session on the peer for minutes. Measured (every pair listing the other with
   * traffic both ways): 'ordered' 3 routers 12/12 within 2.1 s, 5 routers 6/6 within 7.2 s, SSU2
   * sessions working; 'full' 3 routers 11/12 in about 2 s, 5 routers 0/3 within 45 s, no SSU2
   * session ever. Starting 'full' routers 1 s apart did not help (5 routers: 4/6).
   */
  seeding?: 'ordered' | 'full';
  /** RouterInfos (ours, say) copied into every i2pd's netDb before start. */
  extraRouterInfos?: Buffer[];
  /** Bandwidth class/limit for every router; default X. */
  bandwidth?: string;
  /** Default true; both transports are published when enabled. */
  ntcp2?: boolean;
  ssu2?: boolean;
  /** Router i listens on NTCP2 and SSU2 port basePort + i (default 20000). */
  basePort?: number;
  /** Router i's webconsole is 127.0.0.1:(httpBasePort + i) (default 17000). */
  httpBasePort?: number;
  /** Indices of routers with SAM enabled, on 127.0.0.1:(samBasePort + i) (default 17600). */
  sam?: number[];
  samBasePort?: number;
  /** i2pd log level (file `i2pd.log` in each datadir); default debug. */
  logLevel?: 'debug' | 'info';
  /** More i2pd options (dotted names), for all routers or per router index. */
  extraOptions?: Record<string, string> | ((index: number) => Record<string, string>);
  /** Keep the datadirs after stop() (default: keep only when $GG_KEEP_TESTNET is set). */
  keepFiles?: boolean;
  log?: Logger;
}

export class I2pdNetwork {
  readonly routers: I2pdRouter[] = [];
  readonly baseDir: string;
  private readonly opts: I2pdNetworkOptions;
  private readonly ownsBaseDir: boolean;
  private readonly log: Logger;
  private state: 'new' | 'initialised' | 'started' | 'stopped' = 'new';

  constructor(opts: I2pdNetworkOptions) {
    const first = opts.firstAddress ?? 1;
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error(`count must be a positive integer, got ${opts.count}`);
    if (!Number.isInteger(opts.floodfills) || opts.floodfills < 0 || opts.floodfills > opts.count) {
      throw new Error(`floodfills must be between 0 and count (${opts.count}), got ${opts.floodfills}`);
    }
    if (!Number.isInteger(first) || first < 1 || first + opts.count - 1 > 249) {
      throw new Error(`addresses 198.18.0.${first}..${first + opts.count - 1} are outside 198.18.0.1-249`);
    }
    this.opts = opts;
    this.log = opts.log ?? silentLogger();
    this.ownsBaseDir = opts.baseDir === undefined;
    this.baseDir = opts.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gg-i2pd-'));
    if (this.ownsBaseDir && !this.keepFiles) temporaryDirs.add(this.baseDir);
  }

  private get keepFiles(): boolean {
    return this.opts.keepFiles ?? process.env.GG_KEEP_TESTNET !== undefined;
  }

  /**
   * Create every router's identity: start each once (in parallel; their netDbs are empty so they do
   * not meet), wait for router.info and the webconsole, stop.
   */
  async init(): Promise<void> {
    if (this.state !== 'new') throw new Error(`init() on a network that is ${this.state}`);
    await assertInsideInteropNetns();
    const bin = findI2pd();
    const o = this.opts;
    const first = o.firstAddress ?? 1;
    const basePort = o.basePort ?? 20000;
    const httpBase = o.httpBasePort ?? 17000;
    const samBase = o.samBasePort ?? 17600;
    for (let i = 0; i < o.count; i++) {
      const extra = typeof o.extraOptions === 'function' ? o.extraOptions(i) : (o.extraOptions ?? {});
      const settings: I2pdRouterSettings = {
        index: i,
        address: `198.18.0.${first + i}`,
        ntcp2Port: basePort + i,
        ssu2Port: basePort + i,
        httpPort: httpBase + i,
        floodfill: i < o.floodfills,
        netId: o.netId ?? 99,
        bandwidth: o.bandwidth ?? 'X',
        ntcp2: o.ntcp2 ?? true,
        ssu2: o.ssu2 ?? true,
        logLevel: o.logLevel ?? 'debug',
        extraOptions: extra,
      };
      if (o.sam?.includes(i)) settings.samPort = samBase + i;
      const r = new I2pdRouter(settings, path.join(this.baseDir, `i2pd-${i}`), bin, this.log);
      r.prepare();
      this.routers.push(r);
    }
    const t0 = Date.now();
    try {
      await Promise.all(this.routers.map((r) => r.launch()));
    } finally {
      await Promise.all(this.routers.map((r) => r.terminate()));
    }
    for (const r of this.routers) r.identHashBase64(); // fails here if a router.info is unusable
    this.state = 'initialised';
    this.log.info({ count: o.count, ms: Date.now() - t0, dir: this.baseDir }, 'i2pd identities created');
  }

  /**
   * Seed the netDbs (see {@link I2pdNetworkOptions.seeding}; extraRouterInfos go to every router),
   * then start all routers at once.
   */
  async start(): Promise<void> {
    if (this.state !== 'initialised') throw new Error(`start() needs init() first (network is ${this.state})`);
    const full = (this.opts.seeding ?? 'ordered') === 'full';
    const infos = this.routers.map((r) => r.routerInfoBytes());
    for (const r of this.routers) {
      infos.forEach((ri, j) => {
        if (j !== r.index && (full || j < r.index)) r.addRouterInfo(ri);
      });
      for (const ri of this.opts.extraRouterInfos ?? []) r.addRouterInfo(ri);
    }
    const t0 = Date.now();
    this.state = 'started';
    await Promise.all(this.routers.map((r) => r.launch()));
    this.log.info({ count: this.routers.length, ms: Date.now() - t0 }, 'i2pd network started');
  }

  /** Stop every router (SIGTERM, SIGKILL after 5 s) and remove our temporary directory. */
  async stop(): Promise<void> {
    await Promise.all(this.routers.map((r) => r.terminate()));
    if (this.state !== 'stopped') this.log.info({ dir: this.baseDir }, 'i2pd network stopped');
    this.state = 'stopped';
    if (this.ownsBaseDir && !this.keepFiles) {
      await fsp.rm(this.baseDir, { recursive: true, force: true });
      temporaryDirs.delete(this.baseDir);
    }
  }

  router(hashB64: string): I2pdRouter | undefined {
    return this.routers.find((r) => r.identHashBase64() === hashB64);
  }
}

/**
 * Produce a real i2pd router.info for fixtures: create one identity and copy its router.info to
 * `destFile`. Must run inside the interop namespace, e.g.
 *   ip netns add ggh-fixture && ip -n ggh-fixture link set lo up &&
 *   ip -n ggh-fixture route add local 198.18.0.0/16 dev lo &&
 *   ip netns exec ggh-fixture node -e "import('./dist/test/interop/testnet.js').then(m => m.captureI2pdRouterInfo('test/fixtures/i2pd-router.info'))"
 */
export async function captureI2pdRouterInfo(
  destFile: string,
  opts: Partial<Omit<I2pdNetworkOptions, 'count'>> = {},
): Promise<{ routerInfo: Buffer; hashB64: string }> {
  const net = new I2pdNetwork({ ...opts, count: 1, floodfills: opts.floodfills ?? 0 });
  try {
    await net.init();
    const r = net.routers[0]!;
    return { routerInfo: r.copyRouterInfoTo(destFile), hashB64: r.identHashBase64() };
  } finally {
    await net.stop();
  }
}
