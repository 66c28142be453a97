/**
 * The proxy's routing and piping on loopback. Without TPROXY, a listener on 0.0.0.0 sees the
 * address a client dialled as the socket's local address, and every 127.x.y.z is local — so a
 * virtual range inside 127/8 exercises the same "local address = original destination" path the
 * TPROXY socket gives in production (test/e2e/transparent-proxy.test.ts does it with TPROXY).
 * The backend is LocalTcpTestBackend: plain local TCP, for the piping logic only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { Ipv4Range } from '../../../src/gateway/ipv4-range.js';
import { TransparentProxy, type TransparentProxyOptions } from '../../../src/gateway/transparent-proxy.js';
import { VirtualAddressMap } from '../../../src/gateway/virtual-address-map.js';
import { silentLogger } from '../../../src/util/log.js';
import { LocalTcpTestBackend, type LocalEndpoint } from '../../helpers/local-tcp-test-backend.js';

const RANGE = '127.77.0.0/16';

async function listen(server: net.Server): Promise<LocalEndpoint> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

function echoServer(): net.Server {
  return net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
}

interface Harness {
  proxy: TransparentProxy;
  backend: LocalTcpTestBackend;
  map: VirtualAddressMap;
  port: number;
  servers: net.Server[];
  stop(): Promise<void>;
}

/** Proxy + backend; `routes` maps a backend target to a local server. */
async function start(routes: Record<string, net.Server>, options: Partial<TransparentProxyOptions> = {}): Promise<Harness> {
  const endpoints = new Map<string, LocalEndpoint>();
  const farSockets = new Set<net.Socket>();
  for (const [name, server] of Object.entries(routes)) {
    server.on('connection', (s: net.Socket) => farSockets.add(s).size);
    endpoints.set(name, await listen(server));
  }
  const backend = new LocalTcpTestBackend((target) => endpoints.get(target));
  const map = new VirtualAddressMap(new Ipv4Range(RANGE), { holdMs: 60_000 });
  const proxy = new TransparentProxy({ backend, map, log: silentLogger(), listen: { host: '0.0.0.0', port: 0 }, ...options });
  await proxy.start();
  const servers = Object.values(routes);
  return {
    proxy,
    backend,
    map,
    port: proxy.address()!.port,
    servers,
    async stop() {
      await proxy.stop();
      await backend.close();
      for (const s of farSockets) s.destroy();
      for (const s of servers) await new Promise((r) => s.close(r));
    },
  };
}

/** Connects to the proxy as if to `address`; resolves with the socket once connected. */
async function dial(address: string, port: number): Promise<net.Socket> {
  const s = net.connect({ host: address, port, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** Dials and reads to the end at once (a reset may come before the connect is reported). */
function attempt(address: string, port: number): Promise<{ data: Buffer; end: 'fin' | 'reset' | 'close' }> {
  return drain(net.connect({ host: address, port, allowHalfOpen: true }));
}

/** Reads until the peer ends or resets; returns the bytes and how it ended. */
function drain(s: net.Socket): Promise<{ data: Buffer; end: 'fin' | 'reset' | 'close' }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let how: 'fin' | 'reset' | 'close' = 'close';
    s.on('data', (d: Buffer) => chunks.push(d));
    s.once('end', () => (how = 'fin'));
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') how = 'reset';
    });
    s.once('close', () => resolve({ data: Buffer.concat(chunks), end: how }));
  });
}

test('a connection to a virtual address reaches the name on the dialled port, both ways', async () => {
  const h = await start({ 'echo.i2p': echoServer() });
  try {
    const addr = h.map.assign('echo.i2p', Date.now())!;
    const s = await dial(addr, h.port);
    const payload = randomBytes(300_000);
    const got = drain(s);
    s.end(payload);
    const r = await got;
    assert.equal(r.end, 'fin');
    assert.ok(r.data.equals(payload));
    assert.deepEqual(h.backend.connects, [{ target: 'echo.i2p', port: h.port }]);
    await new Promise((r) => setTimeout(r, 50));
    const c = h.proxy.counters;
    assert.equal(c.connected, 1);
    assert.equal(c.bytesFromLan, payload.length);
    assert.equal(c.bytesToLan, payload.length);
    assert.equal(h.proxy.active, 0);
  } finally {
    await h.stop();
  }
});

test('addresses outside the range, unmapped virtual addresses and backend failures are reset and counted', async () => {
  const h = await start({ 'echo.i2p': echoServer() }, { connectTimeoutMs: 200 });
  try {
    const notVirtual = attempt('127.0.0.1', h.port);
    assert.equal((await notVirtual).end, 'reset');
    const unmapped = attempt('127.77.3.4', h.port);
    assert.equal((await unmapped).end, 'reset');
    h.map.assign('missing.i2p', Date.now());
    const unknownName = attempt(h.map.addressOf('missing.i2p')!, h.port);
    assert.equal((await unknownName).end, 'reset');
    const addr = h.map.assign('echo.i2p', Date.now())!;
    h.backend.failWith = 'unreachable';
    assert.equal((await attempt(addr, h.port)).end, 'reset');
    h.backend.failWith = undefined;
    h.backend.connectDelayMs = 5000;
    const t0 = Date.now();
    assert.equal((await attempt(addr, h.port)).end, 'reset');
    assert.ok(Date.now() - t0 < 2000, 'the connect deadline holds');
    const c = h.proxy.counters;
    assert.equal(c.rejected['not-virtual'], 1);
    assert.equal(c.rejected['unknown-address'], 1);
    assert.equal(c.failed['unknown-name'], 1);
    assert.equal(c.failed.unreachable, 1);
    assert.equal(c.failed.timeout, 1);
    assert.equal(c.connected, 0);
  } finally {
    await h.stop();
  }
});

test('half-close LAN → I2P: the client FIN reaches the far end, whose answer still comes back', async () => {
  // Answers only after the request side ended (like an HTTP/1.0 server reading to EOF).
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => setTimeout(() => s.end(`got ${n} bytes`), 50));
  });
  const h = await start({ 'count.i2p': server });
  try {
    const addr = h.map.assign('count.i2p', Date.now())!;
    const s = await dial(addr, h.port);
    const got = drain(s);
    s.end(Buffer.alloc(12345));
    const r = await got;
    assert.equal(r.data.toString(), 'got 12345 bytes');
    assert.equal(r.end, 'fin');
    // The request and its FIN arrive before the stream is open: both are held and passed on.
    h.backend.connectDelayMs = 200;
    const t = net.connect({ host: addr, port: h.port, allowHalfOpen: true });
    const gotEarly = drain(t);
    t.end(Buffer.alloc(777));
    assert.equal((await gotEarly).data.toString(), 'got 777 bytes');
  } finally {
    await h.stop();
  }
});

test('half-close I2P → LAN: the far end FINs first, the client can still send', async () => {
  let received = 0;
  let serverDone!: (n: number) => void;
  const serverReceived = new Promise<number>((resolve) => (serverDone = resolve));
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.end('bye early');
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('end', () => serverDone(received));
  });
  const h = await start({ 'early.i2p': server });
  try {
    const s = await dial(h.map.assign('early.i2p', Date.now())!, h.port);
    const greeting = await new Promise<string>((resolve) => {
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.once('end', () => resolve(text));
    });
    assert.equal(greeting, 'bye early');
    // Our side is still writable after their FIN.
    s.end(Buffer.alloc(5000));
    assert.equal(await serverReceived, 5000);
  } finally {
    await h.stop();
  }
});

test('back-pressure: a client that does not read holds the sender back instead of filling memory', async () => {
  const TOTAL = 64 * 1024 * 1024;
  const chunk = randomBytes(64 * 1024);
  let written = 0;
  const serverHash = createHash('sha256');
  const server = net.createServer((s) => {
    s.on('error', () => {});
    const pump = (): void => {
      while (written < TOTAL) {
        written += chunk.length;
        serverHash.update(chunk);
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  const h = await start({ 'bulk.i2p': server });
  try {
    const s = await dial(h.map.assign('bulk.i2p', Date.now())!, h.port);
    s.pause();
    await new Promise((r) => setTimeout(r, 700));
    const whilePaused = written;
    // Loopback socket buffers on both legs can hold several MiB; without back-pressure the sender
    // would have pushed all 64 MiB into the proxy's memory by now.
    assert.ok(whilePaused < 24 * 1024 * 1024, `the sender wrote ${whilePaused} bytes while the client read nothing`);
    const hash = createHash('sha256');
    let n = 0;
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => {
        n += d.length;
        hash.update(d);
      });
      s.once('end', resolve);
      s.resume();
    });
    assert.equal(n, TOTAL);
    assert.equal(hash.digest('hex'), serverHash.digest('hex'));
  } finally {
    await h.stop();
  }
});

test('a LAN client reset tears down the I2P side; a far-end reset resets the LAN client', async () => {
  let farClosed!: () => void;
  const farSeenClosed = new Promise<void>((r) => (farClosed = r));
  let farSocket: net.Socket | undefined;
  const server = net.createServer((s) => {
    farSocket = s;
    s.on('error', () => {});
    s.on('close', () => farClosed());
    s.resume();
  });
  const h = await start({ 'far.i2p': server });
  try {
    const addr = h.map.assign('far.i2p', Date.now())!;
    const a = await dial(addr, h.port);
    a.write('hello');
    await new Promise((r) => setTimeout(r, 100));
    a.resetAndDestroy();
    await farSeenClosed;

    const b = await dial(addr, h.port);
    const bEnd = drain(b);
    b.write('hello');
    await new Promise((r) => setTimeout(r, 100));
    farSocket!.resetAndDestroy();
    assert.equal((await bEnd).end, 'reset');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.proxy.active, 0);
  } finally {
    await h.stop();
  }
});

test('a client that resets while the stream is opening aborts the open', async () => {
  const h = await start({ 'slow.i2p': echoServer() });
  try {
    h.backend.connectDelayMs = 5000;
    const s = await dial(h.map.assign('slow.i2p', Date.now())!, h.port);
    s.write('a request the proxy holds while the stream opens');
    await new Promise((r) => setTimeout(r, 100));
    s.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.proxy.counters.clientGone, 1);
    assert.equal(h.proxy.active, 0);
  } finally {
    await h.stop();
  }
});

test('concurrent connections are bounded; a mapping in use is pinned', async () => {
  const h = await start({ 'echo.i2p': echoServer() }, { maxConnections: 2 });
  try {
    const addr = h.map.assign('echo.i2p', 0)!; // held only until t=60 s of a clock long past
    const a = await dial(addr, h.port);
    const b = await dial(addr, h.port);
    a.write('x');
    await new Promise((r) => a.once('data', r));
    const c = attempt(addr, h.port);
    assert.equal((await c).end, 'reset');
    assert.equal(h.proxy.counters.rejected.limit, 1);
    // Open connections pin the mapping even though its DNS hold has expired.
    assert.equal(h.map.nameOf(addr), 'echo.i2p');
    a.destroy();
    b.destroy();
  } finally {
    await h.stop();
  }
});

test('outproxy mode: a clearnet name goes through the outproxy with CONNECT name:port; other ports are reset', async () => {
  const requests: string[] = [];
  // Plays an I2P outproxy: answers CONNECT, then echoes.
  const outproxy = net.createServer((s) => {
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      requests.push(head.slice(0, end));
      s.write('HTTP/1.1 200 Connection established\r\n\r\n');
      const rest = head.slice(end + 4);
      if (rest) s.write(rest);
      s.pipe(s);
    };
    s.on('data', onData);
  });
  // The proxy's port is only known once it listens (in production: 80 and 443).
  const ports = new Set<number>();
  const h = await start({ 'exit.i2p': outproxy, 'site.i2p': echoServer() }, { outproxy: { host: 'exit.i2p', port: 4444 }, outproxyPorts: ports });
  try {
    ports.add(h.port);
    const addr = h.map.assign('example.com', Date.now())!;
    const s = await dial(addr, h.port);
    const got = drain(s);
    s.end('GET / HTTP/1.1\r\n\r\n');
    assert.equal((await got).data.toString(), 'GET / HTTP/1.1\r\n\r\n');
    assert.deepEqual(requests, [`CONNECT example.com:${h.port} HTTP/1.1\r\nHost: example.com:${h.port}`]);
    assert.deepEqual(h.backend.connects, [{ target: 'exit.i2p', port: 4444 }]);
    // An address outside the range: CONNECT by IP.
    const direct = await dial('127.0.0.1', h.port);
    const gotDirect = drain(direct);
    direct.end('x');
    assert.equal((await gotDirect).data.toString(), 'x');
    assert.equal(requests[1], `CONNECT 127.0.0.1:${h.port} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}`);
    assert.equal(h.proxy.counters.viaOutproxy, 2);
    // .i2p names still go straight to I2P, not through the outproxy.
    const site = await dial(h.map.assign('site.i2p', Date.now())!, h.port);
    const gotSite = drain(site);
    site.end('y');
    assert.equal((await gotSite).data.toString(), 'y');
    assert.deepEqual(h.backend.connects.at(-1), { target: 'site.i2p', port: h.port });
    assert.equal(h.proxy.counters.viaOutproxy, 2);
    // Ports other than the web ports never reach the outproxy.
    ports.clear();
    assert.equal((await attempt(addr, h.port)).end, 'reset');
    assert.equal((await attempt('127.0.0.1', h.port)).end, 'reset');
    assert.equal(h.proxy.counters.rejected.port, 2);
  } finally {
    await h.stop();
  }
});
