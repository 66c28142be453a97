/**
 * netDb search benchmark: complete RouterInfo searches per second by our NetDb (Search,
 * LookupManager, the shell, I2NP encoding) against an in-memory network of real
 * FloodfillHandlers (test/unit/netdb/netdb-sim.ts), each target held only by the 3 floodfills
 * closest to it, as flooding leaves it. "cold": a fresh router that knows 3 floodfills and must
 * follow search-reply hints (fetching the hinted floodfills' RouterInfos from the replier);
 * "warm": one router doing many searches and keeping the floodfills it learnt. Also the lookups
 * sent per search. Run: `node dist/bench/netdb-lookup.js`.
 */
import { performance } from 'node:perf_hooks';
import { I2NPType } from '../src/i2np/message.js';
import { closest, routingKey } from '../src/netdb/kademlia.js';
import { NetDb } from '../src/netdb/netdb.js';
import { NetDbStore } from '../src/netdb/netdb-store.js';
import { silentLogger } from '../src/util/log.js';
import { makeRouterInfo } from '../test/unit/data/make-router-info.js';
import { makeRouters, newMessage, routerOptions, SimNetwork, T0 } from '../test/unit/netdb/netdb-sim.js';
import { runIfMain } from './run-if-main.js';

const FLOODFILLS = 60;
const TARGETS = 300;

export async function benchNetDbLookup(): Promise<Record<string, number | string>> {
  const net = new SimNetwork();
  const ffs = makeRouters(FLOODFILLS, true).map((t) => net.add(t, true));
  const targets = makeRouters(TARGETS, false).map((t) => t.ri);
  for (const a of ffs) for (const b of ffs) if (a !== b) a.store.addRouterInfo(b.ri);
  // Each target where flooding leaves it: at its 3 closest floodfills.
  for (const ri of targets) {
    for (const holder of closest(routingKey(ri.hash, T0), ffs.map((f) => f.ri), 3)) net.get(holder.hash)!.store.addRouterInfo(ri);
  }

  const newNetDb = (): { netdb: NetDb; store: NetDbStore; sentBefore: number } => {
    const me = makeRouterInfo({ options: routerOptions(false), published: T0 - 1000 });
    const store = new NetDbStore({ netId: 99, ourHash: me.ri.hash, now: net.clock.now });
    for (const f of ffs.slice(0, 3)) store.addRouterInfo(f.ri);
    const netdb = new NetDb({
      store,
      transport: net.transport(),
      ourHash: me.ri.hash,
      ourRouterInfo: () => me.ri,
      floodfill: undefined,
      now: net.clock.now,
      log: silentLogger(),
      newMessage: newMessage(net.clock),
      exploration: false,
      publishIntervalMs: 0,
    });
    net.attach(me.ri.hash, (m, from) => netdb.handle(m, from));
    return { netdb, store, sentBefore: net.sent.length };
  };

  const lookupsBy = (hashCount: number): number => net.sent.slice(hashCount).filter((s) => s.m.type === I2NPType.DatabaseLookup).length;

  // Cold: a new router per search.
  let found = 0;
  let t0 = performance.now();
  const coldN = 100;
  let lookups = 0;
  for (let i = 0; i < coldN; i++) {
    const { netdb, sentBefore } = newNetDb();
    const p = netdb.lookupRouterInfo(targets[i]!.hash);
    await net.flush();
    if (await p) found++;
    lookups += lookupsBy(sentBefore);
    await netdb.stop();
  }
  const coldMs = performance.now() - t0;
  const coldFound = found;
  const coldLookups = lookups / coldN;

  // Warm: one router, every target, 16 searches in flight at a time.
  const { netdb, store, sentBefore } = newNetDb();
  found = 0;
  t0 = performance.now();
  for (let i = 0; i < TARGETS; i += 16) {
    const batch = targets.slice(i, i + 16).map((ri) => netdb.lookupRouterInfo(ri.hash));
    await net.flush();
    for (const r of await Promise.all(batch)) if (r) found++;
  }
  const warmMs = performance.now() - t0;
  const warmLookups = lookupsBy(sentBefore) / TARGETS;
  await netdb.stop();

  return {
    floodfills: FLOODFILLS,
    coldSearchesPerSec: Math.round((coldN / coldMs) * 1000),
    coldFound: `${coldFound}/${coldN}`,
    coldLookupsPerSearch: Math.round(coldLookups * 100) / 100,
    warmSearchesPerSec: Math.round((TARGETS / warmMs) * 1000),
    warmFound: `${found}/${TARGETS}`,
    warmLookupsPerSearch: Math.round(warmLookups * 100) / 100,
    warmFloodfillsKnownAfter: store.floodfills().length,
  };
}

runIfMain(import.meta.url, benchNetDbLookup);
