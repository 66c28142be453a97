import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { closest, routingKey } from '../../../src/netdb/kademlia.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { Publisher, type PublishAction, type PublishResult } from '../../../src/netdb/publisher.js';
import { makeRouterInfo } from '../data/make-router-info.js';
import { makeRouters, routerOptions, T0 } from './netdb-sim.js';

const ours = makeRouterInfo({ options: routerOptions(false), published: T0 - 1000 });
const OURS = ours.ri.hash;
const floodfills = makeRouters(6, true).map((t) => t.ri);
const MIN = 60_000;

function setup(ris: RouterInfo[] = floodfills, extra: Partial<ConstructorParameters<typeof Publisher>[0]> = {}) {
  const store = new NetDbStore({ netId: 99, ourHash: OURS, now: () => T0 });
  for (const ri of ris) store.addRouterInfo(ri);
  let token = 1000;
  const p = new Publisher({ ourHash: OURS, context: store, randomToken: () => ++token, ...extra });
  return { store, p };
}

const stores = (a: PublishAction[]) => a.flatMap((x) => ('store' in x ? [x.store] : []));
const verifies = (a: PublishAction[]) => a.flatMap((x) => ('verify' in x ? [x.verify] : []));
const done = (a: PublishAction[]): PublishResult | undefined => a.flatMap((x) => ('done' in x ? [x.done] : []))[0];
const byDistance = (now: number) => closest(routingKey(OURS, now), floodfills, floodfills.length).map((r) => r.hash);

test('Publisher: store at the closest floodfill, ack, verify at a different one 15 s later, next round in 40 min', () => {
  const { p } = setup();
  p.start(T0);
  assert.equal(p.due(T0 + 1999), false);
  assert.equal(p.due(T0 + 2000), true);
  const now = T0 + 2000;
  const order = byDistance(now);
  const [s] = stores(p.publishNow(now, ours.ri.published));
  assert.deepEqual(s!.to, order[0], 'closest to our routing key today');
  assert.ok(s!.token !== 0);
  assert.deepEqual(p.publishNow(now, ours.ri.published), [], 'one round at a time');
  assert.equal(p.onDeliveryStatus(12345, now + 10).matched, false, 'not our token');
  assert.equal(p.onDeliveryStatus(s!.token, now + 100).matched, true);
  assert.deepEqual(p.tick(now + 100 + 14_999), []);
  const [v] = verifies(p.tick(now + 100 + 15_000));
  assert.deepEqual(v!.to, order[1], 'verified at the closest floodfill we did not store to');
  assert.ok(p.running);
  assert.equal(p.nextDeadline, now + 100 + 15_000 + 30_000, 'the verification is bounded');
});

test('Publisher: a verification returning our (or a newer) RouterInfo completes the round', () => {
  const { p } = setup();
  p.start(T0);
  const now = T0 + 2000;
  const [s] = stores(p.publishNow(now, ours.ri.published));
  p.onDeliveryStatus(s!.token, now + 50);
  verifies(p.tick(now + 20_000));
  const r = done(p.onVerifyResult(ours.ri, now + 20_500))!;
  assert.equal(r.verified, true);
  assert.deepEqual(r.storedAt, [s!.to]);
  assert.equal(r.attempts, 1);
  assert.equal(p.running, false);
  assert.equal(p.nextRoundDue, now + 20_500 + 40 * MIN);
  assert.equal(p.counters.verified, 1);
  assert.equal(p.last, r);
});

test('Publisher: silence means the next floodfill; an old RouterInfo at the verifier means store again elsewhere', () => {
  const { p } = setup();
  const now = T0 + 2000;
  const order = byDistance(now);
  const [s1] = stores(p.publishNow(now, ours.ri.published));
  assert.deepEqual(p.tick(now + 9_999), []);
  const [s2] = stores(p.tick(now + 10_000));
  assert.deepEqual(s2!.to, order[1], 'no DeliveryStatus within 10 s: next closest');
  assert.equal(p.counters.ackTimeouts, 1);
  assert.equal(p.onDeliveryStatus(s1!.token, now + 10_001).matched, false, 'too late');
  p.onDeliveryStatus(s2!.token, now + 10_500);
  const [v] = verifies(p.tick(now + 25_500));
  assert.deepEqual(v!.to, order[2], 'verifier: closest floodfill neither stored to nor silent');
  // The verifier has an older RouterInfo of ours: store again, at the closest untried (that verifier).
  const older = makeRouterInfo({ options: routerOptions(false), published: ours.ri.published - 60_000 }).ri;
  const [s3] = stores(p.onVerifyResult(older, now + 26_000));
  assert.deepEqual(s3!.to, order[2]);
  assert.equal(p.counters.verifyFailures, 1);
  // A verifying lookup that never ends is bounded too.
  p.onDeliveryStatus(s3!.token, now + 26_100);
  const [v2] = verifies(p.tick(now + 41_100));
  assert.deepEqual(v2!.to, order[3], 'neither a floodfill stored to nor the previous verifier');
  assert.deepEqual(p.tick(now + 41_100 + 29_999), []);
  const [s4] = stores(p.tick(now + 41_100 + 30_000));
  assert.deepEqual(s4!.to, order[4], 'the silent verifier is probably down: not a store target');
  // A store that cannot even be sent does not wait for its acknowledgement.
  const [s5] = stores(p.onSendFailed(s4!.token, now + 71_200));
  assert.deepEqual(s5!.to, order[5]);
});

test('Publisher: gives up after maxAttempts stores and retries the round later', () => {
  const { p } = setup(floodfills, { maxAttempts: 2, retryDelayMs: 120_000 });
  const now = T0;
  stores(p.publishNow(now, ours.ri.published));
  stores(p.tick(now + 10_000));
  const r = done(p.tick(now + 20_000))!;
  assert.equal(r.verified, false);
  assert.equal(r.reason, 'no-ack');
  assert.equal(r.attempts, 2);
  assert.equal(p.nextRoundDue, now + 20_000 + 120_000);
  assert.equal(p.counters.roundsFailed, 1);
});

test('Publisher: no floodfills; a single floodfill cannot be verified elsewhere', () => {
  const none = setup([]).p;
  const r = done(none.publishNow(T0, ours.ri.published))!;
  assert.equal(r.reason, 'no-floodfills');
  assert.equal(none.nextRoundDue, T0 + 2 * MIN);

  const { p } = setup(floodfills.slice(0, 1));
  const [s] = stores(p.publishNow(T0, ours.ri.published));
  p.onDeliveryStatus(s!.token, T0 + 10);
  const r2 = done(p.tick(T0 + 15_010))!;
  assert.equal(r2.reason, 'no-verifier');
  assert.deepEqual(r2.storedAt, [floodfills[0]!.hash]);
  assert.equal(p.nextRoundDue, T0 + 15_010 + 40 * MIN, 'stored and acknowledged: the normal interval');
});

test('Publisher: in the 45 minutes before UTC midnight, also store at the closest floodfill by tomorrow\'s key', () => {
  const late = Date.UTC(2025, 10, 24, 23, 30);
  const store = new NetDbStore({ netId: 99, ourHash: OURS, now: () => late });
  for (const ri of floodfills) store.addRouterInfo(ri, { now: T0 });
  let token = 1;
  const p = new Publisher({ ourHash: OURS, context: store, randomToken: () => ++token });
  const out = stores(p.publishNow(late, ours.ri.published));
  const today = closest(routingKey(OURS, late), floodfills, 2).map((r) => r.hash);
  const tomorrowAll = closest(routingKey(OURS, late + 3600_000), floodfills, 2).map((r) => r.hash);
  const tomorrow = tomorrowAll[0]!.equals(today[0]!) ? tomorrowAll[1]! : tomorrowAll[0]!;
  assert.equal(out.length, 2);
  assert.deepEqual(out[0]!.to, today[0]);
  assert.deepEqual(out[1]!.to, tomorrow);
  // The extra store's silence does not fail the round; its ack counts.
  p.onDeliveryStatus(out[0]!.token, late + 100);
  p.onDeliveryStatus(out[1]!.token, late + 200);
  const [v] = verifies(p.tick(late + 15_100));
  assert.ok(!v!.to.equals(out[0]!.to) && !v!.to.equals(out[1]!.to), 'verified at neither');
  const r = done(p.onVerifyResult(ours.ri, late + 16_000))!;
  assert.equal(r.storedAt.length, 2);

  const noon = new Publisher({ ourHash: OURS, context: store, randomToken: () => ++token });
  assert.equal(stores(noon.publishNow(Date.UTC(2025, 10, 24, 12), ours.ri.published)).length, 1);
});

test('Publisher: stop cancels a running round', () => {
  const { p } = setup();
  p.start(T0);
  stores(p.publishNow(T0 + 2000, ours.ri.published));
  const r = done(p.stop())!;
  assert.equal(r.reason, 'cancelled');
  assert.equal(p.nextRoundDue, undefined);
  assert.deepEqual(p.stop(), []);
});
