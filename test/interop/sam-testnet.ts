// Interop helper (not a test file): a private i2pd network with a SAM bridge on one router and an
// HTTP server of the test process published as I2P server tunnels on another, for the SAM backend's
// interop test and benchmark.
//
// Why this shape (see /work/shared/notes/i2pd-testnet.md): SAM runs on a NON-floodfill i2pd (a client
// destination on an i2pd floodfill may mis-parse LeaseSet2s from its own netDb and hang its first
// connection for a minute); the server tunnels live on another non-floodfill, so every stream crosses
// real tunnels and the LeaseSet must be found through the floodfills.
//
// Two server tunnels point at the same HTTP server: `named`, whose destination the SAM router's
// address book knows as NAMED_HOST (i2pd 2.45.1 reads `hosts.txt` in its datadir, `name=<base64
// destination>` per line, when `addressbook/addresses.csv` does not exist yet), and `anon`, known only
// by its b32, so looking it up needs its LeaseSet from the netDb. Their keys files are written by i2pd
// itself on the identity-creating first start (I2pdNetwork.init()); we read the destinations from them.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SamStreamBackend } from '../../src/client/sam/sam-backend.js';
import { base32Encode } from '../../src/data/base32.js';
import { I2PBackendError } from '../../src/gateway/i2p-backend.js';
import { I2pdNetwork, type I2pdRouter } from './testnet.js';

export const NAMED_HOST = 'garlic-test.i2p';

export interface ServerDestination {
  /** I2P base64 of the Destination. */
  destination: string;
  /** `<52 chars>.b32.i2p`. */
  b32: string;
}

export interface SamTestNetOptions {
  /** i2pd routers get 198.18.0.<firstAddress..firstAddress+4>. */
  firstAddress: number;
  basePort: number;
  httpBasePort: number;
  samBasePort: number;
  /** Hops of the server tunnels' inbound tunnels (default 2). */
  serverHops?: number;
  i2pdLogLevel?: 'debug' | 'info';
  /** Also a SAM bridge on the server router (hidden services published there, fetched through router 3's). */
  samOnServerRouter?: boolean;
}

/** Router roles: 0–2 floodfills, 3 SAM bridge, 4 server tunnels. */
const SAM_ROUTER = 3;
const SERVER_ROUTER = 4;

/**
 * `n` bytes of a fixed pseudo-random pattern (SHA-256 counter stream), what GET /bytes/<n> serves:
 * the reader can check every byte without the page being sent along.
 */
export function patternBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let off = 0, i = 0; off < n; off += 32, i++) {
    createHash('sha256').update(`garlicgate-sam-${i}`).digest().copy(out, off, 0, Math.min(32, n - off));
  }
  return out;
}

/** The Destination at the start of an i2pd keys file (PrivateKeys: Destination, then private keys). */
export function destinationOfKeysFile(file: string): ServerDestination {
  const keys = fs.readFileSync(file);
  // common-structures KeysAndCert: 384 bytes of keys, certificate type (1), length (2), payload.
  if (keys.length < 387) throw new Error(`${file}: too short for a Destination (${keys.length} bytes)`);
  const len = 387 + keys.readUInt16BE(385);
  if (keys.length < len) throw new Error(`${file}: truncated Destination`);
  const dest = keys.subarray(0, len);
  return {
    destination: dest.toString('base64').replace(/\+/g, '-').replace(/\//g, '~'),
    b32: `${base32Encode(createHash('sha256').update(dest).digest())}.b32.i2p`,
  };
}

export class SamTestNet {
  readonly net: I2pdNetwork;
  named!: ServerDestination;
  anon!: ServerDestination;
  /** Requests the HTTP server answered. */
  served = 0;

  private constructor(
    readonly opts: SamTestNetOptions,
    private readonly server: http.Server,
    private readonly confDir: string,
  ) {
    this.net = new I2pdNetwork({
      count: 5,
      floodfills: 3,
      firstAddress: opts.firstAddress,
      basePort: opts.basePort,
      httpBasePort: opts.httpBasePort,
      sam: opts.samOnServerRouter ? [SAM_ROUTER, SERVER_ROUTER] : [SAM_ROUTER],
      samBasePort: opts.samBasePort,
      logLevel: opts.i2pdLogLevel ?? 'info',
      extraOptions: (i): Record<string, string> => {
        if (i === SERVER_ROUTER) return { tunconf: path.join(confDir, 'tunnels.conf') };
        // The SAM router is restarted in the tests. Had it been a hop of the server's tunnels, those
        // would die with it and the server's LeaseSet would list dead leases for minutes (seen: every
        // stream stalled for over 3 minutes after a restart). It carries no transit tunnels, as a
        // gateway's own router need not.
        if (i === SAM_ROUTER) return { notransit: 'true' };
        return {};
      },
    });
  }

  /** The routers exist once init() ran. */
  get samRouter(): I2pdRouter {
    return this.net.routers[SAM_ROUTER]!;
  }

  get serverRouter(): I2pdRouter {
    return this.net.routers[SERVER_ROUTER]!;
  }

  get samPort(): number {
    return this.samRouter.samPort!;
  }

  get httpPort(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** HTTP server up, identities and server keys created, address book written, all routers started. */
  static async create(opts: SamTestNetOptions): Promise<SamTestNet> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gg-samnet-'));
    let t: SamTestNet | undefined;
    try {
      const port = (server.address() as AddressInfo).port;
      const hops = String(opts.serverHops ?? 2);
      // Outbound length 0: i2pd 2.45.1 drops a LeaseSet publication attempted before the destination
      // has an outbound tunnel and only tries again at the next LeaseSet change (measured: 30 s to
      // over 3 minutes). A zero-hop outbound tunnel exists at once, so the first inbound tunnel
      // publishes. Streams still cross the server's inbound tunnel and the client's two tunnels.
      const tunnel = (name: string): string =>
        [`[${name}]`, 'type=http', 'host=127.0.0.1', `port=${port}`, `keys=sam-test-${name}.dat`, 'signaturetype=7',
          `inbound.length=${hops}`, 'outbound.length=0', 'inbound.quantity=2', 'outbound.quantity=2', ''].join('\n');
      fs.writeFileSync(path.join(confDir, 'tunnels.conf'), tunnel('named') + tunnel('anon'));
      t = new SamTestNet(opts, server, confDir);
      server.on('request', (req, res) => t!.serve(req, res));
      await t.net.init();
      t.named = destinationOfKeysFile(path.join(t.serverRouter.dataDir, 'sam-test-named.dat'));
      t.anon = destinationOfKeysFile(path.join(t.serverRouter.dataDir, 'sam-test-anon.dat'));
      fs.rmSync(path.join(t.samRouter.dataDir, 'addressbook', 'addresses.csv'), { force: true });
      fs.writeFileSync(path.join(t.samRouter.dataDir, 'hosts.txt'), `${NAMED_HOST}=${t.named.destination}\n`);
      await t.net.start();
      return t;
    } catch (e) {
      await t?.stop();
      if (!t) {
        server.close();
        fs.rmSync(confDir, { recursive: true, force: true });
      }
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.net.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.confDir, { recursive: true, force: true });
  }

  /** The request headers of every `GET /hosts.txt`, as the HTTP server saw them (after i2pd's server tunnel). */
  readonly hostsRequests: http.IncomingHttpHeaders[] = [];
  /** What `GET /hosts.txt` serves (an address book subscription), with an ETag of its content. */
  hostsTxt = '';

  /** `GET /bytes/<n>`: n pattern bytes; `GET /hosts.txt` (conditional on If-None-Match); anything else 404. */
  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.served++;
    if (req.method === 'GET' && req.url === '/hosts.txt') {
      this.hostsRequests.push(req.headers);
      const etag = `"${createHash('sha256').update(this.hostsTxt).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', etag, 'content-length': Buffer.byteLength(this.hostsTxt) });
      res.end(this.hostsTxt);
      return;
    }
    const m = /^\/bytes\/(\d{1,9})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m || Number(m[1]) > 64 * 1024 * 1024) {
      res.writeHead(404).end();
      return;
    }
    const body = patternBytes(Number(m[1]));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  }
}

export interface HttpResult {
  status: number;
  body: Buffer;
  /** ms from the request written to the first response byte, and to the end. */
  firstByteMs: number;
  totalMs: number;
}

/** The stream went quiet before the response ended. */
export class StalledStream extends Error {
  constructor(readonly received: number, ms: number) {
    super(`stream stalled after ${received} bytes (${ms} ms without the end)`);
  }
}

/**
 * A plain HTTP/1.0 GET over an already connected stream (an I2P stream from SAM), read to the end:
 * the server closes after the response, which also checks that the stream's end arrives. Status 0:
 * the stream ended without a byte (i2pd says RESULT=OK before the peer answered; a peer that never
 * does gives an empty stream). No end within `timeoutMs`: the stream is destroyed, StalledStream.
 */
export async function httpGetOver(stream: NodeJS.ReadWriteStream & { destroy(): void }, host: string, urlPath: string, timeoutMs = 60_000): Promise<HttpResult> {
  const t0 = performance.now();
  let first = 0;
  let received = 0;
  const chunks: Buffer[] = [];
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    stream.destroy();
  }, timeoutMs);
  try {
    stream.write(`GET ${urlPath} HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
    for await (const c of stream as AsyncIterable<Buffer>) {
      if (chunks.length === 0) first = performance.now() - t0;
      received += c.length;
      chunks.push(c);
    }
  } catch (e) {
    if (!stalled) throw e;
  } finally {
    clearTimeout(timer);
  }
  if (stalled) throw new StalledStream(received, timeoutMs);
  const all = Buffer.concat(chunks);
  if (all.length === 0) return { status: 0, body: all, firstByteMs: 0, totalMs: performance.now() - t0 };
  const head = all.indexOf('\r\n\r\n');
  if (head < 0) throw new Error(`no HTTP header in ${all.length} bytes: ${JSON.stringify(all.subarray(0, 80).toString('latin1'))}`);
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(all.subarray(0, head).toString('latin1'));
  if (!status) throw new Error(`bad HTTP status line: ${JSON.stringify(all.subarray(0, 80).toString('latin1'))}`);
  return { status: Number(status[1]), body: all.subarray(head + 4), firstByteMs: first, totalMs: performance.now() - t0 };
}

/**
 * GET / of the I2P site `b32` through `client`, retried every 2 s while its LeaseSet is not found
 * yet (unreachable, stalled or empty streams) until `timeoutMs`. Asynchronous throughout: the site's
 * HTTP server is usually in the calling process. `detail()` is added to the timeout's message.
 */
export async function fetchSitePage(client: SamStreamBackend, b32: string, timeoutMs: number, detail: () => string = () => ''): Promise<{ body: string; attempts: number; ms: number }> {
  const start = Date.now();
  let last = '';
  for (let attempts = 1; ; attempts++) {
    try {
      const stream = await client.connect(b32, 80);
      const r = await httpGetOver(stream, b32, '/', 30_000);
      if (r.status === 200) return { body: r.body.toString(), attempts, ms: Date.now() - start };
      last = `status ${r.status}`;
    } catch (e) {
      if (!((e instanceof I2PBackendError && e.kind === 'unreachable') || e instanceof StalledStream)) throw e;
      last = (e as Error).message;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no page from ${b32} within ${timeoutMs} ms (${attempts} attempts); last: ${last}${detail()}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** A LAN service in the test process: one page for every request, counted. */
export class LanSite {
  served = 0;
  private constructor(readonly server: http.Server) {}

  static async start(page: string, contentType: string): Promise<LanSite> {
    const site = new LanSite(http.createServer((_req, res) => {
      site.served++;
      res.writeHead(200, { 'content-type': contentType }).end(page);
    }));
    await new Promise<void>((r) => site.server.listen(0, '127.0.0.1', r));
    return site;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * One GET / to a removed site `b32`: it must not answer 200. i2pd may still hold the LeaseSet for a
 * while: the stream then fails, finds nobody (empty) or stalls — all fine.
 */
export async function expectNoPage(client: SamStreamBackend, b32: string): Promise<void> {
  try {
    const s = await client.connect(b32, 80);
    const r = await httpGetOver(s, b32, '/', 20_000);
    if (r.status === 200) throw new Error(`a page from the removed site ${b32}`);
  } catch (e) {
    if (!(e instanceof I2PBackendError || e instanceof StalledStream)) throw e;
  }
}
