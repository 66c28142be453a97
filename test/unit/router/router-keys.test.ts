import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateRouterKeys, parseRouterKeys, serializeRouterKeys, generateRouterKeys, RouterKeysError } from '../../../src/router/router-keys.js';
import { loadOrCreateRouterState, RANDOM_PORT_MIN, RANDOM_PORT_MAX, RouterStateError } from '../../../src/router/router-state.js';
import { buildRouterInfo, congestionCap, routerCaps } from '../../../src/router/router-info-builder.js';
import { RouterInfo } from '../../../src/data/router-info.js';

test('keys are created once, stored 0600, and loaded unchanged afterwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-keys-'));
  const a = await loadOrCreateRouterKeys(dir);
  assert.equal(a.created, true);
  assert.equal(a.keys.identity.raw.length, 391);
  assert.equal(statSync(join(dir, 'router.keys.json')).mode & 0o777, 0o600);
  const before = readFileSync(join(dir, 'router.keys.json'));
  const b = await loadOrCreateRouterKeys(dir);
  assert.equal(b.created, false);
  assert.deepEqual(b.keys.identity.hash, a.keys.identity.hash);
  assert.deepEqual(b.keys.ntcp2Static.publicKey, a.keys.ntcp2Static.publicKey);
  assert.deepEqual(b.keys.ntcp2Iv, a.keys.ntcp2Iv);
  assert.deepEqual(readFileSync(join(dir, 'router.keys.json')), before);
});

test('a key file that does not match its identity is refused', () => {
  const a = generateRouterKeys();
  const b = generateRouterKeys();
  const mixed = JSON.parse(serializeRouterKeys(a)) as Record<string, string>;
  mixed.signingPrivateKey = (JSON.parse(serializeRouterKeys(b)) as Record<string, string>).signingPrivateKey!;
  assert.throws(() => parseRouterKeys(JSON.stringify(mixed), 'k'), (e: unknown) => e instanceof RouterKeysError && /signing private key does not match/.test(e.message));
  assert.throws(() => parseRouterKeys('not json', 'k'), RouterKeysError);
  const short = JSON.parse(serializeRouterKeys(a)) as Record<string, string>;
  short.ntcp2Iv = 'AAAA';
  assert.throws(() => parseRouterKeys(JSON.stringify(short), 'k'), /ntcp2Iv must be 16 bytes/);
});

test('the NTCP2 port is random in 9000–31000 on first run and then persisted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-state-'));
  const s1 = await loadOrCreateRouterState(dir);
  assert.ok(s1.ntcp2Port >= RANDOM_PORT_MIN && s1.ntcp2Port <= RANDOM_PORT_MAX);
  const s2 = await loadOrCreateRouterState(dir);
  assert.equal(s2.ntcp2Port, s1.ntcp2Port);
  writeFileSync(join(dir, 'router.state.json'), '{"ntcp2Port": "x"}');
  await assert.rejects(loadOrCreateRouterState(dir), RouterStateError);
});

test('our RouterInfo: signed, netId, caps, published NTCP2 address with s, i, v=2', () => {
  const keys = generateRouterKeys();
  const settings = { netId: 99, host: '198.18.0.100', port: 12345, ntcp2Enabled: true, ntcp2Published: true, floodfill: true, bandwidth: 'X' };
  const ri = RouterInfo.parse(buildRouterInfo(keys, settings, Date.now()).raw);
  assert.ok(ri.verify());
  assert.equal(ri.netId, 99);
  assert.equal(ri.caps, 'XfR');
  const n = ri.ntcp2();
  assert.ok(n);
  assert.equal(n.host, '198.18.0.100');
  assert.equal(n.port, 12345);
  assert.deepEqual(n.staticKey, keys.ntcp2Static.publicKey);
  assert.deepEqual(n.iv, keys.ntcp2Iv);
  assert.match(n.version, /2/);
  const fw = RouterInfo.parse(buildRouterInfo(keys, { ...settings, host: undefined, floodfill: false }, Date.now()).raw);
  assert.equal(routerCaps({ ...settings, host: undefined, floodfill: false }), 'XU');
  const n2 = fw.ntcp2();
  assert.ok(n2);
  assert.equal(n2.host, undefined);
  assert.equal(n2.iv, undefined);
  assert.deepEqual(n2.staticKey, keys.ntcp2Static.publicKey);
});

test('congestion caps (proposal 162) follow the transit load and go last in caps', () => {
  assert.equal(congestionCap(0, 100), undefined);
  assert.equal(congestionCap(69, 100), undefined);
  assert.equal(congestionCap(70, 100), 'D');
  assert.equal(congestionCap(90, 100), 'E');
  assert.equal(congestionCap(100, 100), 'E');
  assert.equal(congestionCap(0, 0), 'G', 'a router that carries no transit says so');
  const s = { netId: 99, host: '198.18.0.1', port: 1, ntcp2Enabled: true, ntcp2Published: true, floodfill: true, bandwidth: 'X' };
  assert.equal(routerCaps({ ...s, congestion: 'E' }), 'XfRE');
  assert.equal(routerCaps({ ...s, host: undefined, congestion: 'D' }), 'XfUD');
});
