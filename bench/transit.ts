/**
 * Transit at scale (issue 4, item 8): memory with 2,000 transit tunnels held by the
 * TransitManager, and build requests accepted per second through it (open + decide + reply +
 * register), i.e. the whole hop path short of the socket.
 */
import { performance } from 'node:perf_hooks';
import { X25519KeyPair, randomBytes } from '../src/crypto/index.js';
import { TunnelBuildHop } from '../src/tunnel/build/build-request.js';
import { createTunnelBuild } from '../src/tunnel/build/build-creator.js';
import { TransitManager } from '../src/tunnel/transit-manager.js';
import { silentLogger } from '../src/util/log.js';

const TUNNELS = 2000;

export async function benchTransit(): Promise<Record<string, number | string>> {
  const me = { hash: randomBytes(32), key: X25519KeyPair.generate() };
  const creator = randomBytes(32);
  const now = Date.now();
  // The requests are made first, so the measurement holds only the hop's work.
  const requests = Array.from({ length: TUNNELS }, () =>
    createTunnelBuild({ format: 'short', direction: 'outbound', hops: [{ identHash: me.hash, encryptionKey: me.key.publicKey }, { identHash: randomBytes(32), encryptionKey: X25519KeyPair.generate().publicKey }], ourIdentHash: creator, replyTunnelId: 1, replyGateway: creator, now }),
  );
  let sent = 0;
  const tm = new TransitManager({
    hop: new TunnelBuildHop({ identHash: me.hash, encryptionKey: me.key }),
    ourHash: me.hash,
    maxTransitTunnels: TUNNELS,
    deliver: () => void sent++,
    newMessageId: () => 1,
    now: () => now,
    log: silentLogger(),
  });
  const t0 = performance.now();
  for (const r of requests) tm.handle({ type: r.type, msgId: r.msgId, expiration: now + 60_000, payload: r.payload });
  const secs = (performance.now() - t0) / 1000;
  requests.length = 0;
  if (tm.size !== TUNNELS || sent !== TUNNELS) throw new Error(`bench: ${tm.size} tunnels, ${sent} forwards`);
  // Memory held by the tunnels: with them, then after dropping them (same process, same heap).
  global.gc?.();
  const after = process.memoryUsage();
  tm.stop();
  global.gc?.();
  const before = process.memoryUsage();
  const mib = (n: number): number => Math.round((n / 1048576) * 100) / 100;
  return {
    transitTunnels: TUNNELS,
    buildRequestsAcceptedPerSec: Math.round(TUNNELS / secs),
    heapMiBFor2000Transit: mib(after.heapUsed - before.heapUsed),
    externalMiBFor2000Transit: mib(after.external - before.external),
    rssMiBWholeProcess: mib(after.rss),
    note: global.gc ? 'heap after gc' : 'run node with --expose-gc for exact heap figures',
  };
}
