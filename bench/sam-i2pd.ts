/**
 * The SAM backend (src/client/sam) against i2pd 2.45.1 (issue 5, item 3): what our layer costs on
 * top of the bridge. One private network (test/interop/sam-testnet.ts: 5 i2pd, SAM on a
 * non-floodfill, an HTTP server behind an i2pd server tunnel) and ONE SAM session — our backend's —
 * used by two clients in turn:
 *  - the backend: connect(b32, 80), i.e. validation, HELLO and STREAM CONNECT through SamSocket and
 *    SamExchange, then the socket handed out;
 *  - a minimal direct SAM client: the same two command lines written by hand on a raw socket, the
 *    replies found with indexOf('\n') and not checked beyond `RESULT=OK`.
 *  - the LAN gateway's transparent proxy (src/gateway/transparent-proxy.ts) over the backend: a plain
 *    TCP connection to the virtual address of the b32 (a 127/8 range plays the TPROXYed virtual range
 *    on loopback), the proxy maps it back to the name and pipes it into the backend's stream — what
 *    a LAN client gets, minus the LAN link. Its ratio to the direct client is the gateway's overhead.
 * Same bridge, same session, same tunnels: what differs is only the client code. The data path of
 * the backend IS the raw socket (it hands out the socket itself), so throughput can only differ by
 * noise; the set-up figures show what the parsing and checks add to a stream's opening. The pure
 * cost of our codec is measured separately, without a bridge.
 * Runs inside a network namespace with 198.18.0.0/16 on lo (bench/run.ts makes ggh-bench-sam).
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { helloCommand, streamConnectCommand, streamStatusOutcome, helloOutcome } from '../src/client/sam/sam-commands.js';
import { SamExchange } from '../src/client/sam/sam-exchange.js';
import { SamStreamBackend } from '../src/client/sam/sam-backend.js';
import { I2PBackendError } from '../src/gateway/i2p-backend.js';
import { NAMED_HOST, SamTestNet, httpGetOver, patternBytes } from '../test/interop/sam-testnet.js';
import { Ipv4Range } from '../src/gateway/ipv4-range.js';
import { TransparentProxy } from '../src/gateway/transparent-proxy.js';
import { VirtualAddressMap } from '../src/gateway/virtual-address-map.js';
import { silentLogger } from '../src/util/log.js';
import { runIfMain } from './run-if-main.js';

const SETUP_ROUNDS = 30;
const BULK_ROUNDS = 8;
const MIB = 1024 * 1024;

/** The direct client: HELLO, STREAM CONNECT, the socket with whatever followed the reply line. */
async function directConnect(port: number, sessionId: string, destination: string): Promise<Socket> {
  const sock = tcpConnect({ host: '127.0.0.1', port });
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  const readLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const onData = (d: Buffer): void => {
        buf = Buffer.concat([buf, d]);
        const i = buf.indexOf(10);
        if (i < 0) return;
        sock.off('data', onData);
        sock.off('close', onClose);
        sock.pause();
        const line = buf.subarray(0, i).toString();
        buf = buf.subarray(i + 1);
        resolve(line);
      };
      const onClose = (): void => reject(new Error('bridge closed'));
      sock.on('data', onData);
      sock.once('close', onClose);
      sock.resume();
    });
  sock.write(`HELLO VERSION MIN=3.1 MAX=3.3\n`);
  if (!(await readLine()).includes('RESULT=OK')) throw new Error('direct HELLO failed');
  sock.write(`STREAM CONNECT ID=${sessionId} DESTINATION=${destination} SILENT=false TO_PORT=80\n`);
  const status = await readLine();
  if (!status.includes('RESULT=OK')) {
    sock.destroy();
    throw new I2PBackendError('unreachable', status);
  }
  if (buf.length > 0) sock.unshift(buf);
  return sock;
}

/** A plain TCP connection to the proxy, as a LAN client's to a virtual address (TPROXY on the box). */
async function proxiedConnect(virtual: string, proxyPort: number): Promise<Socket> {
  const sock = tcpConnect({ host: virtual, port: proxyPort });
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** What our codec and state machine cost per stream opening, no sockets: HELLO + STREAM CONNECT. */
function codecCost(): { usPerOpening: number } {
  const helloReply = Buffer.from('HELLO REPLY RESULT=OK VERSION=3.1\n');
  const streamReply = Buffer.from('STREAM STATUS RESULT=OK\n');
  const n = 100_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const x = new SamExchange();
    x.send(helloCommand(), 0, 1000);
    const h = x.receive(helloReply, 1)[0]!;
    if (h.type !== 'reply' || !helloOutcome(h.reply).ok) throw new Error('bench: hello');
    x.send(streamConnectCommand('garlicgate-0123456789ab', 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst.b32.i2p', 80), 2, 1000);
    const s = x.receive(streamReply, 3)[0]!;
    if (s.type !== 'reply' || !streamStatusOutcome(s.reply).ok) throw new Error('bench: stream');
    x.takeStream();
  }
  return { usPerOpening: ((performance.now() - t0) * 1000) / n };
}

export async function benchSamVsDirect(): Promise<Record<string, number | string>> {
  const codec = codecCost();
  const tn = await SamTestNet.create({ firstAddress: 81, basePort: 20810, httpBasePort: 17810, samBasePort: 17820 });
  const backend = new SamStreamBackend({
    host: '127.0.0.1',
    port: tn.samPort,
    sessionOptions: { 'inbound.length': '2', 'outbound.length': '2', 'inbound.quantity': '2', 'outbound.quantity': '2' },
  });
  let proxy: TransparentProxy | undefined;
  try {
    const t0 = performance.now();
    backend.start();
    await backend.whenReady(AbortSignal.timeout(150_000));
    const sessionMs = performance.now() - t0;
    const target = tn.anon.b32;
    const id = backend.sessionId!;
    // Both clients must reach the server before anything is timed (its LeaseSet may take a while).
    const deadline = Date.now() + 170_000;
    for (;;) {
      try {
        const s = await backend.connect(target, 80);
        if ((await httpGetOver(s, NAMED_HOST, '/bytes/16', 20_000)).status === 200) break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    const firstPageMs = performance.now() - t0;
    const map = new VirtualAddressMap(new Ipv4Range('127.78.0.0/16'), { holdMs: 600_000 });
    proxy = new TransparentProxy({ backend, map, log: silentLogger(), listen: { host: '0.0.0.0', port: 0 } });
    await proxy.start();
    const proxyPort = proxy.address()!.port;
    const virtual = map.assign(target, Date.now())!;
    const open = {
      backend: () => backend.connect(target, 80),
      direct: () => directConnect(tn.samPort, id, target),
      // Resolves once TCP is up, as a LAN client sees it; the proxy opens the I2P stream behind it.
      proxy: () => proxiedConnect(virtual, proxyPort),
    };
    type Who = keyof typeof open;
    const setup: Record<Who, number[]> = { backend: [], direct: [], proxy: [] };
    /** From starting to connect to the first byte of a 16-byte page: the set-up a client feels. */
    const firstByte: Record<Who, number[]> = { backend: [], direct: [], proxy: [] };
    const smallGet: Record<Who, number[]> = { backend: [], direct: [], proxy: [] };
    const bulk: Record<Who, number[]> = { backend: [], direct: [], proxy: [] };
    const orders: Who[][] = [['backend', 'direct', 'proxy'], ['proxy', 'direct', 'backend'], ['direct', 'proxy', 'backend']];
    const expected = patternBytes(MIB);
    // Rotate the clients so drift in the network (tunnel replacement, load) hits all alike.
    for (let i = 0; i < SETUP_ROUNDS; i++) {
      for (const who of orders[i % orders.length]!) {
        const c0 = performance.now();
        const s = await open[who]();
        const opened = performance.now() - c0;
        setup[who].push(opened);
        const r = await httpGetOver(s, NAMED_HOST, '/bytes/16', 30_000);
        firstByte[who].push(opened + r.firstByteMs);
        if (r.status !== 200) throw new Error(`bench: small GET via ${who}: status ${r.status}`);
        smallGet[who].push(r.totalMs);
      }
    }
    for (let i = 0; i < BULK_ROUNDS; i++) {
      for (const who of orders[i % orders.length]!) {
        const s = await open[who]();
        const r = await httpGetOver(s, NAMED_HOST, `/bytes/${MIB}`, 60_000);
        if (r.status !== 200 || !r.body.equals(expected)) throw new Error(`bench: 1 MiB via ${who}: status ${r.status}, ${r.body.length} bytes`);
        bulk[who].push(1 / (r.totalMs / 1000)); // one MiB per GET
      }
    }
    const su = { backend: median(setup.backend), direct: median(setup.direct) };
    const fb = { direct: median(firstByte.direct), proxy: median(firstByte.proxy) };
    const sg = { backend: median(smallGet.backend), direct: median(smallGet.direct), proxy: median(smallGet.proxy) };
    const bk = { backend: median(bulk.backend), direct: median(bulk.direct), proxy: median(bulk.proxy) };
    return {
      'session ready after start, ms (i2pd answers at its 20-s poll)': Math.round(sessionMs),
      'first page through I2P after start, ms (includes LeaseSet lookup)': Math.round(firstPageMs),
      'stream set-up ms median, backend': round(su.backend),
      'stream set-up ms median, direct SAM': round(su.direct),
      'stream set-up ratio backend/direct': round(su.backend / su.direct),
      '16-byte GET round trip ms median, backend': round(sg.backend),
      '16-byte GET round trip ms median, direct SAM': round(sg.direct),
      '1 MiB GET MiB/s median, backend': round(bk.backend),
      '1 MiB GET MiB/s median, direct SAM': round(bk.direct),
      '1 MiB throughput ratio backend/direct': round(bk.backend / bk.direct),
      'connect to first byte ms median, direct SAM': round(fb.direct),
      'connect to first byte ms median, through the transparent proxy (TCP -> proxy -> backend)': round(fb.proxy),
      'proxy overhead: connect-to-first-byte ratio proxy/direct SAM': round(fb.proxy / fb.direct),
      '1 MiB GET MiB/s median, through the transparent proxy': round(bk.proxy),
      'proxy overhead: throughput ratio proxy/direct SAM': round(bk.proxy / bk.direct),
      'codec + state machine per stream opening, µs (no I/O)': round(codec.usPerOpening),
      note:
        `${SETUP_ROUNDS} set-ups and ${BULK_ROUNDS} 1-MiB GETs per client, alternating, one session (2+2 hops client, server 2 in / 0 out), ` +
        'to a b32 whose LeaseSet the session holds; the backend hands out the raw socket, so its data path is the direct one',
    };
  } finally {
    await proxy?.stop();
    await backend.close();
    await tn.stop();
  }
}

runIfMain(import.meta.url, benchSamVsDirect);
