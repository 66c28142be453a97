import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from '../../../src/crypto/index.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import { hashFromFileName, routerInfoPath } from '../../../src/netdb/netdb-persistence.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { makeRouterInfo } from '../data/make-router-info.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/i2pd/', import.meta.url));
const MIN = 60_000;

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gg-netdb-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** i2pd's path for a RouterInfo file, written out independently of routerInfoPath(). */
function i2pdPath(dir: string, hash: Buffer): string {
  const b64 = i2pBase64Encode(hash);
  return join(dir, `r${b64[0]}`, `routerInfo-${b64}.dat`);
}

async function put(path: string, data: Buffer | string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, data);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** All files below dir (relative paths). */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath ?? e.path, e.name).slice(dir.length + 1));
  return out.sort();
}

test('file names: i2pd layout, r<first base64 char>/routerInfo-<base64>.dat', () => {
  for (let i = 0; i < 50; i++) {
    const h = randomBytes(32);
    assert.equal(routerInfoPath('/x/netDb', h), i2pdPath('/x/netDb', h));
    assert.deepEqual(hashFromFileName(routerInfoPath('/x', h).split('/').pop()!), h);
  }
  assert.equal(hashFromFileName('routerInfo-abc.dat'), undefined);
  assert.equal(hashFromFileName(`routerInfo-${i2pBase64Encode(randomBytes(32))}.dat.bak`), undefined);
  assert.equal(hashFromFileName(`routerInfo-${'A'.repeat(43)}B.dat`), undefined, 'no padding');
});

test('load(): an i2pd netDb folder with real i2pd RouterInfos; bad files skipped and counted, left in place', async (t) => {
  const dir = await tempDir(t);
  const basic = RouterInfo.parse(await readFile(join(FIXTURES, 'router-basic.info')));
  const ff = RouterInfo.parse(await readFile(join(FIXTURES, 'router-floodfill.info')));
  const now = Math.max(basic.published, ff.published) + 10 * MIN;
  const good = Array.from({ length: 5 }, () => makeRouterInfo({ published: now - 30 * MIN }).ri);
  for (const ri of [basic, ff, ...good]) await put(i2pdPath(dir, ri.hash), ri.raw);

  const left: string[] = [];
  const bad = async (path: string, data: Buffer | string): Promise<void> => {
    await put(path, data);
    left.push(path);
  };
  const garbageHash = randomBytes(32);
  await bad(i2pdPath(dir, garbageHash), 'garbage');
  const other = makeRouterInfo({ published: now - MIN }).ri;
  await bad(i2pdPath(dir, randomBytes(32)), other.raw); // name-mismatch
  const mainNet = makeRouterInfo({ published: now - MIN, options: new Map([['netId', '2']]) }).ri;
  await bad(i2pdPath(dir, mainNet.hash), mainNet.raw);
  const forgedRi = makeRouterInfo({ published: now - MIN }).ri;
  const forged = Buffer.from(forgedRi.raw);
  forged[391 + 7]! ^= 1; // the published date: the hash (of the identity) is unchanged
  await bad(i2pdPath(dir, forgedRi.hash), forged);
  const misplacedRi = makeRouterInfo({ published: now - MIN }).ri;
  const b64 = i2pBase64Encode(misplacedRi.hash);
  await bad(join(dir, b64[0] === 'A' ? 'rB' : 'rA', `routerInfo-${b64}.dat`), misplacedRi.raw);
  await bad(join(dir, 'rA', 'notes.txt'), 'hello');
  await bad(i2pdPath(dir, randomBytes(32)), Buffer.alloc(70_000));
  await bad(join(dir, 'profiles', 'profile-x.txt'), 'not a netDb folder');

  const gone: string[] = [];
  const stale = makeRouterInfo({ published: now - 40 * 24 * 60 * MIN }).ri;
  gone.push(i2pdPath(dir, stale.hash));
  await put(gone[0]!, stale.raw);
  gone.push(i2pdPath(dir, randomBytes(32)));
  await put(gone[1]!, Buffer.alloc(0));
  gone.push(join(dir, 'rA', '.routerInfo-x.dat.0123abcd.tmp'));
  await put(gone[2]!, 'half-written');

  const s = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now });
  const r = await s.load();
  assert.equal(r.loaded, 7);
  assert.deepEqual(r.rejected, {
    malformed: 1,
    'name-mismatch': 1,
    'wrong-netid': 1,
    'bad-signature': 1,
    misplaced: 1,
    'bad-name': 1,
    'too-large': 1,
    expired: 1,
    empty: 1,
  });
  assert.equal(s.size, 7);
  assert.deepEqual(s.getRouterInfo(basic.hash)?.raw, basic.raw);
  // i2pd's floodfill (caps "Xf", published NTCP2) counts; its basic router (caps "L") does not.
  assert.ok(s.floodfills().some((ri) => ri.hash.equals(ff.hash)));
  assert.ok(!s.floodfills().some((ri) => ri.hash.equals(basic.hash)));
  for (const p of left) assert.ok(await exists(p), `kept ${p}`);
  for (const p of gone) assert.equal(await exists(p), false, `deleted ${p}`);
  assert.equal(s.persistence?.tempFilesRemoved, 1);
  // Loading writes nothing.
  await s.close();
  assert.equal(s.persistence?.batches, 0);
});

test('flush(): dirty entries written together in one batch, one fsync per folder, none per file', async (t) => {
  const dir = join(await tempDir(t), 'netDb');
  const now = 1_764_000_100_000;
  const s = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now, flushDelayMs: 3_600_000 });
  const routers = Array.from({ length: 40 }, () => makeRouterInfo({ published: now - MIN }));
  for (const r of routers) assert.equal(s.addRouterInfo(r.ri), true);
  assert.equal(await exists(dir), false, 'nothing written before the flush');

  await s.flush();
  const p = s.persistence!;
  const folders = new Set(routers.map((r) => `r${i2pBase64Encode(r.ri.hash)[0]}`));
  assert.deepEqual({ ...p }, { batches: 1, filesWritten: 40, filesDeleted: 0, fileSyncs: 0, dirSyncs: folders.size, writeFailures: 0, tempFilesRemoved: 0 });
  assert.deepEqual(await listFiles(dir), routers.map((r) => i2pdPath(dir, r.ri.hash).slice(dir.length + 1)).sort());
  for (const r of routers) assert.deepEqual(await readFile(i2pdPath(dir, r.ri.hash)), r.ri.raw);

  // Second batch: one updated, one removed, one new; the same entry changed twice is written once.
  const t0 = routers[0]!;
  const update = (published: number): RouterInfo =>
    RouterInfo.create({ identity: t0.ri.identity, signer: t0.signer, published, addresses: [...t0.ri.addresses], options: t0.ri.options });
  assert.equal(s.addRouterInfo(update(now - 30_000)), true);
  assert.equal(s.addRouterInfo(update(now - 20_000)), true);
  assert.ok(s.removeRouterInfo(routers[1]!.ri.hash));
  const added = makeRouterInfo({ published: now - MIN }).ri;
  s.addRouterInfo(added);
  await s.flush();
  assert.equal(p.batches, 2);
  assert.equal(p.filesWritten, 42);
  assert.equal(p.filesDeleted, 1);
  assert.equal(await exists(i2pdPath(dir, routers[1]!.ri.hash)), false);
  await s.flush();
  assert.equal(p.batches, 2, 'nothing pending, no batch');

  const again = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now });
  assert.deepEqual(await again.load(), { loaded: 40, rejected: {} });
  assert.equal(again.getRouterInfo(t0.ri.hash)?.published, now - 20_000);
  assert.ok(again.getRouterInfo(added.hash));
});

test('flush timer: changes within flushDelayMs share one batch; close() writes what is pending', async (t) => {
  const dir = await tempDir(t);
  const now = 1_764_000_100_000;
  const s = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now, flushDelayMs: 40 });
  for (let i = 0; i < 10; i++) s.addRouterInfo(makeRouterInfo({ published: now - MIN }).ri);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(s.persistence?.batches, 1);
  assert.equal(s.persistence?.filesWritten, 10);

  const c = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now, flushDelayMs: 3_600_000 });
  const late = makeRouterInfo({ published: now - MIN }).ri;
  c.addRouterInfo(late);
  await c.close();
  assert.equal(c.persistence?.filesWritten, 1);
  assert.ok(await exists(i2pdPath(dir, late.hash)));
});

test('evicted and expired RouterInfos lose their files; an oversized folder is trimmed on load', async (t) => {
  const dir = await tempDir(t);
  let now = 1_764_000_100_000;
  const s = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now, maxRouterInfos: 6, minRouterInfos: 1, flushDelayMs: 3_600_000 });
  const ris = Array.from({ length: 6 }, (_, i) => makeRouterInfo({ published: now - (i + 1) * MIN, options: new Map([['caps', 'XR'], ['netId', '99']]) }).ri);
  for (const ri of ris) s.addRouterInfo(ri);
  await s.flush();
  assert.equal((await listFiles(dir)).length, 6);

  // A 7th: 7 -> 5 (floor of 95% of 6), the two oldest go, files with them.
  s.addRouterInfo(makeRouterInfo({ published: now }).ri);
  await s.flush();
  assert.equal(s.size, 5);
  assert.equal(s.persistence?.filesDeleted, 2);
  for (const ri of ris.slice(4)) assert.equal(await exists(i2pdPath(dir, ri.hash)), false);
  assert.equal((await listFiles(dir)).length, 5);

  // 28 h later (uptime well past 1 h): everything but the newest is stale; minRouterInfos = 1.
  now += 28 * 60 * MIN;
  assert.equal(s.expire().routerInfos, 4);
  await s.close();
  assert.equal((await listFiles(dir)).length, 1);

  // A folder with more RouterInfos than the limit: load keeps the newest, deletes the rest.
  const dir2 = await tempDir(t);
  const now2 = 1_764_000_100_000;
  const many = Array.from({ length: 12 }, (_, i) => makeRouterInfo({ published: now2 - (i + 1) * MIN }).ri);
  for (const ri of many) await put(i2pdPath(dir2, ri.hash), ri.raw);
  const small = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir: dir2, now: () => now2, maxRouterInfos: 10 });
  assert.equal((await small.load()).loaded, 12);
  assert.equal(small.size, 9);
  await small.close();
  assert.deepEqual(await listFiles(dir2), many.slice(0, 9).map((ri) => i2pdPath(dir2, ri.hash).slice(dir2.length + 1)).sort());
});

test('memory-only store: no folder, load() and flush() are no-ops', async () => {
  const s = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), now: () => 1_764_000_100_000 });
  assert.deepEqual(await s.load(), { loaded: 0, rejected: {} });
  s.addRouterInfo(makeRouterInfo().ri);
  await s.close();
  assert.equal(s.persistence, undefined);
  assert.equal(s.size, 1);
});

test('an entry removed while its write is in flight loses its file in the next batch', async (t) => {
  const dir = await tempDir(t);
  const now = 1_764_000_100_000;
  const s = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), dir, now: () => now, flushDelayMs: 3_600_000 });
  const ri = makeRouterInfo({ published: now - MIN }).ri;
  s.addRouterInfo(ri);
  const inFlight = s.flush();
  await new Promise(setImmediate); // the batch has taken its snapshot and is writing
  s.removeRouterInfo(ri.hash);
  await inFlight;
  await s.flush();
  assert.equal(await exists(i2pdPath(dir, ri.hash)), false);
  assert.equal(s.persistence?.batches, 2);
});
