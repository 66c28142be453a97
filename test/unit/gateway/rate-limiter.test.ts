import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../../src/gateway/rate-limiter.js';

test('a burst is allowed, then the rate; clients are independent', () => {
  const r = new RateLimiter({ ratePerSecond: 10, burst: 5, maxClients: 10 });
  for (let i = 0; i < 5; i++) assert.ok(r.allow('a', 0));
  assert.equal(r.allow('a', 0), false);
  assert.ok(r.allow('b', 0));
  assert.equal(r.allow('a', 50), false, 'half a token after 50 ms');
  assert.ok(r.allow('a', 100));
  assert.equal(r.allow('a', 100), false);
  // Refill is capped at the burst.
  for (let i = 0; i < 5; i++) assert.ok(r.allow('a', 100_000));
  assert.equal(r.allow('a', 100_000), false);
});

test('the client table is bounded', () => {
  const r = new RateLimiter({ ratePerSecond: 1, burst: 1, maxClients: 100 });
  for (let i = 0; i < 10_000; i++) r.allow(`10.0.${i >> 8}.${i & 255}`, i);
  assert.equal(r.clients, 100);
});
