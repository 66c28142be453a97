import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { LookupType } from '../../../src/i2np/database-lookup.js';
import { LookupManager, type LookupOutput } from '../../../src/netdb/lookup-manager.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import type { SearchResult } from '../../../src/netdb/search.js';
import { makeRouters, T0 } from './netdb-sim.js';

const OURS = randomBytes(32);
const floodfills = makeRouters(10, true).map((t) => t.ri);
const others = makeRouters(4, false).map((t) => t.ri);

function setup(extra: Partial<ConstructorParameters<typeof LookupManager>[0]> = {}, ris = floodfills) {
  const store = new NetDbStore({ netId: 99, ourHash: OURS, now: () => T0 });
  for (const ri of ris) store.addRouterInfo(ri);
  return { store, m: new LookupManager({ ourHash: OURS, context: store, ...extra }) };
}

function collect(): { results: SearchResult[]; onDone: (r: SearchResult) => void } {
  const results: SearchResult[] = [];
  return { results, onDone: (r) => results.push(r) };
}

test('LookupManager: concurrent lookups of one key share one search', () => {
  const { m } = setup();
  const a = collect();
  const b = collect();
  const key = others[0]!.hash;
  const first = m.lookup({ key, kind: 'routerInfo', onDone: a.onDone }, T0);
  assert.equal(first.send.length, 3);
  const second = m.lookup({ key, kind: 'routerInfo', onDone: b.onDone }, T0 + 1);
  assert.deepEqual(second, { send: [], done: [] });
  assert.equal(m.counters.merged, 1);
  assert.ok(m.isSearching(key, 'routerInfo'));
  assert.ok(!m.isSearching(key, 'leaseSet'), 'a LeaseSet search for the same key is another search');
  const r = m.onDatabaseStore(key, 'routerInfo', { routerInfo: others[0]! }, first.send[1]!.to, T0 + 5);
  assert.equal(r.matched, true);
  assert.equal(a.results[0]?.outcome, 'found');
  assert.equal(b.results[0], a.results[0]);
  assert.equal(m.counters.found, 1);
  assert.ok(!m.isSearching(key, 'routerInfo'));
  assert.equal(m.onDatabaseStore(key, 'routerInfo', { routerInfo: others[0]! }, undefined, T0 + 6).matched, false, 'a late duplicate matches nothing');
});

test('LookupManager: bounded concurrency, queue and refusal', () => {
  const { m } = setup({ maxConcurrent: 2, maxQueued: 1, limits: { maxPeers: 3 } });
  const got = collect();
  const keys = Array.from({ length: 4 }, () => randomBytes(32));
  const out = keys.map((key) => m.lookup({ key, kind: 'leaseSet', onDone: got.onDone, retry: false }, T0));
  assert.equal(out[0]!.send.length + out[1]!.send.length, 6);
  assert.deepEqual(out[2]!.send, [], 'queued');
  assert.equal(out[3]!.done[0]?.outcome, 'refused');
  assert.deepEqual(m.sizes, { running: 2, fetches: 0, queued: 1 });
  assert.equal(m.counters.refused, 1);
  assert.equal(m.counters.queued, 1);
  // The first search ends (all three floodfills say no, no hints): the queued one starts.
  let started: LookupOutput | undefined;
  for (const s of out[0]!.send) {
    const r = m.onSearchReply({ key: keys[0]!, peers: [], from: s.to }, s.to, T0 + 10);
    if (r.send.length) started = r;
  }
  assert.equal(got.results.find((r) => r.key === keys[0])?.outcome, 'not-found');
  assert.ok(started && started.send.every((s) => s.lookup.key.equals(keys[2]!)), 'the queued search started');
  assert.deepEqual(m.sizes, { running: 2, fetches: 0, queued: 0 });
});

test('LookupManager: a failed search is retried once without the peers it asked', () => {
  const { m } = setup({ limits: { maxPeers: 3 } });
  const got = collect();
  const key = randomBytes(32);
  const first = m.lookup({ key, kind: 'routerInfo', onDone: got.onDone }, T0);
  const asked1 = first.send.map((s) => s.to.toString('hex'));
  let retry: LookupOutput | undefined;
  for (const s of first.send) retry = m.onSearchReply({ key, peers: [], from: s.to }, s.to, T0 + 10);
  assert.equal(got.results.length, 0, 'not reported yet: retrying');
  assert.equal(m.counters.retried, 1);
  assert.equal(retry!.send.length, 3);
  for (const s of retry!.send) {
    assert.ok(!asked1.includes(s.to.toString('hex')), 'the retry asks other floodfills');
    const ex = s.lookup.excludedPeers.map((h) => h.toString('hex'));
    for (const h of asked1) assert.ok(ex.includes(h), 'and tells floodfills not to name them again');
  }
  // The retry times out as well: reported once, no third attempt.
  // (Its three peers stay silent for the 5-s per-peer timeout, and it may ask no more.)
  assert.deepEqual(m.tick(T0 + 10 + 4_999).done, []);
  const done = m.tick(T0 + 10 + 5_000);
  assert.equal(got.results.length, 1);
  assert.equal(got.results[0]!.outcome, 'timeout');
  assert.deepEqual(done.done, got.results);
  assert.equal(m.counters.timeouts, 1);
  assert.equal(m.counters.retried, 1);
  assert.equal(m.nextDeadline, Infinity);
});

test('LookupManager: unknown hinted floodfills are fetched from the replier; the fetched one is asked', () => {
  const { store, m } = setup({}, floodfills.slice(0, 1));
  const got = collect();
  const key = randomBytes(32);
  const [first] = m.lookup({ key, kind: 'routerInfo', onDone: got.onDone, retry: false }, T0).send;
  const hint = floodfills[4]!;
  const r = m.onSearchReply({ key, peers: [hint.hash], from: randomBytes(32) }, first!.to, T0 + 10);
  assert.equal(r.matched, true);
  assert.equal(r.send.length, 1);
  assert.deepEqual(r.send[0]!.to, first!.to, 'the RouterInfo of the hint is asked of the replier');
  assert.deepEqual(r.send[0]!.lookup.key, hint.hash);
  assert.equal(r.send[0]!.lookup.lookupType, LookupType.RouterInfo);
  assert.deepEqual(m.sizes, { running: 1, fetches: 1, queued: 0 });
  // The replier sends the RouterInfo; the shell stores it and reports it.
  store.addRouterInfo(hint);
  const next = m.onDatabaseStore(hint.hash, 'routerInfo', { routerInfo: hint }, first!.to, T0 + 20);
  assert.deepEqual(next.send.map((s) => s.to), [hint.hash], 'the parent asks the fetched floodfill');
  assert.deepEqual(next.send[0]!.lookup.key, key);
  const end = m.onDatabaseStore(key, 'routerInfo', { routerInfo: others[1]! }, hint.hash, T0 + 30);
  assert.equal(end.done[0]?.outcome, 'found');
  assert.equal(got.results[0]?.routerInfo, others[1]);
  assert.equal(m.counters.fetches, 1);
});

test('LookupManager: fetches are bounded and never wait behind searches', () => {
  const { m } = setup({ maxConcurrent: 1, maxFetches: 2 }, floodfills.slice(0, 1));
  const got = collect();
  const key = randomBytes(32);
  const [first] = m.lookup({ key, kind: 'routerInfo', onDone: got.onDone, retry: false }, T0).send;
  const hints = Array.from({ length: 5 }, () => randomBytes(32));
  const r = m.onSearchReply({ key, peers: hints, from: first!.to }, first!.to, T0 + 1);
  assert.equal(r.send.length, 2, 'two fetches run although the only search slot is taken');
  assert.equal(m.counters.fetchesRefused, 3);
  // Both fetches fail (the replier does not have them): the search ends not found.
  let end: LookupOutput | undefined;
  for (const s of r.send) end = m.onSearchReply({ key: s.lookup.key, peers: [], from: s.to }, s.to, T0 + 2);
  assert.equal(got.results[0]?.outcome, 'not-found');
  assert.ok(end);
  assert.deepEqual(m.sizes, { running: 0, fetches: 0, queued: 0 });
});

test('LookupManager: a user lookup joining a fetch gets a full search when the fetch fails', () => {
  const { m } = setup({}, floodfills.slice(0, 4));
  const key = randomBytes(32);
  const [first] = m.lookup({ key, kind: 'routerInfo', retry: false }, T0).send;
  const hint = randomBytes(32);
  const fetch = m.onSearchReply({ key, peers: [hint], from: first!.to }, first!.to, T0 + 1).send.filter((s) => s.lookup.key.equals(hint));
  assert.equal(fetch.length, 1);
  const got = collect();
  assert.deepEqual(m.lookup({ key: hint, kind: 'routerInfo', onDone: got.onDone }, T0 + 2).send, [], 'joined the fetch');
  const retry = m.onSearchReply({ key: hint, peers: [], from: fetch[0]!.to }, fetch[0]!.to, T0 + 3);
  assert.equal(got.results.length, 0);
  assert.ok(retry.send.length > 0 && retry.send.every((s) => s.lookup.key.equals(hint) && !s.to.equals(fetch[0]!.to)));
});

test('LookupManager: unsolicited replies, bad stores, send failures, cancelAll', () => {
  const { m } = setup();
  const key = randomBytes(32);
  const got = collect();
  const out = m.lookup({ key, kind: 'leaseSet', onDone: got.onDone, retry: false, limits: { parallelism: 1 } }, T0);
  const peer = out.send[0]!.to;
  assert.equal(m.onSearchReply({ key: randomBytes(32), peers: [], from: peer }, peer, T0).matched, false);
  assert.equal(m.onSearchReply({ key, peers: [], from: peer }, randomBytes(32), T0).matched, false, 'from a peer never asked');
  assert.equal(m.counters.searchRepliesUnmatched, 2);
  const afterBad = m.onDatabaseStore(key, 'leaseSet', undefined, peer, T0 + 1);
  assert.equal(afterBad.send.length, 1, 'a store that did not verify fails its sender; the next floodfill is asked');
  assert.equal(m.counters.badStores, 1);
  const afterFail = m.onSendFailed(afterBad.send[0]!.to, afterBad.send[0]!.lookup, T0 + 2);
  assert.equal(afterFail.send.length, 1);
  assert.equal(m.counters.sendFailures, 1);
  const cancelled = m.cancelAll(T0 + 3);
  assert.equal(cancelled.length, 1);
  assert.equal(got.results[0]?.outcome, 'cancelled');
  assert.deepEqual(m.sizes, { running: 0, fetches: 0, queued: 0 });
});
