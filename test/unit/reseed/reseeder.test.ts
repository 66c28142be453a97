import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { ReseedFailure } from '../../../src/netdb/reseed/reseed-failure.js';
import { reseedFromFile } from '../../../src/netdb/reseed/reseed-source.js';
import { ReseedBackoff, Reseeder, type ReseederOptions } from '../../../src/netdb/reseed/reseeder.js';
import { TrustStore } from '../../../src/netdb/reseed/trust-store.js';
import { silentLogger } from '../../../src/util/log.js';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { NET_ID, SIGNER_ID, captureLog, certFileName, freshRouterInfos, makeCertsDir, makeSigner, makeSu3, makeTls, reseedZip, tempDir, type TestTls } from './helpers.js';
import { startReseedServer, type ReseedServer } from './servers.js';

const newStore = (): NetDbStore => new NetDbStore({ netId: NET_ID, ourHash: randomBytes(32) });
const isFailure = (reason: string) => (e: unknown) => e instanceof ReseedFailure && e.reason === reason;

describe('ReseedBackoff (sans-IO schedule)', () => {
  it('doubles from 30 s to a 30 min cap', () => {
    const b = new ReseedBackoff();
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => b.baseDelay(n) / 1000), [0, 30, 60, 120, 240, 480, 960, 1800, 1800]);
    assert.equal(b.baseDelay(1e9), 30 * 60_000);
  });

  it('jitters each delay into [d/2, d) and blocks attempts until then', () => {
    let r = 0;
    const b = new ReseedBackoff({ random: () => r });
    const t0 = 1_000_000;
    assert.ok(b.mayAttempt(t0));
    assert.equal(b.nextAttemptAt(t0), t0);
    assert.equal(b.recordFailure(t0), t0 + 15_000);
    assert.ok(!b.mayAttempt(t0 + 14_999));
    assert.ok(b.mayAttempt(t0 + 15_000));
    assert.equal(b.nextAttemptAt(t0 + 1000), t0 + 15_000);
    r = 0.999999;
    const next = b.recordFailure(t0);
    assert.ok(next < t0 + 60_000 && next > t0 + 59_990);
    r = 0.5;
    assert.equal(b.recordFailure(t0), t0 + 90_000); // d = 120 s: 60 + 0.5 * 60
    assert.equal(b.consecutiveFailures, 3);
    for (let i = 0; i < 20; i++) b.recordFailure(t0);
    assert.equal(b.recordFailure(t0), t0 + 0.75 * 30 * 60_000);
  });

  it('resets on success and waits afterSuccessMs before the next automatic reseed', () => {
    const b = new ReseedBackoff({ random: () => 0, afterSuccessMs: 3_600_000 });
    b.recordFailure(0);
    b.recordFailure(0);
    assert.equal(b.recordSuccess(500_000), 4_100_000);
    assert.equal(b.consecutiveFailures, 0);
    assert.ok(!b.mayAttempt(4_099_999));
    assert.equal(b.recordFailure(5_000_000), 5_015_000);
  });
});

describe('reseed from files and the Reseeder policy', () => {
  let tls: TestTls;
  let trustStore: TrustStore;
  let ris: RouterInfo[];
  let zip: Buffer;
  let su3: Buffer;
  let dir: string;
  let good: ReseedServer;
  let broken: ReseedServer;

  before(async () => {
    tls = makeTls();
    const signer = await makeSigner(SIGNER_ID);
    trustStore = await TrustStore.load(makeCertsDir([{ name: certFileName(SIGNER_ID), pem: signer.certPem }]));
    ris = freshRouterInfos(6);
    zip = await reseedZip(ris);
    su3 = makeSu3(zip, signer.privateKey);
    dir = tempDir();
    writeFileSync(join(dir, 'i2pseeds.su3'), su3);
    writeFileSync(join(dir, 'netDb.zip'), zip);
    const tampered = Buffer.from(su3);
    tampered[tampered.length - 700]! ^= 4;
    writeFileSync(join(dir, 'tampered.su3'), tampered);
    writeFileSync(join(dir, 'junk.bin'), 'hello');
    good = await startReseedServer(tls, (_req, res) => res.writeHead(200).end(su3));
    broken = await startReseedServer(tls, (_req, res) => res.writeHead(500).end());
  });

  after(async () => {
    await good.close();
    await broken.close();
  });

  const reseeder = (o: Partial<ReseederOptions> = {}): Reseeder =>
    new Reseeder({ urls: [], threshold: 6, trustStore, log: silentLogger(), netId: NET_ID, ca: [tls.caPem], timeoutMs: 5000, ...o });

  it('reseedFromFile reads .su3 and .zip by their magic and honours the expected kind', async () => {
    assert.equal((await reseedFromFile(join(dir, 'i2pseeds.su3'), trustStore)).signer, SIGNER_ID);
    const z = await reseedFromFile(join(dir, 'netDb.zip'), trustStore);
    assert.equal(z.routerInfos.length, ris.length);
    assert.equal(z.signer, undefined);
    await assert.rejects(reseedFromFile(join(dir, 'netDb.zip'), trustStore, { kind: 'su3' }), isFailure('unknown-file-kind'));
    await assert.rejects(reseedFromFile(join(dir, 'junk.bin'), trustStore), isFailure('unknown-file-kind'));
    await assert.rejects(reseedFromFile(join(dir, 'missing.su3'), trustStore), isFailure('unreadable'));
    await assert.rejects(reseedFromFile(dir, trustStore), isFailure('unreadable'));
    await assert.rejects(reseedFromFile(join(dir, 'i2pseeds.su3'), trustStore, { maxBytes: 1000 }), isFailure('file-too-large'));
    await assert.rejects(reseedFromFile(join(dir, 'tampered.su3'), trustStore), isFailure('bad-signature'));
  });

  it('reseeds from --reseed.file when below the threshold, and not when above', async () => {
    const store = newStore();
    const r = reseeder({ file: join(dir, 'i2pseeds.su3') });
    assert.deepEqual(await r.reseedIfNeeded(store), { added: ris.length, source: join(dir, 'i2pseeds.su3') });
    assert.equal(store.size, ris.length);
    assert.equal(await r.reseedIfNeeded(store), undefined);
    assert.equal(r.counters.attempts, 1);
  });

  it('reseeds from --reseed.zipfile', async () => {
    const store = newStore();
    assert.equal((await reseeder({ zipfile: join(dir, 'netDb.zip') }).reseedIfNeeded(store))?.added, ris.length);
  });

  it('refuses a tampered file with one clear log line, adds nothing, and backs off', async () => {
    const { log, lines } = captureLog();
    let now = 1_000_000_000_000;
    const store = newStore();
    const r = reseeder({ file: join(dir, 'tampered.su3'), log, now: () => now, random: () => 0 });
    assert.equal(await r.reseedIfNeeded(store), undefined);
    assert.equal(store.size, 0);
    const refusal = lines.filter((l) => l.msg === 'reseed: source refused');
    assert.equal(refusal.length, 1);
    assert.equal(refusal[0]!.reason, 'bad-signature');
    assert.equal(refusal[0]!.level, 40);
    assert.deepEqual(r.counters.failures, { 'bad-signature': 1 });
    // Backoff: no new attempt until 15 s (30 s with zero jitter) have passed.
    assert.equal(r.backoff.nextAttemptAt(now), now + 15_000);
    now += 14_000;
    await r.reseedIfNeeded(store);
    assert.equal(r.counters.attempts, 1);
    now += 1_000;
    await r.reseedIfNeeded(store);
    assert.equal(r.counters.attempts, 2);
    assert.equal(r.backoff.nextAttemptAt(now), now + 30_000);
  });

  it('tries the servers in random order until one works', async () => {
    for (const rnd of [0, 0.99]) {
      const store = newStore();
      const before = broken.requests.length;
      const r = reseeder({ urls: [broken.url, good.url], random: () => rnd, minRouters: 3 });
      const out = await r.reseedIfNeeded(store);
      assert.equal(out?.added, ris.length);
      assert.match(out!.source, new RegExp(`^${good.url}`));
      assert.equal(store.size, ris.length);
      // The order depends on the random source: the broken server is tried first in one of the runs.
      if (rnd === 0) assert.equal(broken.requests.length - before, 0);
      else assert.equal(broken.requests.length - before, 1);
    }
  });

  it('counts a server with too few routers as a failure', async () => {
    const r = reseeder({ urls: [good.url], minRouters: ris.length + 1 });
    assert.equal(await r.reseedIfNeeded(newStore()), undefined);
    assert.deepEqual(r.counters.failures, { 'too-few-routers': 1 });
  });

  it('uses only the local file when one is given, never the servers', async () => {
    const before = good.requests.length;
    const r = reseeder({ file: join(dir, 'tampered.su3'), urls: [good.url] });
    assert.equal(await r.reseedIfNeeded(newStore()), undefined);
    assert.equal(good.requests.length, before);
    assert.deepEqual(r.sources(), [{ kind: 'su3-file', path: join(dir, 'tampered.su3') }]);
  });

  it('accepts an https URL of an .su3 as --reseed.file', async () => {
    const r = reseeder({ file: `${good.url}custom.su3` });
    const before = good.requests.length;
    assert.equal((await r.reseedIfNeeded(newStore()))?.added, ris.length);
    assert.equal(good.requests[before]!.url, '/custom.su3');
  });

  it('shares one attempt between concurrent callers', async () => {
    const store = newStore();
    const r = reseeder({ file: join(dir, 'i2pseeds.su3') });
    const [a, b] = await Promise.all([r.reseedIfNeeded(store), r.reseedNow(store)]);
    assert.equal(a, b);
    assert.equal(r.counters.attempts, 1);
  });

  it('start() reseeds in the background and stop() ends it', async () => {
    const store = newStore();
    const r = reseeder({ file: join(dir, 'i2pseeds.su3'), checkIntervalMs: 50 });
    r.start(store);
    for (let i = 0; i < 100 && store.size < ris.length; i++) await sleep(20);
    r.stop();
    assert.equal(store.size, ris.length);
    assert.equal(r.counters.successes, 1);
  });

  it('stop() cancels a download in progress', async () => {
    const hang = await startReseedServer(tls, () => undefined);
    try {
      const r = reseeder({ urls: [hang.url], timeoutMs: 10_000 });
      const p = r.reseedNow(newStore());
      await sleep(100);
      r.stop();
      const t0 = Date.now();
      assert.equal(await p, undefined);
      assert.ok(Date.now() - t0 < 2000);
      // A cancelled download is not the server's failure and does not start a backoff.
      assert.deepEqual(r.counters.failures, {});
      assert.equal(r.backoff.consecutiveFailures, 0);
    } finally {
      await hang.close();
    }
  });
});
