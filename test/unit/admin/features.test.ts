import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { connect } from 'node:net';
import { existsSync, mkdirSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { HIDDEN_SERVICES_FILE, HiddenServices } from '../../../src/gateway/hidden-services.js';
import { join } from 'node:path';
import { Client, makeAdmin, tempDir } from './fixture.js';
import { destination, destinationB64 } from './destinations.js';
import { I2PBackendError, type I2PStreamBackend } from '../../../src/gateway/i2p-backend.js';
import { FACTORY_RESET_MARKER, performPendingFactoryReset, requestFactoryReset } from '../../../src/admin/factory-reset.js';
import { silentLogger } from '../../../src/util/log.js';

test('hidden services: input is checked, then 503 "no SAM bridge" when the gateway is off', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const list = await c.get('/api/v1/services');
    assert.equal(list.status, 503);
    assert.match(list.body.detail, /^no SAM bridge: .*gateway is off/);
    assert.equal((await c.post('/api/v1/services', { name: 'blog', host: '192.168.42.10', port: 0 })).status, 400, 'port 0');
    assert.equal((await c.post('/api/v1/services', { name: 'bad name', host: '192.168.42.10', port: 80 })).status, 400);
    const host = await c.post('/api/v1/services', { name: 'blog', host: 'bad host!', port: 80 });
    assert.equal(host.status, 400);
    assert.match(host.body.detail, /neither an IP address nor a host name/);
    const ok = await c.post('/api/v1/services', { name: 'blog', host: 'nas.lan', port: 8080 });
    assert.equal(ok.status, 503);
    assert.deepEqual(Object.keys(ok.body).sort(), ['detail', 'error', 'feature']);
    assert.equal(ok.body.error, 'not available yet');
    assert.equal(ok.body.feature, 'hidden services');
    assert.equal((await c.delete('/api/v1/services/blog')).status, 503);
  } finally {
    await t.close();
  }
});

test('hidden services with a SAM bridge that cannot be reached: an empty list, create answers 503 with the bridge and why, nothing saved', async () => {
  // A port nothing listens on: the bridge refuses the connection.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dir = tempDir('hs');
  const hs = new HiddenServices({ datadir: dir, bridge: { host: '127.0.0.1', port }, log: silentLogger() });
  await hs.start();
  const t = await makeAdmin({ app: { hiddenServices: hs } });
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const list = await c.get('/api/v1/services');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { services: [] });
    const r = await c.post('/api/v1/services', { name: 'blog', host: '192.168.42.10', port: 80 });
    assert.equal(r.status, 503);
    assert.match(r.body.detail, new RegExp(`^no SAM bridge: the one at 127\\.0\\.0\\.1:${port} could not make a destination`));
    assert.equal(existsSync(join(dir, HIDDEN_SERVICES_FILE)), false, 'nothing written without keys');
    assert.equal((await c.delete('/api/v1/services/blog')).status, 404);
  } finally {
    await t.close();
    await hs.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('router pages: peers and transit tunnels sorted and paged on the server; netDb summary', async () => {
  const t = await makeAdmin();
  try {
    t.router.values.peers = 5;
    const c = new Client(t.admin);
    await c.logIn();
    const p = await c.get('/api/v1/peers?sort=bytesIn&order=asc&limit=2&offset=1');
    assert.equal(p.body.total, 5);
    assert.deepEqual(p.body.rows.map((r: { bytesIn: number }) => r.bytesIn), [1000, 1500]);
    const byHash = await c.get('/api/v1/peers?sort=hash&order=desc&limit=1');
    assert.equal(byHash.body.rows[0].hash[0], 'E');
    assert.equal((await c.get('/api/v1/peers?sort=password')).status, 400);
    const tr = await c.get('/api/v1/tunnels/transit?sort=bytes&order=desc');
    assert.deepEqual(tr.body.rows.map((r: { receiveTunnelId: number }) => r.receiveTunnelId), [12, 11]);
    const tun = await c.get('/api/v1/tunnels');
    assert.equal(tun.body.exploratory[0].latencyMs, null);
    assert.deepEqual(tun.body.client, { available: false, reason: 'not available yet' });
    const n = await c.get('/api/v1/netdb');
    assert.equal(n.body.caps.bandwidth.X, 100);
    assert.deepEqual(n.body.counters, { lookups: { started: 4 } });
  } finally {
    await t.close();
  }
});

/** An I2PStreamBackend over plain local TCP: names map to local ports (the piping under test is ours). */
function localBackend(names: Record<string, number>, destinations: Record<string, string>): I2PStreamBackend {
  return {
    lookup: async (name) => destinations[name],
    connect: (target, _port, signal) =>
      new Promise((resolve, reject) => {
        const port = names[target];
        if (port === undefined) return reject(new I2PBackendError('unknown-name', `${target} is not known`));
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', (e) => reject(new I2PBackendError('unreachable', e.message)));
        signal?.addEventListener('abort', () => s.destroy());
      }),
    close: async () => undefined,
  };
}

test('diagnostics: site test and name lookup through the gateway backend; 503 without one', async () => {
  const site: Server = createServer((s) => {
    s.once('data', (d) => {
      assert.match(d.toString(), /^HEAD \/status HTTP\/1\.1\r\nHost: site\.i2p\r\n/);
      s.end('HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n');
    });
  });
  const mute: Server = createServer((s) => s.end());
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  const port = (srv: Server) => (srv.address() as { port: number }).port;
  const withoutBackend = await makeAdmin();
  const t = await makeAdmin({ gateway: { backend: () => localBackend({ 'site.i2p': port(site), 'mute.i2p': port(mute) }, { 'site.i2p': destinationB64(5) }) } });
  try {
    const n = new Client(withoutBackend.admin);
    await n.logIn();
    const unavailable = await n.post('/api/v1/diagnostics/site', { url: 'http://site.i2p/' });
    assert.equal(unavailable.status, 503);
    const lookupNoBackend = await n.post('/api/v1/diagnostics/dns', { name: 'site.i2p' });
    assert.deepEqual(lookupNoBackend.body.network, { available: false, reason: 'not available yet' });

    const c = new Client(t.admin);
    await c.logIn();
    const ok = await c.post('/api/v1/diagnostics/site', { url: 'http://site.i2p/status' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.reachable, true);
    assert.equal(ok.body.status, 204);
    assert.equal(ok.body.statusText, 'No Content');
    const closed = await c.post('/api/v1/diagnostics/site', { url: 'http://mute.i2p/' });
    assert.deepEqual([closed.body.reachable, closed.body.error], [false, 'protocol']);
    const unknown = await c.post('/api/v1/diagnostics/site', { url: 'http://nobody.i2p/' });
    assert.deepEqual([unknown.body.reachable, unknown.body.error], [false, 'unknown-name']);
    assert.equal((await c.post('/api/v1/diagnostics/site', { url: 'https://site.i2p/' })).status, 400);
    assert.equal((await c.post('/api/v1/diagnostics/site', { url: 'http://example.com/' })).status, 400);

    await c.post('/api/v1/addressbook', { name: 'site.i2p', destination: destinationB64(5) });
    const look = await c.post('/api/v1/diagnostics/dns', { name: 'Site.I2P.' });
    assert.equal(look.body.name, 'site.i2p');
    assert.equal(look.body.addressBook.b32, destination(5).b32Address());
    assert.equal(look.body.network.b32, destination(5).b32Address());
    assert.equal((await c.post('/api/v1/diagnostics/dns', { name: 'other.i2p' })).body.network, null, 'not found by the backend');
    assert.equal((await c.post('/api/v1/diagnostics/dns', { name: 'a..b.i2p' })).status, 400);
    assert.equal((await c.post('/api/v1/diagnostics/dns', { name: `${'a'.repeat(52)}.b32.i2p` })).body.kind, 'b32');
    assert.equal((await c.post('/api/v1/diagnostics/dns', { name: `${'1'.repeat(52)}.b32.i2p` })).status, 400);
  } finally {
    await t.close();
    await withoutBackend.close();
    site.close();
    mute.close();
  }
});

test('system: restart needs a supervisor; shutdown and restart act after the answer', async () => {
  const plain = await makeAdmin();
  const supervised = await makeAdmin({ restart: true });
  try {
    const a = new Client(plain.admin);
    await a.logIn();
    const r = await a.post('/api/v1/system/restart');
    assert.equal(r.status, 503);
    assert.equal(r.body.feature, 'restart');
    const s = await a.post('/api/v1/system/shutdown', { graceful: true });
    assert.equal(s.status, 202);
    await new Promise((x) => setImmediate(x));
    assert.deepEqual(plain.processCalls, ['shutdown:true']);
    assert.equal((await a.post('/api/v1/system/shutdown')).status, 202, 'no body is {}');
    assert.equal((await a.post('/api/v1/system/shutdown', { graceful: 'yes' })).status, 400);
    await new Promise((x) => setImmediate(x));
    assert.deepEqual(plain.processCalls, ['shutdown:true', 'shutdown:false']);
    const b = new Client(supervised.admin);
    await b.logIn();
    assert.equal((await b.post('/api/v1/system/restart')).status, 202);
    await new Promise((x) => setImmediate(x));
    assert.deepEqual(supervised.processCalls, ['restart']);
  } finally {
    await plain.close();
    await supervised.close();
  }
});

test('factory reset: password and typed confirmation, then the marker; the files go at the next start', async () => {
  const t = await makeAdmin({ restart: true });
  try {
    const c = new Client(t.admin);
    await c.logIn();
    assert.equal((await c.post('/api/v1/system/factory-reset', { password: 'correct horse battery', confirm: 'yes' })).status, 400);
    assert.equal((await c.post('/api/v1/system/factory-reset', { password: 'wrong password', confirm: 'erase everything' })).status, 401);
    assert.equal(t.factoryResets, 0);
    const ok = await c.post('/api/v1/system/factory-reset', { password: 'correct horse battery', confirm: 'erase everything' });
    assert.equal(ok.status, 202);
    assert.equal(ok.body.restarting, true);
    await new Promise((x) => setImmediate(x));
    assert.equal(t.factoryResets, 1);
    assert.deepEqual(t.processCalls, ['restart']);
  } finally {
    await t.close();
  }

  // performPendingFactoryReset: only our own files, only when the marker is there.
  const d = tempDir('reset');
  for (const f of ['router.keys.json', 'router.info', 'addressbook.json', 'admin-password.json', 'garlicgate.conf', 'notes.txt']) writeFileSync(join(d, f), 'x');
  mkdirSync(join(d, 'netDb', 'rA'), { recursive: true });
  writeFileSync(join(d, 'netDb', 'rA', 'routerInfo-A.dat'), 'x');
  assert.equal(await performPendingFactoryReset(d, silentLogger()), undefined, 'no marker: nothing happens');
  assert.ok(existsSync(join(d, 'router.keys.json')));
  await requestFactoryReset(d);
  assert.ok(existsSync(join(d, FACTORY_RESET_MARKER)));
  const removed = await performPendingFactoryReset(d, silentLogger());
  assert.deepEqual(removed?.sort(), ['addressbook.json', 'admin-password.json', 'garlicgate.conf', 'netDb', 'router.info', 'router.keys.json']);
  assert.deepEqual(readdirSync(d), ['notes.txt'], 'unknown files are left alone');
});
