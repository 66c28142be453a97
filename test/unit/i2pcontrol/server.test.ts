import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultI2PControlConfig, type I2PControlConfig } from '../../../src/config/i2pcontrol-options.js';
import { I2PControlServer } from '../../../src/i2pcontrol/server.js';
import { silentLogger } from '../../../src/util/log.js';
import { fakeView, type FakeView } from './fake-view.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POST (or another method) with node's own client; `ca` pins the server's certificate. */
function request(url: string, opts: { method?: string; body?: string; headers?: Record<string, string>; ca?: string; agent?: http.Agent }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      {
        host: u.hostname,
        port: u.port,
        path: '/',
        method: opts.method ?? 'POST',
        headers: { 'Content-Type': 'application/json', ...opts.headers },
        ...(opts.ca ? { ca: opts.ca } : {}),
        agent: opts.agent ?? false,
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Raw TCP: write, then collect everything until the server closes (or `ms` passes). */
function raw(port: number, data: string | Buffer, ms = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, ms);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    s.write(data);
  });
}

async function withServer(
  cfg: Partial<I2PControlConfig>,
  body: (ctx: { server: I2PControlServer; view: FakeView; datadir: string }) => Promise<void>,
  extra: { requestTimeoutMs?: number; maxConnections?: number; maxBodyBytes?: number } = {},
): Promise<void> {
  const datadir = mkdtempSync(join(tmpdir(), 'gg-i2pctl-srv-'));
  const view = fakeView();
  const config: I2PControlConfig = { ...defaultI2PControlConfig(), 'i2pcontrol.enabled': true, 'i2pcontrol.port': 0, ...cfg };
  let server = await I2PControlServer.fromConfig(config, { datadir, view, log: silentLogger() });
  if (Object.keys(extra).length > 0) {
    // Same handler options, tighter shell limits (fromConfig keeps the defaults).
    server = new I2PControlServer({
      view,
      handler: server.handler,
      address: config['i2pcontrol.address'],
      port: 0,
      log: silentLogger(),
      ...(config['i2pcontrol.https'] ? { tls: { cert: readFileSync(join(datadir, 'i2pcontrol.crt.pem')), key: readFileSync(join(datadir, 'i2pcontrol.key.pem')) } } : {}),
      ...extra,
    });
  }
  await server.start();
  try {
    await body({ server, view, datadir });
  } finally {
    await server.stop();
    rmSync(datadir, { recursive: true, force: true });
  }
}

const rpc = (method: string, params: Record<string, unknown>, id: unknown = 1) => JSON.stringify({ id, method, params, jsonrpc: '2.0' });

test('HTTPS round trip on 127.0.0.1 with the created certificate pinned: Authenticate, RouterInfo, RouterManager', async () => {
  await withServer({}, async ({ server, view, datadir }) => {
    const ca = readFileSync(join(datadir, 'i2pcontrol.crt.pem'), 'utf8');
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const auth = await request(server.url, { body: rpc('Authenticate', { API: 1, Password: 'itoopie' }), ca });
    assert.equal(auth.status, 200);
    assert.equal(auth.headers['content-type'], 'application/json');
    const Token = JSON.parse(auth.body).result.Token as string;
    const info = await request(server.url, { body: rpc('RouterInfo', { Token, 'i2p.router.netdb.knownpeers': null, 'i2p.router.version': null }, 'x'), ca });
    assert.deepEqual(JSON.parse(info.body), { id: 'x', result: { 'i2p.router.netdb.knownpeers': 42, 'i2p.router.version': '0.1.0' }, jsonrpc: '2.0' });
    const mgr = await request(server.url, { body: rpc('RouterManager', { Token, ShutdownGraceful: null }), ca });
    assert.deepEqual(JSON.parse(mgr.body).result, { ShutdownGraceful: null });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(view.actions, ['shutdown-graceful'], 'the shutdown ran once the answer was out');
  });
});

test('HTTPS: a client that checks certificates against the system CAs refuses the self-signed one', async () => {
  await withServer({}, async ({ server }) => {
    await assert.rejects(request(server.url, { body: rpc('Echo', {}) }), /self[- ]signed/i);
  });
});

test('plain HTTP when i2pcontrol.https=false; JSON-RPC errors still come with HTTP 200', async () => {
  await withServer({ 'i2pcontrol.https': false }, async ({ server, datadir }) => {
    assert.match(server.url, /^http:\/\//);
    assert.throws(() => readFileSync(join(datadir, 'i2pcontrol.crt.pem')), /ENOENT/, 'no certificate is made for plain HTTP');
    const bad = await request(server.url, { body: '{"id":1,' });
    assert.equal(bad.status, 200);
    assert.equal(JSON.parse(bad.body).error.code, -32700);
    const noToken = await request(server.url, { body: rpc('Echo', { Echo: 'x' }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(JSON.parse(noToken.body).error.code, -32002, 'curl -d style Content-Type is accepted');
  });
});

test('only POST (405 with Allow), no requests from web pages (403)', async () => {
  await withServer({ 'i2pcontrol.https': false }, async ({ server, view }) => {
    const get = await request(server.url, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const fromPage = await request(server.url, { body: rpc('Authenticate', { API: 1, Password: 'itoopie' }), headers: { Origin: 'http://evil.example' } });
    assert.equal(fromPage.status, 403);
    assert.equal(server.handler.tokenCount, 0, 'the request was not processed');
    assert.deepEqual(view.actions, []);
    assert.deepEqual(server.counters, { answered: 0, notPost: 1, fromWebPage: 1, tooLarge: 0 });
  });
});

test('notifications get 204 and still act', async () => {
  await withServer({ 'i2pcontrol.https': false }, async ({ server, view }) => {
    const auth = await request(server.url, { body: rpc('Authenticate', { API: 1, Password: 'itoopie' }) });
    const Token = JSON.parse(auth.body).result.Token as string;
    const r = await request(server.url, { body: JSON.stringify({ method: 'RouterManager', params: { Token, Reseed: null }, jsonrpc: '2.0' }) });
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(view.actions, ['reseed']);
  });
});

test('oversized bodies get 413, declared or streamed; the service goes on', async () => {
  await withServer(
    { 'i2pcontrol.https': false },
    async ({ server }) => {
      const declared = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n');
      assert.match(declared.text, /^HTTP\/1\.1 413 /);
      assert.ok(declared.closed);
      const chunk = 'a'.repeat(600);
      const chunked = await raw(server.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n`);
      assert.match(chunked.text, /^HTTP\/1\.1 413 /);
      const ok = await request(server.url, { body: rpc('Echo', { Echo: 'x'.repeat(900) }) });
      assert.equal(JSON.parse(ok.body).error.code, -32002);
      assert.equal(server.counters.tooLarge, 2);
      assert.equal(server.counters.answered, 1);
    },
    { maxBodyBytes: 1024 },
  );
});

test('a slow client is cut off at the request deadline; connections are bounded', async () => {
  await withServer(
    { 'i2pcontrol.https': false },
    async ({ server }) => {
      const t0 = Date.now();
      const slow = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"id"', 5000);
      assert.ok(slow.closed, 'closed by the server');
      assert.ok(Date.now() - t0 < 3000, `cut off after ${Date.now() - t0} ms`);
      // Two idle connections fill the table; a third is dropped at once.
      const idle = [net.connect(server.port, '127.0.0.1'), net.connect(server.port, '127.0.0.1')];
      await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
      await new Promise((r) => setTimeout(r, 50));
      const third = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', 2000);
      assert.ok(third.closed);
      assert.equal(third.text, '');
      idle.forEach((s) => s.destroy());
    },
    { requestTimeoutMs: 500, maxConnections: 2 },
  );
});

test('stop() ends kept-alive connections at once and frees the port', async () => {
  const datadir = mkdtempSync(join(tmpdir(), 'gg-i2pctl-srv-'));
  try {
    const config: I2PControlConfig = { ...defaultI2PControlConfig(), 'i2pcontrol.port': 0, 'i2pcontrol.https': false };
    const server = await I2PControlServer.fromConfig(config, { datadir, view: fakeView(), log: silentLogger() });
    await server.start();
    const port = server.port;
    const agent = new http.Agent({ keepAlive: true });
    const r = await request(server.url, { body: rpc('Echo', {}), agent });
    assert.equal(r.status, 200);
    const t0 = Date.now();
    await server.stop();
    assert.ok(Date.now() - t0 < 1000);
    agent.destroy();
    // The port can be bound again, and a second stop() is harmless.
    const again = new I2PControlServer({ view: fakeView(), password: 'p', address: '127.0.0.1', port, log: silentLogger() });
    await again.start();
    assert.equal(again.port, port);
    // Binding a port in use fails with a clear error.
    const clash = new I2PControlServer({ view: fakeView(), password: 'p', address: '127.0.0.1', port, log: silentLogger() });
    await assert.rejects(clash.start(), /I2PControl: cannot listen on 127\.0\.0\.1:\d+/);
    await again.stop();
    await again.stop();
  } finally {
    rmSync(datadir, { recursive: true, force: true });
  }
});

test('an HTTPS server built from existing certificate files keeps using them', async () => {
  await withServer({}, async ({ datadir }) => {
    const before = readFileSync(join(datadir, 'i2pcontrol.crt.pem'), 'utf8');
    const config: I2PControlConfig = { ...defaultI2PControlConfig(), 'i2pcontrol.port': 0 };
    const second = await I2PControlServer.fromConfig(config, { datadir, view: fakeView(), log: silentLogger() });
    await second.start();
    try {
      const r = await request(second.url, { body: rpc('Echo', {}), ca: before });
      assert.equal(r.status, 200, 'the old certificate still verifies');
    } finally {
      await second.stop();
    }
    assert.equal(readFileSync(join(datadir, 'i2pcontrol.crt.pem'), 'utf8'), before);
  });
});
