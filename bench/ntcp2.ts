/**
 * NTCP2 benchmark over loopback with real NTCP2Transport instances: handshakes per second
 * (sequential and concurrent) and data-phase throughput (one I2NP message per frame, and 1 KiB
 * messages packed into 16 KiB frames). Run directly to print JSON:
 *   node dist/bench/ntcp2.js
 */
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../src/crypto/index.js';
import { i2pBase64Encode } from '../src/data/base64.js';
import { RouterAddress } from '../src/data/router-address.js';
import { RouterIdentity } from '../src/data/router-identity.js';
import { RouterInfo } from '../src/data/router-info.js';
import type { I2NPMessage } from '../src/i2np/message.js';
import { silentLogger } from '../src/util/log.js';
import { NTCP2Transport, type NTCP2TransportOptions } from '../src/transport/ntcp2/transport.js';
import { runIfMain } from './run-if-main.js';

const HOST = '127.0.0.1';
const BACKLOG_BYTES = 1024 * 1024;
const NET_ID = 99;

interface BenchNode {
  t: NTCP2Transport;
  ri: RouterInfo;
}

async function node(opts: Partial<NTCP2TransportOptions> = {}): Promise<BenchNode> {
  const signer = Ed25519Signer.generate();
  const staticKey = X25519KeyPair.generate();
  const iv = randomBytes(16);
  const holder: { ri?: RouterInfo } = {};
  const t = new NTCP2Transport({
    staticKey,
    iv,
    routerInfo: () => holder.ri!,
    netId: NET_ID,
    host: HOST,
    port: 0,
    log: silentLogger(),
    maxSessions: 10_000,
    ...opts,
  });
  await t.listen();
  const identity = RouterIdentity.create(X25519KeyPair.generate().publicKey, signer.publicKey);
  const address = new RouterAddress(
    3,
    0,
    'NTCP2',
    new Map([
      ['host', HOST],
      ['port', String(t.boundPort)],
      ['s', i2pBase64Encode(staticKey.publicKey)],
      ['i', i2pBase64Encode(iv)],
      ['v', '2'],
    ]),
  );
  holder.ri = RouterInfo.create({
    identity,
    signer,
    published: Date.now(),
    addresses: [address],
    options: new Map([
      ['caps', 'XR'],
      ['netId', String(NET_ID)],
      ['router.version', '0.9.57'],
    ]),
  });
  return { t, ri: holder.ri };
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('benchmark timed out');
    await new Promise((r) => setImmediate(r));
  }
}

/** Sequential handshakes: one client after another connects, then closes. */
async function handshakesSequential(server: BenchNode, clients: BenchNode[], rounds: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    for (const c of clients) {
      await c.t.connect(server.ri);
      c.t.close(server.ri.hash);
    }
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return (rounds * clients.length) / secs;
}

/** All clients connect at once. */
async function handshakesConcurrent(server: BenchNode, clients: BenchNode[], rounds: number): Promise<number> {
  let total = 0;
  let secs = 0;
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await Promise.all(clients.map((c) => c.t.connect(server.ri)));
    secs += Number(process.hrtime.bigint() - start) / 1e9;
    total += clients.length;
    for (const c of clients) c.t.close(server.ri.hash);
    await new Promise((r) => setTimeout(r, 50));
  }
  return total / secs;
}

/**
 * Streams `count` messages of `size` bytes a -> b, keeping the sender's backlog around 1 MiB
 * (below the transport's per-session bound, so nothing is dropped).
 */
async function stream(a: BenchNode, b: BenchNode, count: number, size: number): Promise<{ msgsPerSec: number; mbPerSec: number; frames: number }> {
  const session = await a.t.connect(b.ri);
  let received = 0;
  const onMessage = (): void => {
    received++;
  };
  b.t.on('message', onMessage);
  const payload = randomBytes(size);
  const expiration = Date.now() + 600_000;
  const framesBefore = a.t.counters.framesOut;
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < count) {
    if (session.backlogBytes < BACKLOG_BYTES) {
      const batch: I2NPMessage[] = [];
      for (let i = 0; i < 256 && i * size < BACKLOG_BYTES && sent < count; i++, sent++) batch.push({ type: 20, msgId: sent + 1, expiration, payload });
      a.t.send(b.ri.hash, batch);
    }
    await new Promise((r) => setImmediate(r));
  }
  await waitUntil(() => received >= count, 120_000);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  b.t.off('message', onMessage);
  return { msgsPerSec: count / secs, mbPerSec: (count * size) / secs / 1e6, frames: a.t.counters.framesOut - framesBefore };
}

export async function benchNtcp2(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const server = await node();
  const clients = await Promise.all(Array.from({ length: 16 }, () => node()));
  try {
    await handshakesSequential(server, clients.slice(0, 4), 5); // warm-up
    out.handshakesPerSecSequential = round(await handshakesSequential(server, clients, 20));
    out.handshakesPerSecConcurrent16 = round(await handshakesConcurrent(server, clients, 10));

    // One message per frame: a frame budget below one block forces a frame per message.
    const single = await node({ maxFramePayload: 1 });
    const r1 = await stream(single, server, 20_000, 1024);
    out.onePerFrame1KiBMsgsPerSec = round(r1.msgsPerSec, 0);
    out.onePerFrame1KiBMBps = round(r1.mbPerSec);
    out.onePerFrame1KiBFrames = r1.frames;
    await single.t.stop();

    const packedNode = await node();
    const r2 = await stream(packedNode, server, 100_000, 1024);
    out.packed1KiBMsgsPerSec = round(r2.msgsPerSec, 0);
    out.packed1KiBMBps = round(r2.mbPerSec);
    out.packed1KiBFrames = r2.frames;
    const r3 = await stream(packedNode, server, 5_000, 60_000);
    out.large60KBMsgsPerSec = round(r3.msgsPerSec, 0);
    out.large60KBMBps = round(r3.mbPerSec);
    await packedNode.t.stop();
    out.note = 'loopback, both ends in one Node process (one core does both sides)';
  } finally {
    await Promise.all([server, ...clients].map((n) => n.t.stop()));
  }
  return out;
}

runIfMain(import.meta.url, benchNtcp2);
