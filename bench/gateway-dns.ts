/**
 * LAN gateway benchmark, on loopback with the client in the same process:
 * - DNS queries per second over UDP for a cached address-book name, a `.b32.i2p` name and a
 *   clearnet name (NXDOMAIN in I2P-only mode), with 32 queries outstanding;
 * - transparent proxy connection set-up (connect, one byte echoed) and bulk throughput, through
 *   the proxy vs direct to the same server, and the overhead ratio.
 * The backend is the local-TCP test double: the figures are the gateway's own cost; the I2P
 * stream cost (SAM, tunnels) comes on top and is measured with the SAM backend.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as dnsPacket from 'dns-packet';
import { base32Encode } from '../src/data/base32.js';
import { DnsResponder } from '../src/gateway/dns-responder.js';
import { DnsServer } from '../src/gateway/dns-server.js';
import { Ipv4Range } from '../src/gateway/ipv4-range.js';
import { NameChecker } from '../src/gateway/name-checker.js';
import { TransparentProxy } from '../src/gateway/transparent-proxy.js';
import { VirtualAddressMap } from '../src/gateway/virtual-address-map.js';
import { silentLogger } from '../src/util/log.js';
import { LocalTcpTestBackend } from '../test/helpers/local-tcp-test-backend.js';
import { runIfMain } from './run-if-main.js';

const DNS_QUERIES = 20_000;
const WINDOW = 32;
const CONNECTIONS = 300;
const BULK_BYTES = 256 * 1024 * 1024;

/** Queries per second for `name`, keeping WINDOW queries outstanding. */
async function dnsRate(port: number, name: string, expectRcode: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const queries = Array.from({ length: 256 }, (_, id) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }));
  let sent = 0;
  let received = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    // A lost datagram would stall the window: give up rather than hang.
    const watchdog = setTimeout(() => reject(new Error(`bench: DNS answers stopped after ${received}`)), 2000);
    sock.on('message', (m) => {
      watchdog.refresh();
      if ((m.readUInt16BE(2) & 0xf) !== expectRcode) return reject(new Error(`bench: ${name} answered rcode ${m.readUInt16BE(2) & 0xf}`));
      if (++received === DNS_QUERIES) {
        clearTimeout(watchdog);
        return resolve();
      }
      if (sent < DNS_QUERIES) sock.send(queries[sent++ & 255]!, port, '127.0.0.1');
    });
    for (; sent < WINDOW; sent++) sock.send(queries[sent & 255]!, port, '127.0.0.1');
  });
  const s = (performance.now() - t0) / 1000;
  sock.close();
  return Math.round(DNS_QUERIES / s);
}

async function benchDns(): Promise<Record<string, number>> {
  const backend = new LocalTcpTestBackend(() => undefined);
  backend.knownNames.add('site.i2p');
  const map = new VirtualAddressMap(new Ipv4Range('10.191.0.0/16'), { holdMs: 90_000 });
  const responder = new DnsResponder({ map, checker: new NameChecker(backend), mode: 'i2p', ttl: 30 });
  const server = new DnsServer({ responder, log: silentLogger(), udp: { host: '127.0.0.1', port: 0 }, limits: { rate: false } });
  await server.start();
  const port = server.addresses().udp!.port;
  try {
    await dnsRate(port, 'site.i2p', 0); // warm-up, and the name is now in the cache
    return {
      addressBookHitQps: await dnsRate(port, 'site.i2p', 0),
      b32Qps: await dnsRate(port, `${base32Encode(randomBytes(32))}.b32.i2p`, 0),
      nxdomainQps: await dnsRate(port, 'example.com', 3),
    };
  } finally {
    await server.stop();
  }
}

async function listenLocal(server: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as net.AddressInfo).port;
}

/** Mean ms from connect to the first byte echoed back, over CONNECTIONS sequential connections. */
async function setupMs(host: string, port: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < CONNECTIONS; i++) {
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host, port }, () => s.write('x'));
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  }
  return (performance.now() - t0) / CONNECTIONS;
}

/** MB/s of BULK_BYTES sent to a sink that answers with one byte when it saw them all. */
async function throughput(host: string, port: number): Promise<number> {
  const chunk = randomBytes(256 * 1024);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('error', reject);
    s.once('data', () => {
      s.destroy();
      resolve();
    });
    let sent = 0;
    const pump = (): void => {
      while (sent < BULK_BYTES) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
    };
    s.once('connect', pump);
  });
  return BULK_BYTES / 1e6 / ((performance.now() - t0) / 1000);
}

async function benchProxy(): Promise<Record<string, number | string>> {
  const echo = net.createServer((s) => s.pipe(s).on('error', () => {}));
  const sink = net.createServer((s) => {
    let n = 0;
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      n += d.length;
      if (n >= BULK_BYTES) s.end('!');
    });
  });
  const echoPort = await listenLocal(echo);
  const sinkPort = await listenLocal(sink);
  const backend = new LocalTcpTestBackend((target) => ({ host: '127.0.0.1', port: target === 'echo.i2p' ? echoPort : sinkPort }));
  // On loopback every 127.x.y.z is local: a range in 127/8 plays the TPROXYed virtual range.
  const map = new VirtualAddressMap(new Ipv4Range('127.79.0.0/16'), { holdMs: 600_000 });
  const proxy = new TransparentProxy({ backend, map, log: silentLogger(), listen: { host: '0.0.0.0', port: 0 } });
  await proxy.start();
  const proxyPort = proxy.address()!.port;
  const echoAddr = map.assign('echo.i2p', Date.now())!;
  const sinkAddr = map.assign('sink.i2p', Date.now())!;
  try {
    await setupMs(echoAddr, proxyPort); // warm-up
    const directSetup = await setupMs('127.0.0.1', echoPort);
    const proxySetup = await setupMs(echoAddr, proxyPort);
    const directMBps = await throughput('127.0.0.1', sinkPort);
    const proxyMBps = await throughput(sinkAddr, proxyPort);
    return {
      setupDirectMs: Number(directSetup.toFixed(3)),
      setupViaProxyMs: Number(proxySetup.toFixed(3)),
      throughputDirectMBps: Math.round(directMBps),
      throughputViaProxyMBps: Math.round(proxyMBps),
      throughputOverheadRatio: Number((directMBps / proxyMBps).toFixed(2)),
      note: `set-up: mean of ${CONNECTIONS} sequential connect + 1-byte echo; throughput: ${BULK_BYTES / 2 ** 20} MiB one way; local-TCP backend`,
    };
  } finally {
    await proxy.stop();
    await backend.close();
    echo.close();
    sink.close();
  }
}

export async function benchGatewayDns(): Promise<Record<string, unknown>> {
  return { dns: await benchDns(), proxy: await benchProxy() };
}

runIfMain(import.meta.url, benchGatewayDns);
