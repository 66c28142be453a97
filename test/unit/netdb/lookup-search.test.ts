import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { LookupType } from '../../../src/i2np/database-lookup.js';
import { closest, compareDistance, routingKey } from '../../../src/netdb/kademlia.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { Search, type SearchAction, type SearchResult, type SendLookup } from '../../../src/netdb/search.js';
import { makeRouters, T0 } from './netdb-sim.js';

const OURS = randomBytes(32);
const floodfills = makeRouters(12, true).map((t) => t.ri);
const others = makeRouters(6, false).map((t) => t.ri);

function storeWith(ris = [...floodfills, ...others]): NetDbStore {
  const s = new NetDbStore({ netId: 99, ourHash: OURS, now: () => T0 });
  for (const ri of ris) assert.equal(s.addRouterInfo(ri), true);
  return s;
}

const sends = (a: SearchAction[]): SendLookup[] => a.flatMap((x) => ('send' in x ? [x.send] : []));
const fetches = (a: SearchAction[]) => a.flatMap((x) => ('fetch' in x ? [x.fetch] : []));
const done = (a: SearchAction[]): SearchResult | undefined => a.flatMap((x) => ('done' in x ? [x.done] : []))[0];
const hexes = (l: readonly Buffer[]) => l.map((h) => h.toString('hex')).sort();

test('Search: asks the 3 floodfills closest to the routing key, direct unencrypted RouterInfo lookups', () => {
  const store = storeWith();
  const key = randomBytes(32);
  const s = new Search(store, { key, kind: 'routerInfo', ourHash: OURS, now: T0 });
  const first = sends(s.start(T0));
  assert.equal(first.length, 3);
  const expected = closest(routingKey(key, T0), floodfills, 3).map((ri) => ri.hash);
  assert.deepEqual(first.map((x) => x.to), expected, 'closest first, by routingKey(key, today) XOR hash');
  for (const [i, x] of first.entries()) {
    assert.deepEqual(x.lookup.key, key);
    assert.deepEqual(x.lookup.from, OURS);
    assert.equal(x.lookup.lookupType, LookupType.RouterInfo);
    assert.equal(x.lookup.replyTunnelId, undefined, 'delivery flag 0: reply directly');
    assert.equal(x.lookup.replyEncryption, undefined);
    assert.deepEqual(hexes(x.lookup.excludedPeers), hexes(expected.slice(0, i + 1)), 'peers already asked are excluded');
  }
  assert.equal(s.done, false);
  assert.ok(s.asks(expected[0]!) && !s.asks(floodfills.find((f) => !expected.includes(f.hash))!.hash));
  // Found: the DatabaseStore ends it, whoever delivered it.
  const target = others[0]!;
  const r = done(s.onFound({ routerInfo: target }, expected[1], T0 + 300))!;
  assert.equal(r.outcome, 'found');
  assert.equal(r.routerInfo, target);
  assert.equal(r.elapsedMs, 300);
  assert.equal(r.replies, 1);
  assert.deepEqual(s.tick(T0 + 60_000), [], 'nothing after the end');
});

test('Search: LeaseSet lookups use type 1; hints we know become candidates, closest first', () => {
  const store = storeWith();
  const key = randomBytes(32);
  const s = new Search(store, { key, kind: 'leaseSet', ourHash: OURS, now: T0, limits: { parallelism: 1, maxPeers: 12 } });
  const [a] = sends(s.start(T0));
  assert.equal(a!.lookup.lookupType, LookupType.LeaseSet);
  // The first floodfill names two far floodfills (known to us) and a non-floodfill.
  const rkey = routingKey(key, T0);
  const byDistance = [...floodfills].sort((x, y) => compareDistance(rkey, x.hash, y.hash));
  const hinted = [byDistance[10]!.hash, byDistance[11]!.hash, others[0]!.hash];
  const next = sends(s.onSearchReply(a!.to, hinted, T0 + 10)!);
  assert.equal(next.length, 1);
  assert.deepEqual(next[0]!.to, byDistance[1]!.hash, 'still the closest untried candidate, not the hint');
  assert.deepEqual(fetches(s.onSearchReply(next[0]!.to, [], T0 + 20)!), []);
  // Unsolicited reply (from a peer never asked) is ignored.
  assert.equal(s.onSearchReply(byDistance[5]!.hash, [], T0 + 30), undefined);
});

test('Search: unknown hinted routers are fetched from the replier, then asked', () => {
  const known = floodfills.slice(0, 2);
  const store = storeWith(known);
  const key = randomBytes(32);
  const s = new Search(store, { key, kind: 'routerInfo', ourHash: OURS, now: T0 });
  const first = sends(s.start(T0));
  assert.equal(first.length, 2, 'only 2 floodfills known');
  const unknownFf = floodfills[5]!;
  const unknownRouter = others[1]!;
  const a = s.onSearchReply(first[0]!.to, [unknownFf.hash, unknownRouter.hash, key, OURS], T0 + 10)!;
  assert.deepEqual(
    fetches(a).map((f) => [f.hash.toString('hex'), f.from.toString('hex')]),
    [unknownFf.hash, unknownRouter.hash].map((h) => [h.toString('hex'), first[0]!.to.toString('hex')]),
    'fetch each unknown hint from the floodfill that named it (not the key itself, not us)',
  );
  assert.deepEqual(sends(a), []);
  // The second floodfill has nothing either; the search waits for the fetches.
  assert.equal(done(s.onSearchReply(first[1]!.to, [], T0 + 20)!), undefined);
  // The fetched RouterInfo of a non-floodfill is learnt but never asked.
  assert.deepEqual(s.onFetchResult(unknownRouter.hash, unknownRouter, T0 + 30), []);
  store.addRouterInfo(unknownFf);
  const asked = sends(s.onFetchResult(unknownFf.hash, unknownFf, T0 + 40));
  assert.deepEqual(asked.map((x) => x.to), [unknownFf.hash]);
  const r = done(s.onSearchReply(unknownFf.hash, [], T0 + 50)!)!;
  assert.equal(r.outcome, 'not-found');
  assert.equal(r.replies, 3);
  assert.deepEqual(hexes(r.learnt), hexes([unknownRouter.hash, unknownFf.hash]));
  assert.deepEqual(hexes(r.queried), hexes([...first.map((x) => x.to), unknownFf.hash]));
});

test('Search: fetches per search are bounded; hints per reply are bounded', () => {
  const store = storeWith(floodfills.slice(0, 1));
  const s = new Search(store, { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0, limits: { maxFetches: 3, maxHintsPerReply: 16 } });
  const [a] = sends(s.start(T0));
  const many = Array.from({ length: 40 }, () => randomBytes(32));
  assert.equal(fetches(s.onSearchReply(a!.to, many, T0)!).length, 3);
  const s2 = new Search(store, { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0, limits: { maxFetches: 100 } });
  const [b] = sends(s2.start(T0));
  assert.equal(fetches(s2.onSearchReply(b!.to, many, T0)!).length, 16, 'i2np.rst: at most 16 hashes are worth reading');
});

test('Search: per-peer timeout frees a slot, late replies still count; maxPeers; total timeout', () => {
  const store = storeWith();
  const s = new Search(store, { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0, limits: { parallelism: 2, maxPeers: 4, perPeerTimeoutMs: 5000, totalTimeoutMs: 20_000 } });
  const first = sends(s.start(T0));
  assert.equal(first.length, 2);
  assert.deepEqual(s.tick(T0 + 4999), []);
  assert.equal(s.nextDeadline, T0 + 5000);
  const second = sends(s.tick(T0 + 5000));
  assert.equal(second.length, 2, 'both silent peers timed out: two new ones asked');
  assert.deepEqual(sends(s.tick(T0 + 10_000)), [], 'maxPeers reached: nobody else is asked');
  // All four timed out with no candidates left to ask: over, nobody answered.
  const r = done(s.tick(T0 + 10_000)) ?? s.outcome;
  assert.equal(r?.outcome, 'timeout');
  assert.equal(r?.queried.length, 4);

  // Total timeout while peers keep being slow.
  const t = new Search(store, { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0, limits: { parallelism: 1, perPeerTimeoutMs: 8000, totalTimeoutMs: 20_000 } });
  const [p1] = sends(t.start(T0));
  sends(t.tick(T0 + 8000));
  // A late reply from the first peer is still used (it names nobody new).
  assert.notEqual(t.onSearchReply(p1!.to, [], T0 + 9000), undefined);
  sends(t.tick(T0 + 16_000));
  const r2 = done(t.tick(T0 + 20_000))!;
  assert.equal(r2.outcome, 'not-found', 'somebody answered, nobody had it');
  assert.equal(r2.elapsedMs, 20_000);
});

test('Search: send failure counts at once; no floodfills; a bad store fails that peer; excluded peers', () => {
  const store = storeWith(floodfills.slice(0, 2));
  const s = new Search(store, { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0, limits: { parallelism: 1 } });
  const [a] = sends(s.start(T0));
  const [b] = sends(s.onSendFailed(a!.to, T0 + 1));
  assert.notDeepEqual(b!.to, a!.to);
  const r = done(s.onBadReply(b!.to, T0 + 2))!;
  assert.equal(r.outcome, 'timeout', 'nobody gave a usable answer');

  const empty = new Search(storeWith([]), { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0 });
  assert.equal(done(empty.start(T0))!.outcome, 'no-floodfills');

  const ex = new Search(store, { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0, exclude: [floodfills[0]!.hash] });
  assert.deepEqual(sends(ex.start(T0)).map((x) => x.to), [floodfills[1]!.hash]);
});

test('Search: onlyPeers asks exactly those and follows no hints', () => {
  const store = storeWith();
  const peer = floodfills[7]!.hash;
  const s = new Search(store, { key: others[2]!.hash, kind: 'routerInfo', ourHash: OURS, now: T0, onlyPeers: [peer] });
  assert.deepEqual(sends(s.start(T0)).map((x) => x.to), [peer]);
  const a = s.onSearchReply(peer, [floodfills[1]!.hash, randomBytes(32)], T0 + 5)!;
  assert.equal(done(a)!.outcome, 'not-found');
  assert.equal(sends(a).length + fetches(a).length, 0);
  // A peer added later (another search learnt it has the entry) is asked next.
  const t = new Search(store, { key: others[2]!.hash, kind: 'routerInfo', ourHash: OURS, now: T0, limits: { parallelism: 1 } });
  const [firstAsked] = sends(t.start(T0));
  const extra = floodfills.find((f) => !f.hash.equals(firstAsked!.to))!.hash;
  assert.deepEqual(sends(t.addPeer(extra, T0 + 6)), []);
  assert.deepEqual(sends(t.addPeer(firstAsked!.to, T0 + 6)), [], 'already asked');
  const [next] = sends(t.tick(T0 + 5000));
  assert.deepEqual(next!.to, extra);
});

test('Search: exploration asks for non-floodfills, excludes the all-zero hash and known routers, fetches what it learns', () => {
  const store = storeWith();
  const key = randomBytes(32);
  const s = new Search(store, { key, kind: 'exploration', ourHash: OURS, now: T0 });
  const first = sends(s.start(T0));
  assert.equal(first.length, 1, 'one floodfill at a time');
  const l = first[0]!.lookup;
  assert.equal(l.lookupType, LookupType.Exploration);
  const ex = hexes(l.excludedPeers);
  assert.ok(ex.includes(Buffer.alloc(32).toString('hex')), 'all-zero hash: non-floodfills only (pre-0.9.16 routers)');
  assert.ok(ex.includes(OURS.toString('hex')));
  for (const ri of others) assert.ok(ex.includes(ri.hash.toString('hex')), 'known non-floodfills are excluded so the answer is news');
  assert.ok(!ex.includes(floodfills[0]!.hash.toString('hex')) || first[0]!.to.equals(floodfills[0]!.hash));

  const fresh = makeRouters(3, false).map((t) => t.ri);
  const a = s.onSearchReply(first[0]!.to, [...fresh.map((r) => r.hash), others[0]!.hash, Buffer.alloc(32)], T0 + 10)!;
  assert.deepEqual(hexes(fetches(a).map((f) => f.hash)), hexes(fresh.map((r) => r.hash)), 'only unknown routers are fetched');
  assert.deepEqual(sends(a), [], 'an answered exploration asks nobody else');
  s.onFetchResult(fresh[0]!.hash, fresh[0], T0 + 20);
  s.onFetchResult(fresh[1]!.hash, undefined, T0 + 20);
  const r = done(s.onFetchResult(fresh[2]!.hash, fresh[2], T0 + 30))!;
  assert.equal(r.outcome, 'explored');
  assert.deepEqual(hexes(r.learnt), hexes([fresh[0]!.hash, fresh[2]!.hash]));

  // Silent floodfill: after its timeout a second one is asked, then the exploration gives up.
  const t = new Search(store, { key: randomBytes(32), kind: 'exploration', ourHash: OURS, now: T0 });
  sends(t.start(T0));
  assert.equal(sends(t.tick(T0 + 5000)).length, 1);
  assert.equal((done(t.tick(T0 + 10_000)) ?? t.outcome)!.outcome, 'timeout');
});

test('Search: cancel; key must be 32 bytes', () => {
  const s = new Search(storeWith(), { key: randomBytes(32), kind: 'routerInfo', ourHash: OURS, now: T0 });
  s.start(T0);
  assert.equal(s.cancel(T0 + 1)?.outcome, 'cancelled');
  assert.equal(s.cancel(T0 + 2), undefined);
  assert.throws(() => new Search(storeWith([]), { key: randomBytes(31), kind: 'routerInfo', ourHash: OURS, now: T0 }), RangeError);
});
