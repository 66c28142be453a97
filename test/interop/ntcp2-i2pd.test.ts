/**
 * NTCP2 against real i2pd 2.45.1 routers in a private network (issue 2, item 8):
 *  (a) our router dials every i2pd router and completes NTCP2 — i2pd lists the session;
 *  (b) i2pd dials our router and completes NTCP2;
 *  (c) each side receives and verifies the other's RouterInfo (i2pd stores ours in its netDb folder);
 *  (d) I2NP flows both ways in the data phase (our DatabaseStore with a reply token → i2pd's
 *      DeliveryStatus), and a session ends cleanly with a Termination block.
 * Also: the `garlicgate` binary itself bootstraps from a reseed zip and is listed by i2pd.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ourRouterConfig } from './our-router.js';
import { I2pdNetwork, waitFor } from './testnet.js';
import { reseedZipOf } from '../helpers/zip.js';
import { Router } from '../../src/router/router.js';
import { silentLogger, createLogger } from '../../src/util/log.js';
import { RouterInfo } from '../../src/data/router-info.js';
import { i2pBase64Decode, i2pBase64Encode } from '../../src/data/base64.js';

const log = process.env.GG_TEST_LOG ? createLogger('debug') : silentLogger();
const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

const ourConfig = ourRouterConfig;

const net = new I2pdNetwork({ count: 3, floodfills: 2, basePort: 20100, httpBasePort: 17100, firstAddress: 11 });
/** R1 is known to every i2pd from the start and never dials: whatever session it has, i2pd opened. */
let r1: Router;
/** R2 is unknown to i2pd and dials out to every i2pd router from a reseed zip. */
let r2: Router;
let zipPath: string;
let i2pdInfos: RouterInfo[];
const inboundPeers = new Set<string>();
let child: ChildProcess | undefined;

before(async () => {
  await net.init();
  i2pdInfos = net.routers.map((r) => RouterInfo.parse(r.routerInfoBytes()));
  const dir = mkdtempSync(join(tmpdir(), 'gg-reseed-'));
  zipPath = join(dir, 'reseed.zip');
  writeFileSync(zipPath, await reseedZipOf(net.routers.map((r) => r.routerInfoBytes())));

  r1 = new Router(ourConfig('r1', '198.18.0.100', 19100, { floodfill: true }), log.child({ r: 'r1' }));
  r1.on('sessionEstablished', (_s, ri: RouterInfo, inbound: boolean) => {
    if (inbound) inboundPeers.add(i2pBase64Encode(ri.hash));
  });
  await r1.start();
  for (const i2pd of net.routers) i2pd.addRouterInfo(r1.routerInfo.raw);
  await net.start();
});

after(async () => {
  child?.kill('SIGTERM');
  await r1?.stop();
  await r2?.stop();
  await net.stop();
});

test('(b)+(c) i2pd dials in to our router, completes NTCP2, and we verify its RouterInfo', { timeout: 120_000 }, async () => {
  await waitFor(() => inboundPeers.size >= 1, 90_000, 'an i2pd router to open an NTCP2 session to us');
  const ours = i2pBase64Encode(r1.hash);
  for (const peer of inboundPeers) {
    const i2pd = net.router(peer);
    assert.ok(i2pd, `inbound peer ${peer} is one of our i2pd routers`);
    await i2pd.waitFor(() => i2pd.hasSessionWith(ours, 'NTCP2'), 20_000, `i2pd #${i2pd.index} to list our NTCP2 session`);
    // Its RouterInfo arrived in SessionConfirmed and was verified before it was stored.
    const stored = r1.store.getRouterInfo(i2pBase64Decode(peer));
    assert.ok(stored, 'the peer RouterInfo is in our store');
    assert.ok(stored.verify());
    assert.ok(i2pdInfos.some((ri) => ri.hash.equals(stored.hash)), 'it is one of the i2pd routers');
    assert.equal(stored.netId, 99);
  }
});

test('(a)+(c)+(d) our router dials every i2pd router; I2NP both ways; clean termination', { timeout: 240_000 }, async () => {
  r2 = new Router(ourConfig('r2', '198.18.0.101', 19101, { 'reseed.zipfile': zipPath }), log.child({ r: 'r2' }));
  const outbound = new Set<string>();
  r2.on('sessionEstablished', (_s, ri: RouterInfo, inbound: boolean) => {
    if (!inbound) outbound.add(i2pBase64Encode(ri.hash));
  });
  await r2.start();
  assert.equal(r2.store.size, 3, 'reseeded with the 3 i2pd RouterInfos');
  const ours = i2pBase64Encode(r2.hash);
  // (a) the bootstrap dials all of them (fewer than 8 known).
  await waitFor(() => outbound.size === 3, 30_000, 'outbound NTCP2 sessions to all 3 i2pd routers');
  for (const i2pd of net.routers) {
    await i2pd.waitFor(() => i2pd.hasSessionWith(ours, 'NTCP2'), 20_000, `i2pd #${i2pd.index} to list our outbound session`);
  }

  // i2pd's handshake timestamps (tsB) read back: same machine, same clock — each sample within
  // the timestamps' 1 s resolution (i2pd truncates to whole seconds).
  const skew = r2.ntcp2!.clockSkew.samplesMs();
  assert.ok(skew.length >= 3, `one clock sample per handshake: ${JSON.stringify(skew)}`);
  for (const ms of skew) assert.ok(ms > -1_500 && ms < 500, `peer clock minus ours ${ms} ms`);

  // (d) DatabaseStore of our RouterInfo with a reply token to each floodfill → DeliveryStatus back.
  for (const ff of net.routers.filter((r) => r.floodfill)) {
    const acked = await r2.sendRouterInfoTo(RouterInfo.parse(ff.routerInfoBytes()).hash, 30_000);
    assert.equal(acked, true, `i2pd floodfill #${ff.index} acknowledged our DatabaseStore with a DeliveryStatus`);
  }
  assert.ok((r2.counters.i2npOut.DatabaseStore ?? 0) >= 2);
  assert.ok((r2.counters.i2npIn.DeliveryStatus ?? 0) >= 2);

  // (c) i2pd verified and stored our RouterInfo: it appears in its netDb folder (saved about every minute).
  for (const i2pd of net.routers) {
    await i2pd.waitFor(() => i2pd.hasRouterInfo(ours), 150_000, `i2pd #${i2pd.index} to save our RouterInfo in its netDb folder`);
    const saved = RouterInfo.parse(readFileSync(join(i2pd.dataDir, 'netDb', `r${ours[0]}`, `routerInfo-${ours}.dat`)));
    assert.deepEqual(saved.hash, r2.hash);
    assert.ok(saved.verify());
  }

  // Clean termination: we send a Termination block; i2pd drops the session and says why in its log.
  const target = net.routers[2]!;
  const targetHash = RouterInfo.parse(target.routerInfoBytes()).hash;
  const closed = new Promise<unknown>((resolve) => r2.on('sessionClosed', (s: { remoteHash: Buffer }, reason: unknown) => s.remoteHash.equals(targetHash) && resolve(reason)));
  r2.ntcp2!.close(targetHash);
  await closed;
  await target.waitFor(async () => !(await target.hasSessionWith(ours, 'NTCP2')), 20_000, `i2pd #${target.index} to drop the terminated session`);
  // i2pd logs the Termination block it parsed with its reason code (0 = normal close, ntcp2.rst "Termination").
  await target.waitFor(() => /NTCP2: Termination\. reason=0\b/.test(target.logText()), 10_000, 'i2pd to log the Termination block (reason 0) it received');
});

test('garbage thrown at our router is dropped and counted; its i2pd sessions and new sessions go on', { timeout: 90_000 }, async () => {
  const ntcp2 = r1.ntcp2!;
  const failedBefore = ntcp2.counters.handshakesInFailed;
  // Sessions with i2pd routers (our other router may hold one too: r1 is a floodfill it publishes to).
  const established = [...ntcp2.sessions()].map((s) => i2pBase64Encode(s.remoteHash)).filter((h) => net.router(h) !== undefined);
  assert.ok(established.length >= 1, 'r1 has sessions with i2pd to keep');
  const payloads = [randomBytes(64), Buffer.alloc(64), randomBytes(31), randomBytes(300), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4))];
  await Promise.all(
    payloads.map(
      (p) =>
        new Promise<void>((resolve) => {
          const sock = connect({ host: '198.18.0.100', port: 19100, localAddress: '198.18.0.150' }, () => {
            sock.write(p);
            // A short write leaves the handshake incomplete: the router must time it out by itself.
            if (p.length < 64) setTimeout(() => sock.destroy(), 200);
          });
          sock.on('error', () => undefined);
          sock.on('close', () => resolve());
          setTimeout(() => sock.destroy(), 20_000).unref();
        }),
    ),
  );
  await waitFor(() => ntcp2.counters.handshakesInFailed >= failedBefore + payloads.length, 30_000, 'every bad handshake to be counted', { context: () => JSON.stringify(ntcp2.counters.handshakeFailures) });
  // The sessions i2pd opened are untouched, and the router still serves new peers.
  for (const peer of established) {
    const i2pd = net.router(peer)!;
    assert.ok(await i2pd.hasSessionWith(i2pBase64Encode(r1.hash), 'NTCP2'), `i2pd #${i2pd.index} still has its session`);
  }
  // A router r1 has never seen connects and is served.
  const r4 = new Router(ourConfig('r4', '198.18.0.103', 19103), log.child({ r: 'r4' }));
  await r4.start();
  try {
    await r4.connect(r1.routerInfo);
    // The initiator is done once it sent message 3; the responder a moment later.
    await waitFor(() => ntcp2.session(r4.hash) !== undefined, 5_000, 'r1 to complete the new inbound handshake');
    assert.equal(await r4.sendRouterInfoTo(r1.hash, 20_000), true, 'the new session carries a DatabaseStore and its DeliveryStatus');
  } finally {
    await r4.stop();
  }
});

test('the garlicgate binary bootstraps from --reseed.zipfile and i2pd lists its sessions', { timeout: 90_000 }, async () => {
  const datadir = mkdtempSync(join(tmpdir(), 'gg-cli-'));
  child = spawn(process.execPath, [cli, `--datadir=${datadir}`, '--netid=99', '--host=198.18.0.102', '--port=19102', '--reseed.urls=', `--reseed.zipfile=${zipPath}`, '--loglevel=info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => { try { readFileSync(join(datadir, 'router.info')); return true; } catch { return false; } }, 20_000, 'router.info to be written', { context: () => out });
  const ri = RouterInfo.parse(readFileSync(join(datadir, 'router.info')));
  assert.ok(ri.verify());
  assert.equal(ri.netId, 99);
  const hash = i2pBase64Encode(ri.hash);
  // It dials all three from the zip. i2pd may dial it at the same moment (it learns the new router
  // from the floodfills it publishes to), and two 2.45.1-era routers dialling each other at once can
  // both fail (see the testnet notes), so two of three listing it is the bar here; the in-process
  // test above requires all of them.
  const listing = async (): Promise<number> => (await Promise.all(net.routers.map((r) => r.hasSessionWith(hash, 'NTCP2')))).filter(Boolean).length;
  await waitFor(async () => (await listing()) >= 2, 30_000, "i2pd routers to list the CLI router's sessions", { context: () => out.slice(-2000) });
  const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out.slice(-2000));
  child = undefined;
  assert.match(out, /NTCP2 session established/);
});

