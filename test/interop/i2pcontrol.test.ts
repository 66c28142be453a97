/**
 * I2PControl against i2pd 2.45.1's (issue 3, item 8): the same JSON-RPC calls go to i2pd's
 * I2PControl and to ours, and the answers must have the same shape — every key i2pd answers, we
 * answer with the same JSON type — so that scripts and monitoring tools written for i2pd work with
 * GarlicGate. Both services run next to real routers: one i2pd, and our Router connected to it over
 * NTCP2 (so the counters both report are about each other).
 *
 * Where we deliberately differ from i2pd (it accepts any token, answers a wrong password with an
 * empty result, and writes invalid JSON for RouterManager), the test states both behaviours, so a
 * change on either side shows up here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { I2pdNetwork, waitFor } from './testnet.js';
import { reseedZipOf } from '../helpers/zip.js';
import { Router } from '../../src/router/router.js';
import { defaultConfig, type RouterConfig } from '../../src/config/options.js';
import { defaultI2PControlConfig } from '../../src/config/i2pcontrol-options.js';
import { i2pControlView } from '../../src/router/i2pcontrol-view.js';
import { I2PControlServer } from '../../src/i2pcontrol/server.js';
import { BandwidthMeter } from '../../src/i2pcontrol/bandwidth-meter.js';
import { ROUTER_INFO_KEYS } from '../../src/i2pcontrol/methods.js';
import { silentLogger, createLogger } from '../../src/util/log.js';
import { i2pBase64Encode } from '../../src/data/base64.js';

const log = process.env.GG_TEST_LOG ? createLogger('debug') : silentLogger();

// Address plan of this file (distinct from the other interop tests): i2pd on 198.18.0.40, ports 20400
// (NTCP2/SSU2) and 17400 (webconsole); its I2PControl on 127.0.0.1:17450; our router on 198.18.0.45:20445
// and our I2PControl on 127.0.0.1:17451 (a second instance of ours on 17452).
const I2PD_CONTROL = 17450;
const OUR_CONTROL = 17451;
const OUR_SECOND_CONTROL = 17452;

const i2pdNet = new I2pdNetwork({
  count: 1,
  floodfills: 1,
  firstAddress: 40,
  basePort: 20400,
  httpBasePort: 17400,
  extraOptions: { 'i2pcontrol.enabled': 'true', 'i2pcontrol.address': '127.0.0.1', 'i2pcontrol.port': String(I2PD_CONTROL) },
});

let router: Router;
/** Our temporary directories, removed at the end. */
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}
const shutdownRequests: boolean[] = [];

interface Exchange {
  status: number;
  contentType: string | undefined;
  text: string;
  /** The server's certificate, as the TLS handshake presented it. */
  peerCertificate: { subject: unknown; issuer: unknown; fingerprint256: string };
}

/** What tools do with i2pd: HTTPS with certificate checks off (the certificate is self-signed). */
function post(port: number, body: string, path = '/'): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, agent: false, timeout: 10_000, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            contentType: res.headers['content-type'],
            text: Buffer.concat(chunks).toString('utf8'),
            peerCertificate: { subject: cert.subject, issuer: cert.issuer, fingerprint256: cert.fingerprint256 },
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port}`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface Answer {
  id: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

async function call(port: number, method: string, params: Record<string, unknown>, id: unknown = 1): Promise<Answer> {
  const x = await post(port, JSON.stringify({ id, method, params, jsonrpc: '2.0' }));
  assert.equal(x.status, 200);
  return JSON.parse(x.text) as Answer;
}

async function login(port: number, password = 'itoopie'): Promise<string> {
  const a = await call(port, 'Authenticate', { API: 1, Password: password });
  assert.equal(typeof a.result?.Token, 'string', `${port}: ${JSON.stringify(a)}`);
  return a.result!.Token as string;
}

/** The JSON type of each member: what a client's deserializer cares about. */
function shapeOf(result: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v]));
}

/** Every key i2pd answered, we answer with the same JSON type (we may answer more). */
function assertCovers(ours: Record<string, unknown>, theirs: Record<string, unknown>, what: string, exempt: string[] = []): void {
  const o = shapeOf(ours);
  for (const [k, type] of Object.entries(shapeOf(theirs))) {
    if (exempt.includes(k)) continue;
    assert.equal(o[k], type, `${what}: i2pd answers ${k} as ${type}, we answer ${o[k] ?? 'nothing'}\n i2pd: ${JSON.stringify(theirs)}\n ours: ${JSON.stringify(ours)}`);
  }
}

before(async () => {
  await i2pdNet.init();
  await i2pdNet.start();
  const dir = tempDir('gg-i2pctl-interop-');
  const zip = join(dir, 'reseed.zip');
  writeFileSync(zip, await reseedZipOf(i2pdNet.routers.map((r) => r.routerInfoBytes())));
  const config: RouterConfig = {
    ...defaultConfig('/nonexistent'),
    datadir: join(dir, 'router'),
    netid: 99,
    host: '198.18.0.45',
    port: 20445,
    bandwidth: 'X',
    'reseed.urls': [],
    'reseed.zipfile': zip,
    // The Router serves I2PControl itself, with i2pd's defaults but for the port.
    'i2pcontrol.enabled': true,
    'i2pcontrol.port': OUR_CONTROL,
  };
  router = new Router(config, log.child({ r: 'gg' }));
  // What the CLI does on RouterManager Shutdown: stop the router (which stops I2PControl too).
  router.on('shutdownRequested', (graceful: boolean) => {
    shutdownRequests.push(graceful);
    void router.stop();
  });
  await router.start();
  assert.ok(router.i2pcontrol, 'the router started its I2PControl service');
  // Our router dials i2pd from the reseed zip; both sides then count one active peer.
  await i2pdNet.routers[0]!.waitForSessionsWith([i2pBase64Encode(router.hash)], 30_000, 'NTCP2');
  // i2pd's I2PControl starts with the router; its first start created its certificate.
  await waitFor(async () => (await post(I2PD_CONTROL, '{}')).status === 200, 20_000, "i2pd's I2PControl to answer");
});

after(async () => {
  await router?.stop();
  await i2pdNet.stop();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

test('both serve HTTPS with a self-signed certificate, POST on any path, HTTP 200 application/json', { timeout: 30_000 }, async () => {
  for (const port of [I2PD_CONTROL, OUR_CONTROL]) {
    for (const path of ['/', '/jsonrpc', '/anything?x=1']) {
      const x = await post(port, JSON.stringify({ id: 1, method: 'Authenticate', params: { API: 1, Password: 'itoopie' }, jsonrpc: '2.0' }), path);
      assert.equal(x.status, 200, `${port}${path}`);
      assert.equal(x.contentType, 'application/json', `${port}${path}`);
      assert.deepEqual(x.peerCertificate.subject, x.peerCertificate.issuer, `${port}: self-signed`);
      assert.deepEqual(shapeOf((JSON.parse(x.text) as Answer).result!), { API: 'number', Token: 'string' });
    }
  }
});

test('Authenticate: same answer shape; API given as "1" works on both', { timeout: 30_000 }, async () => {
  const theirs = await call(I2PD_CONTROL, 'Authenticate', { API: '1', Password: 'itoopie' }, 7);
  const ours = await call(OUR_CONTROL, 'Authenticate', { API: '1', Password: 'itoopie' }, 7);
  assert.deepEqual(shapeOf(ours.result!), shapeOf(theirs.result!));
  assert.deepEqual([ours.result!.API, theirs.result!.API], [1, 1]);
  assert.deepEqual([ours.id, theirs.id], [7, 7]);
});

test('Echo: same answers for a string and for a number', { timeout: 30_000 }, async () => {
  const [t, o] = [await login(I2PD_CONTROL), await login(OUR_CONTROL)];
  for (const echo of ['hello', 5]) {
    const theirs = await call(I2PD_CONTROL, 'Echo', { Echo: echo, Token: t });
    const ours = await call(OUR_CONTROL, 'Echo', { Echo: echo, Token: o });
    assert.deepEqual(ours.result, theirs.result);
  }
});

test('RouterInfo: every key i2pd answers, we answer with the same JSON type; null or "" as request values', { timeout: 60_000 }, async () => {
  const [t, o] = [await login(I2PD_CONTROL), await login(OUR_CONTROL)];
  // The spec's keys, i2pd's extensions, and what monitoring tools written for newer i2pd ask for.
  const keys = [
    ...ROUTER_INFO_KEYS,
    'i2p.router.net.status.v6',
    'i2p.router.net.error',
    'i2p.router.net.testing',
    'i2p.router.net.bw.transit.15s',
    'i2p.router.net.tunnels.inbound',
    'i2p.router.net.tunnels.outbound',
    'i2p.router.net.transit.sent.bytes',
  ];
  for (const requestValue of [null, '']) {
    const params = Object.fromEntries(keys.map((k) => [k, requestValue]));
    const theirs = (await call(I2PD_CONTROL, 'RouterInfo', { Token: t, ...params })).result!;
    const ours = (await call(OUR_CONTROL, 'RouterInfo', { Token: o, ...params })).result!;
    // Tunnel builds are not in GarlicGate yet, so our router has no success rate to report.
    assertCovers(ours, theirs, `RouterInfo (request values ${JSON.stringify(requestValue)})`, ['i2p.router.net.tunnels.successrate']);
    assert.deepEqual(Object.keys(theirs).sort(), [
      'i2p.router.net.bw.inbound.15s',
      'i2p.router.net.bw.inbound.1s',
      'i2p.router.net.bw.outbound.15s',
      'i2p.router.net.bw.outbound.1s',
      'i2p.router.net.status',
      'i2p.router.net.total.received.bytes',
      'i2p.router.net.total.sent.bytes',
      'i2p.router.net.tunnels.participating',
      'i2p.router.net.tunnels.successrate',
      'i2p.router.netdb.activepeers',
      'i2p.router.netdb.knownpeers',
      'i2p.router.status',
      'i2p.router.uptime',
      'i2p.router.version',
    ], "i2pd 2.45.1's RouterInfo keys");
    // Values that mean the same on both sides: each sees the other as its one active peer.
    assert.equal(theirs['i2p.router.netdb.activepeers'], 1);
    assert.equal(ours['i2p.router.netdb.activepeers'], 1);
    assert.equal(ours['i2p.router.netdb.knownpeers'], 1, 'our netDb holds the i2pd router');
    assert.equal(ours['i2p.router.netdb.floodfills'], 1, 'which is a floodfill');
    for (const r of [theirs, ours]) {
      assert.match(r['i2p.router.status'] as string, /^[01]$/, 'a status that tools parse as a number');
      assert.ok(Number.isInteger(r['i2p.router.uptime']) && (r['i2p.router.uptime'] as number) >= 0);
      assert.ok([0, 1, 2, 3].includes(r['i2p.router.net.status'] as number));
    }
    assert.ok((ours['i2p.router.net.total.received.bytes'] as number) > 0, 'NTCP2 bytes from i2pd were counted');
  }
});

test('NetworkSetting bw.in/bw.out: same keys and types', { timeout: 30_000 }, async () => {
  const [t, o] = [await login(I2PD_CONTROL), await login(OUR_CONTROL)];
  // Token last: i2pd 2.45.1 writes a stray comma (invalid JSON) when an unknown key, such as Token, comes first.
  const theirs = (await call(I2PD_CONTROL, 'NetworkSetting', { 'i2p.router.net.bw.in': null, 'i2p.router.net.bw.out': null, Token: t })).result!;
  const ours = (await call(OUR_CONTROL, 'NetworkSetting', { 'i2p.router.net.bw.in': null, 'i2p.router.net.bw.out': null, Token: o })).result!;
  assert.deepEqual(shapeOf(theirs), { 'i2p.router.net.bw.in': 'number', 'i2p.router.net.bw.out': 'number' });
  assertCovers(ours, theirs, 'NetworkSetting');
});

test('RouterManager Reseed: same answer {Reseed: null}', { timeout: 30_000 }, async () => {
  // i2pd 2.45.1 answers RouterManager with invalid JSON whenever a second key (the Token) is present,
  // and never checks tokens: the only way to get a parseable answer from it is without one.
  const raw = await post(I2PD_CONTROL, JSON.stringify({ id: 1, method: 'RouterManager', params: { Reseed: null, Token: 'x' }, jsonrpc: '2.0' }));
  assert.throws(() => JSON.parse(raw.text), SyntaxError, `i2pd answered valid JSON: ${raw.text}`);
  const theirs = (await call(I2PD_CONTROL, 'RouterManager', { Reseed: null })).result!;
  const ours = (await call(OUR_CONTROL, 'RouterManager', { Reseed: null, Token: await login(OUR_CONTROL) })).result!;
  assert.deepEqual(theirs, { Reseed: null });
  assert.deepEqual(ours, theirs);
});

test('errors: unknown method (-32601) and unparsable JSON (-32700) on both', { timeout: 30_000 }, async () => {
  for (const port of [I2PD_CONTROL, OUR_CONTROL]) {
    assert.equal((await call(port, 'NoSuchMethod', {})).error?.code, -32601, String(port));
    assert.equal((await call(port, 'GetRate', { Stat: 'bw.sendRate', Period: 60000 })).error?.code, -32601, String(port));
    const bad = await post(port, '{"id":1,"method":');
    assert.equal(bad.status, 200);
    assert.equal((JSON.parse(bad.text) as Answer).error?.code, -32700, String(port));
  }
});

test('I2PControl password change: same answer; afterwards only the new password gets a token, on both', { timeout: 30_000 }, async () => {
  for (const port of [I2PD_CONTROL, OUR_CONTROL]) {
    const changed = await call(port, 'I2PControl', { Token: await login(port), 'i2pcontrol.password': 'n3w' });
    assert.equal(changed.result?.['i2pcontrol.password'], null, String(port));
    assert.ok('i2pcontrol.password' in changed.result!, String(port));
    const old = await call(port, 'Authenticate', { API: 1, Password: 'itoopie' });
    assert.equal(old.result?.Token, undefined, `${port}: the old password gets no token`);
    await call(port, 'I2PControl', { Token: await login(port, 'n3w'), 'i2pcontrol.password': 'itoopie' });
    await login(port);
  }
});

test('where we differ from i2pd 2.45.1, on purpose: wrong passwords and tokens are errors, string ids stay JSON', { timeout: 30_000 }, async () => {
  // i2pd copies a string id into its answer without quotes (invalid JSON), so i2pd clients use numbers.
  const body = JSON.stringify({ id: 'abc', method: 'Authenticate', params: { API: 1, Password: 'itoopie' }, jsonrpc: '2.0' });
  assert.match((await post(I2PD_CONTROL, body)).text, /^\{"id":abc,/);
  assert.equal((JSON.parse((await post(OUR_CONTROL, body)).text) as Answer).id, 'abc');
  const wrongTheirs = await call(I2PD_CONTROL, 'Authenticate', { API: 1, Password: 'wrong' });
  assert.deepEqual(wrongTheirs.result, {}, 'i2pd: an empty result');
  const wrongOurs = await call(OUR_CONTROL, 'Authenticate', { API: 1, Password: 'wrong' });
  assert.equal(wrongOurs.error?.code, -32001, 'ours: Invalid password provided');
  const bogusTheirs = await call(I2PD_CONTROL, 'Echo', { Echo: 'x', Token: 'bogus' });
  assert.deepEqual(bogusTheirs.result, { Result: 'x' }, 'i2pd never checks tokens');
  assert.equal((await call(OUR_CONTROL, 'Echo', { Echo: 'x', Token: 'bogus' })).error?.code, -32003);
  assert.equal((await call(OUR_CONTROL, 'Echo', { Echo: 'x' })).error?.code, -32002);
});

test("our service runs on i2pd's own certificate files as they are", { timeout: 30_000 }, async () => {
  const i2pd = i2pdNet.routers[0]!;
  const dir = tempDir('gg-i2pctl-i2pdcert-');
  copyFileSync(join(i2pd.dataDir, 'i2pcontrol.crt.pem'), join(dir, 'i2pcontrol.crt.pem'));
  copyFileSync(join(i2pd.dataDir, 'i2pcontrol.key.pem'), join(dir, 'i2pcontrol.key.pem'));
  const second = await I2PControlServer.fromConfig(
    { ...defaultI2PControlConfig(), 'i2pcontrol.enabled': true, 'i2pcontrol.port': OUR_SECOND_CONTROL },
    { datadir: dir, view: i2pControlView(router, new BandwidthMeter(), 'test'), log },
  );
  await second.start();
  try {
    const x = await post(OUR_SECOND_CONTROL, JSON.stringify({ id: 1, method: 'Authenticate', params: { API: 1, Password: 'itoopie' } }));
    const theirs = await post(I2PD_CONTROL, JSON.stringify({ id: 1, method: 'Authenticate', params: { API: 1, Password: 'itoopie' } }));
    const fileFingerprint = new X509Certificate(readFileSync(join(dir, 'i2pcontrol.crt.pem'))).fingerprint256;
    assert.equal(x.peerCertificate.fingerprint256, fileFingerprint);
    assert.equal(theirs.peerCertificate.fingerprint256, fileFingerprint, 'the very certificate i2pd presents');
    assert.ok((JSON.parse(x.text) as Answer).result?.Token);
  } finally {
    await second.stop();
  }
});

test('RouterManager Shutdown: answered first, then our router stops', { timeout: 30_000 }, async () => {
  const a = await call(OUR_CONTROL, 'RouterManager', { Shutdown: null, Token: await login(OUR_CONTROL) });
  assert.deepEqual(a.result, { Shutdown: null });
  await waitFor(() => router.ntcp2 === undefined, 10_000, 'our router to stop');
  assert.deepEqual(shutdownRequests, [false]);
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(OUR_CONTROL, '127.0.0.1');
        s.on('connect', () => (s.destroy(), resolve(false)));
        s.on('error', () => resolve(true));
      }),
    5_000,
    'our I2PControl port to close',
  );
  await i2pdNet.routers[0]!.waitFor(async () => !(await i2pdNet.routers[0]!.hasSessionWith(i2pBase64Encode(router.hash))), 20_000, 'i2pd to drop its session with us');
});
