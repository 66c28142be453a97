/**
 * netDb with i2pd 2.45.1 routers (issue 3, item 7):
 *  (a) our router bootstraps from a signed .su3 built by the test from i2pd RouterInfos (and refuses
 *      a tampered one, taking nothing from it);
 *  (b) our router learns a RouterInfo it was never given by looking it up at an i2pd floodfill;
 *  (c) our RouterInfo, published by us, is found by an i2pd router that never connected to us;
 *  (d) with --floodfill, i2pd routers store to us and look up through us.
 * Address plan (distinct from the other interop files): i2pd 198.18.0.21–24 (ports 20200+, webconsoles
 * 17200+), a second i2pd network 198.18.0.31–33 (ports 20300+, 17300+); ours on 198.18.0.120–122.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ourRouterConfig } from './our-router.js';
import { I2pdNetwork, waitFor } from './testnet.js';
import { makeSigner, makeSu3, makeCertsDir, certFileName, SIGNER_ID, type TestSigner } from '../unit/reseed/helpers.js';
import { reseedZipOf } from '../helpers/zip.js';
import { Router } from '../../src/router/router.js';
import type { RouterConfig } from '../../src/config/options.js';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.js';
import { RouterInfo } from '../../src/data/router-info.js';
import { i2pBase64Encode } from '../../src/data/base64.js';

const log = process.env.GG_TEST_LOG ? createLogger('debug') : silentLogger();

/** Routers 0, 1 and 2 are floodfills; 3 is not. */
const net = new I2pdNetwork({ count: 4, floodfills: 3, firstAddress: 21, basePort: 20200, httpBasePort: 17200 });
let signer: TestSigner;
let certsdir: string;
const routers: Router[] = [];

function ourConfig(name: string, host: string, port: number, extra: Partial<RouterConfig> = {}): RouterConfig {
  return ourRouterConfig(name, host, port, { certsdir, ...extra });
}

async function startRouter(config: RouterConfig, logger: Logger = log): Promise<Router> {
  const r = new Router(config, logger);
  routers.push(r);
  await r.start();
  return r;
}

/** Log lines kept for assertions. */
function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger('info', sink), lines };
}

async function su3Of(riBytes: Buffer[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-su3-'));
  const path = join(dir, 'i2pseeds.su3');
  writeFileSync(path, makeSu3(await reseedZipOf(riBytes), signer.privateKey));
  return path;
}

before(async () => {
  signer = await makeSigner(SIGNER_ID);
  certsdir = makeCertsDir([{ name: certFileName(SIGNER_ID), pem: signer.certPem }]);
  await net.init();
  await net.start();
});

after(async () => {
  for (const r of routers) await r.stop();
  await net.stop();
});

test('(a) bootstrap from a signed .su3 of i2pd RouterInfos; a tampered .su3 gives nothing', { timeout: 60_000 }, async () => {
  const infos = net.routers.map((r) => r.routerInfoBytes());
  const su3 = await su3Of(infos);

  const tampered = await su3Of(infos);
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(tampered);
  bytes[bytes.length - 600] ^= 0x01; // inside the zip content, covered by the signature
  writeFileSync(tampered, bytes);
  const captured = captureLog();
  const bad = await startRouter(ourConfig('su3-bad', '198.18.0.121', 19121, { 'reseed.file': tampered, 'ntcp2.enabled': false }), captured.log);
  assert.equal(bad.store.size, 0, 'nothing from a tampered file enters the store');
  assert.ok(
    captured.lines.some((l) => l.level === 40 && /reseed/.test(String(l.msg)) && /signature/i.test(JSON.stringify(l))),
    `one clear warning about the signature; got ${JSON.stringify(captured.lines.filter((l) => (l.level as number) >= 40))}`,
  );
  await bad.stop();

  const r = await startRouter(ourConfig('su3', '198.18.0.120', 19120, { 'reseed.file': su3 }));
  assert.equal(r.store.size, net.routers.length, 'every i2pd RouterInfo from the signed file is in the store');
  for (const i2pd of net.routers) assert.ok(r.store.getRouterInfo(RouterInfo.parse(i2pd.routerInfoBytes()).hash));
  // Bootstrapped: it dials them (fewer than 8 known) and i2pd lists the sessions.
  const ours = i2pBase64Encode(r.hash);
  for (const i2pd of net.routers) await i2pd.waitFor(() => i2pd.hasSessionWith(ours, 'NTCP2'), 30_000, `i2pd #${i2pd.index} to list our session`);
});

test('(b) a RouterInfo we were never given is learnt by a lookup at an i2pd floodfill', { timeout: 60_000 }, async () => {
  const floodfills = net.routers.filter((r) => r.floodfill);
  const target = net.routers[3]!;
  const targetHash = RouterInfo.parse(target.routerInfoBytes()).hash;
  // Reseeded with the floodfills only: router #3 is unknown.
  const r = await startRouter(ourConfig('lookup', '198.18.0.122', 19122, { 'reseed.file': await su3Of(floodfills.map((f) => f.routerInfoBytes())) }));
  assert.equal(r.store.getRouterInfo(targetHash), undefined, 'not given by the reseed');
  const found = await r.netdb.lookupRouterInfo(targetHash);
  assert.ok(found, 'the lookup found it');
  assert.deepEqual(found.hash, targetHash);
  assert.ok(found.verify(), 'its signature verifies');
  assert.ok(r.store.getRouterInfo(targetHash), 'and it is in our store now');
});

test('(c) our RouterInfo, published by us, is found by an i2pd router that never connected to us', { timeout: 120_000 }, async () => {
  // We know floodfills #0 and #1 only and publish there; i2pd floods what it stores to the closest
  // other floodfills, so #2 — which we never dial and which cannot dial us before it knows us —
  // learns our RouterInfo from the netDb alone.
  const seeker = net.routers[2]!;
  const seekerB64 = seeker.identHashBase64();
  // No transit: i2pd routers building tunnels through us would make us dial their next hop (#2
  // among them) within a second, and the point here is that #2 learns us from the netDb alone.
  const r = await startRouter(ourConfig('publish', '198.18.0.123', 19123, { 'reseed.file': await su3Of(net.routers.slice(0, 2).map((f) => f.routerInfoBytes())), 'limits.transittunnels': 0 }));
  const dialled = new Set<string>();
  r.on('sessionEstablished', (_s, ri: RouterInfo, inbound: boolean) => {
    if (!inbound) dialled.add(i2pBase64Encode(ri.hash));
  });
  const ours = i2pBase64Encode(r.hash);
  // Our NTCP2 handshakes already gave #0 and #1 our RouterInfo, and i2pd floods only entries that
  // are new or newer. So we re-sign it (a newer `published`), which sends it to them as a
  // DatabaseStore with a reply token: that one they flood to the closest other floodfills.
  for (const ff of net.routers.slice(0, 2)) await r.connect(RouterInfo.parse(ff.routerInfoBytes()));
  await r.republish(true);
  await seeker.waitFor(() => seeker.logText().includes(`NetDb: RouterInfo added: ${ours}`), 30_000, `i2pd #2 to add our RouterInfo to its netDb`);
  // Checked at the moment #2 adds us: our own netDb traffic may dial it later, not before.
  assert.ok(!dialled.has(seekerB64), 'we had not dialled it: it learnt us through the netDb');
  assert.equal(await seeker.hasSessionWith(ours), false, 'and it held no session with us');
  // The regular publishing round stores at the closest floodfill and verifies at another one.
  const published = await r.netdb.publishRouterInfo();
  assert.ok(published.storedAt.length >= 1, `stored at a floodfill: ${JSON.stringify(published)}`);
  assert.ok(published.verified, 'a later lookup at the other floodfill returned our RouterInfo');
});

test('(d) as a floodfill, i2pd routers store to us and look up through us', { timeout: 240_000 }, async () => {
  // A second private network whose only floodfill is ours.
  const net2 = new I2pdNetwork({ count: 3, floodfills: 0, firstAddress: 31, basePort: 20300, httpBasePort: 17300 });
  try {
    await net2.init();
    const ff = await startRouter(ourConfig('ff', '198.18.0.124', 19124, { floodfill: true, 'reseed.zipfile': undefined }));
    assert.match(ff.routerInfo.caps, /f/, 'the f cap is published');
    for (const i2pd of net2.routers) i2pd.addRouterInfo(ff.routerInfo.raw);
    await net2.start();
    const counters = (): Record<string, number> => (ff.netdb.counters.floodfill ?? {}) as Record<string, number>;
    // Every i2pd router publishes its RouterInfo to its closest floodfill: us. The same RouterInfo
    // usually reached us first in its NTCP2 handshake, so most stores are "older" (not newer) ones.
    const routerInfoStores = (): number => Object.entries(counters()).filter(([k]) => k.startsWith('store.routerInfo.')).reduce((n, [, v]) => n + v, 0);
    await waitFor(() => routerInfoStores() >= net2.routers.length, 120_000, 'the i2pd routers to store their RouterInfos at us', { context: () => JSON.stringify(counters()) });
    for (const i2pd of net2.routers) assert.ok(ff.store.getRouterInfo(RouterInfo.parse(i2pd.routerInfoBytes()).hash));
    assert.ok((counters()['store.ack.direct'] ?? 0) + (counters()['store.ack.tunnel'] ?? 0) >= 1, 'stores were acknowledged');
    // They look up through us (exploration and RouterInfo lookups) and use the answers.
    await waitFor(() => (counters()['lookup.received'] ?? 0) >= 1, 120_000, 'an i2pd lookup to reach us', { context: () => JSON.stringify(counters()) });
    const answered = Object.entries(counters()).filter(([k]) => /^lookup\.[a-zA-Z]+\./.test(k)).reduce((n, [, v]) => n + v, 0);
    assert.ok(answered >= 1, `lookups answered: ${JSON.stringify(counters())}`);
    // We are the only floodfill of this network, so whatever netDb answers i2pd acted on came from us:
    // it took our DeliveryStatus as confirmation of its RouterInfo publish, and processed our search replies.
    const logs = (): string => net2.routers.map((r) => r.logText()).join('\n');
    await waitFor(() => /NetDb: Publishing confirmed/.test(logs()), 60_000, 'an i2pd router to log that our floodfill confirmed its publish');
    await waitFor(() => /NetDb: DatabaseSearchReply for \S+ num=\d+/.test(logs()), 60_000, 'an i2pd router to process our DatabaseSearchReply');
  } finally {
    await net2.stop();
  }
});
