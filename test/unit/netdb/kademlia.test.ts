import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  NEXT_ROUTING_KEY_LS_ADVANCE_MS,
  NEXT_ROUTING_KEY_RI_ADVANCE_MS,
  closest,
  compareDistance,
  msUntilMidnightUtc,
  nextRoutingKey,
  routingKey,
  routingKeyDate,
  routingKeys,
  xorDistance,
} from '../../../src/netdb/kademlia.js';

const HASH = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

test('routingKey: SHA-256(hash || yyyyMMdd UTC), known answers', () => {
  const t = Date.UTC(2024, 0, 5, 13, 45, 0);
  assert.equal(routingKeyDate(t), '20240105');
  // Expected values computed outside this code base (Python hashlib) and by node:crypto here.
  assert.equal(routingKey(HASH, t).toString('hex'), '7cb3da95b3229a85f4b48b23525401e52988663cd104eb24220d6058edc261b6');
  assert.deepEqual(routingKey(HASH, t), createHash('sha256').update(HASH).update('20240105', 'ascii').digest());
  assert.equal(routingKey(HASH, Date.UTC(2025, 0, 1)).toString('hex'), 'f27f23030952577285333173f049b7e7f98ab51a5dad906ba4b388a43d461353');
  // Local time zones play no part: 23:30 UTC on the 5th is the 5th everywhere for this purpose.
  assert.equal(routingKeyDate(Date.UTC(2024, 0, 5, 23, 30)), '20240105');
  assert.equal(routingKeyDate(Date.UTC(2024, 1, 29)), '20240229');
  assert.equal(routingKeyDate(Date.UTC(2024, 11, 31, 23, 59, 59, 999)), '20241231');
  assert.throws(() => routingKeyDate(NaN), RangeError);
});

test('routingKey rotates at UTC midnight; next-day key and the pre-midnight window', () => {
  const lastMs = Date.UTC(2024, 0, 5, 23, 59, 59, 999);
  const midnight = lastMs + 1;
  assert.notDeepEqual(routingKey(HASH, lastMs), routingKey(HASH, midnight));
  assert.deepEqual(routingKey(HASH, Date.UTC(2024, 0, 5)), routingKey(HASH, lastMs));
  assert.equal(routingKey(HASH, midnight).toString('hex'), '5009662773c85932b76eee20e7c2b6e2a30c3c76b8c994aceb7e7224dd31adc2');
  assert.deepEqual(nextRoutingKey(HASH, lastMs), routingKey(HASH, midnight));
  assert.deepEqual(nextRoutingKey(HASH, Date.UTC(2024, 0, 5)), routingKey(HASH, midnight));
  assert.deepEqual(nextRoutingKey(HASH, Date.UTC(2024, 11, 31, 20)), routingKey(HASH, Date.UTC(2025, 0, 1)));

  assert.equal(msUntilMidnightUtc(lastMs), 1);
  assert.equal(msUntilMidnightUtc(midnight), 86_400_000);
  assert.equal(msUntilMidnightUtc(Date.UTC(2024, 0, 5, 23, 15)), 45 * 60_000);

  const noon = Date.UTC(2024, 0, 5, 12);
  assert.deepEqual(routingKeys(HASH, noon, NEXT_ROUTING_KEY_RI_ADVANCE_MS), [routingKey(HASH, noon)]);
  const late = Date.UTC(2024, 0, 5, 23, 40);
  assert.deepEqual(routingKeys(HASH, late, NEXT_ROUTING_KEY_RI_ADVANCE_MS), [routingKey(HASH, late), routingKey(HASH, midnight)]);
  assert.equal(routingKeys(HASH, late, NEXT_ROUTING_KEY_LS_ADVANCE_MS).length, 1, '20 min before midnight is outside the LeaseSet window');
  assert.equal(routingKeys(HASH, Date.UTC(2024, 0, 5, 23, 55), NEXT_ROUTING_KEY_LS_ADVANCE_MS).length, 2);
});

test('xorDistance and compareDistance', () => {
  const a = Buffer.alloc(32);
  const b = Buffer.alloc(32);
  b[31] = 1;
  const c = Buffer.alloc(32);
  c[0] = 0x80;
  assert.deepEqual(xorDistance(b, c), Buffer.concat([Buffer.of(0x80), Buffer.alloc(30), Buffer.of(1)]));
  assert.ok(compareDistance(a, b, c) < 0);
  assert.ok(compareDistance(a, c, b) > 0);
  assert.equal(compareDistance(a, b, b), 0);
  assert.ok(compareDistance(c, c, b) < 0);
  assert.throws(() => xorDistance(a, Buffer.alloc(31)), RangeError);
});

test('closest() agrees with a brute-force sort on random sets, with exclusions', () => {
  for (const size of [0, 1, 2, 7, 100, 3000]) {
    for (const n of [1, 3, 8, 64]) {
      const key = randomBytes(32);
      const items = Array.from({ length: size }, (_, i) => ({ hash: randomBytes(32), i }));
      // A few hashes sharing long prefixes with the key, so the 4-byte fast path ties.
      for (let j = 0; j < Math.min(size, 5); j++) {
        const h = Buffer.from(key);
        h[10 + j] ^= 0xff;
        items[j]!.hash = h;
      }
      const exclude = new Set(items.filter((_, i) => i % 5 === 0).map((x) => x.hash.toString('hex')));
      const expected = items
        .filter((x) => !exclude.has(x.hash.toString('hex')))
        .sort((x, y) => Buffer.compare(xorDistance(key, x.hash), xorDistance(key, y.hash)))
        .slice(0, n);
      const got = closest(key, items, n, exclude);
      assert.deepEqual(got.map((x) => x.i), expected.map((x) => x.i), `size ${size} n ${n}`);
      const all = closest(key, items.values(), n);
      assert.deepEqual(
        all.map((x) => x.i),
        [...items].sort((x, y) => Buffer.compare(xorDistance(key, x.hash), xorDistance(key, y.hash))).slice(0, n).map((x) => x.i),
      );
    }
  }
  assert.deepEqual(closest(HASH, [{ hash: HASH }], 0), []);
});
