/**
 * netDb benchmark: heap cost of stored RouterInfos (and how the store's own estimate compares),
 * closest-floodfill selection speed over a 5,000-router netDb, loading 1,000 RouterInfo files
 * (read + parse + Ed25519 verification) and writing them back in one batch.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../src/crypto/index.js';
import { i2pBase64Encode } from '../src/data/base64.js';
import { RouterAddress } from '../src/data/router-address.js';
import { RouterIdentity } from '../src/data/router-identity.js';
import { RouterInfo } from '../src/data/router-info.js';
import { routerInfoPath } from '../src/netdb/netdb-persistence.js';
import { NetDbStore } from '../src/netdb/netdb-store.js';
import { runIfMain } from './run-if-main.js';

const MEMORY_ROUTERS = 1000;
const SELECTION_ROUTERS = 5000;
const LOAD_FILES = 1000;

/**
 * A floodfill RouterInfo like i2pd's (NTCP2 address, caps, netId, version). Keys come from
 * fromPrivate(randomBytes) rather than generate(): on Node 20.20, exporting a freshly
 * generateKeyPairSync'd OKP key as JWK can deadlock when a GC runs during the export (the
 * key-generation job's finaliser takes the key's mutex), which thousands of generate() calls
 * hit sooner or later.
 */
function makeRouterInfo(published: number): RouterInfo {
  const signer = Ed25519Signer.fromPrivate(randomBytes(32));
  const identity = RouterIdentity.create(X25519KeyPair.fromPrivate(randomBytes(32)).publicKey, signer.publicKey);
  const ntcp2 = new Map([
    ['host', `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`],
    ['port', '23456'],
    ['s', i2pBase64Encode(X25519KeyPair.fromPrivate(randomBytes(32)).publicKey)],
    ['i', i2pBase64Encode(randomBytes(16))],
    ['v', '2'],
  ]);
  const options = new Map([
    ['caps', 'XfR'],
    ['netId', '99'],
    ['router.version', '0.9.57'],
  ]);
  return RouterInfo.create({ identity, signer, published, addresses: [new RouterAddress(3, 0, 'NTCP2', ntcp2)], options });
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export async function benchNetDb(): Promise<Record<string, number | string>> {
  const now = Date.now();
  const raws = Array.from({ length: SELECTION_ROUTERS }, () => makeRouterInfo(now - 60_000).raw);
  const newStore = (dir?: string): NetDbStore =>
    new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), maxRouterInfos: 10_000, maxMemoryBytes: 1 << 30, ...(dir ? { dir } : {}) });

  // Memory: parse + store 1,000 RouterInfos from byte copies, measure the retained heap.
  const copies = raws.slice(0, MEMORY_ROUTERS).map((b) => Buffer.from(b));
  const mem = newStore();
  gc();
  const heap0 = process.memoryUsage();
  for (const b of copies) mem.addRouterInfo(RouterInfo.parse(b), { verified: true });
  copies.length = 0;
  gc();
  const heap1 = process.memoryUsage();
  const heapPerRouter = (heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers) / MEMORY_ROUTERS;

  // Selection: 3 closest floodfills (routing key computed each time) among 5,000.
  const sel = newStore();
  for (const b of raws) sel.addRouterInfo(RouterInfo.parse(b), { verified: true });
  const keys = Array.from({ length: 256 }, () => randomBytes(32));
  for (let i = 0; i < 200; i++) sel.closestFloodfills(keys[i & 255]!, 3);
  let ops = 0;
  let t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    sel.closestFloodfills(keys[ops & 255]!, 3);
    ops++;
  }
  const selectOpsPerSec = ops / ((performance.now() - t0) / 1000);

  // Load 1,000 files in i2pd's layout, then write them all back in one batch.
  const dir = await mkdtemp(join(tmpdir(), 'gg-bench-netdb-'));
  try {
    for (const b of raws.slice(0, LOAD_FILES)) {
      const path = routerInfoPath(dir, RouterInfo.parse(b).hash);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, b);
    }
    const loader = newStore(dir);
    t0 = performance.now();
    const loaded = await loader.load();
    const loadMs = performance.now() - t0;
    if (loaded.loaded !== LOAD_FILES) throw new Error(`bench: loaded ${loaded.loaded} of ${LOAD_FILES}`);

    const writer = newStore(join(dir, 'copy'));
    for (const ri of loader.routerInfos()) writer.addRouterInfo(ri, { verified: true });
    t0 = performance.now();
    await writer.flush();
    const flushMs = performance.now() - t0;

    return {
      routers: MEMORY_ROUTERS,
      heapBytesPerRouterInfo: Math.round(heapPerRouter),
      heapMiBPer1000RouterInfos: Number(((heapPerRouter * 1000) / 1048576).toFixed(2)),
      rssMiBDeltaPer1000RouterInfos: Number((((heap1.rss - heap0.rss) / MEMORY_ROUTERS) * 1000 / 1048576).toFixed(2)),
      estimatedBytesPerRouterInfo: Math.round(mem.memoryBytes / mem.size),
      avgRouterInfoBytes: Math.round(raws.reduce((a, b) => a + b.length, 0) / raws.length),
      closestFloodfillsOf5000PerSec: Math.round(selectOpsPerSec),
      load1000FilesMs: Number(loadMs.toFixed(1)),
      flush1000FilesMs: Number(flushMs.toFixed(1)),
      flush1000DirSyncs: writer.persistence!.dirSyncs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/netdb.js` runs this benchmark alone.
runIfMain(import.meta.url, benchNetDb);
