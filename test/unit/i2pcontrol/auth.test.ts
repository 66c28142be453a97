import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, PasswordVerifier, TokenStore } from '../../../src/i2pcontrol/auth.js';
import { RpcError } from '../../../src/i2pcontrol/json-rpc.js';

const NOW = 1_795_000_000_000;

function codeOf(f: () => void): number | undefined {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    return e.code;
  }
  return undefined;
}

test('PasswordVerifier: exact match only, empty password refused', () => {
  const v = new PasswordVerifier('itoopie');
  assert.equal(v.matches('itoopie'), true);
  for (const wrong of ['', 'itoopi', 'itoopie ', 'ITOOPIE', 'itoopieitoopie', '\u0000']) assert.equal(v.matches(wrong), false, wrong);
  assert.equal(new PasswordVerifier('pässwörd ✓').matches('pässwörd ✓'), true);
  assert.throws(() => new PasswordVerifier(''), RangeError);
});

test('TokenStore issues distinct 128-bit hex tokens that check out', () => {
  const s = new TokenStore();
  const a = s.issue(NOW);
  const b = s.issue(NOW);
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, b);
  assert.equal(codeOf(() => s.check(a, NOW + 1000)), undefined);
  assert.equal(codeOf(() => s.check(b, NOW + 1000)), undefined);
});

test('TokenStore: missing (-32002), unknown (-32003), expired (-32004, then removed)', () => {
  const s = new TokenStore({ validityMs: 60_000 });
  const t = s.issue(NOW);
  for (const missing of [undefined, null, '']) assert.equal(codeOf(() => s.check(missing, NOW)), -32002);
  for (const unknown of ['nope', 1795675276, {}, [t], t.toUpperCase(), t + ' ']) assert.equal(codeOf(() => s.check(unknown, NOW)), -32003);
  assert.equal(codeOf(() => s.check(t, NOW + 59_999)), undefined);
  assert.equal(codeOf(() => s.check(t, NOW + 60_000)), -32004);
  assert.equal(codeOf(() => s.check(t, NOW + 60_001)), -32003, 'an expired token is removed after it was reported');
  assert.equal(s.size, 0);
});

test('TokenStore is bounded: the oldest token goes first; expired ones are dropped when issuing', () => {
  const s = new TokenStore({ validityMs: 10_000, maxTokens: 3 });
  const t = [s.issue(NOW), s.issue(NOW + 1), s.issue(NOW + 2), s.issue(NOW + 3)];
  assert.equal(s.size, 3);
  assert.equal(codeOf(() => s.check(t[0], NOW + 4)), -32003);
  for (const live of t.slice(1)) assert.equal(codeOf(() => s.check(live, NOW + 4)), undefined);
  s.issue(NOW + 10_002); // t[1] (NOW+1) and t[2] (NOW+2) have expired by now
  assert.equal(s.size, 2);
  s.revokeAll();
  assert.equal(s.size, 0);
  assert.equal(codeOf(() => s.check(t[3], NOW + 5)), -32003);
});

test('TokenStore rejects nonsense options', () => {
  assert.throws(() => new TokenStore({ validityMs: 0 }), RangeError);
  assert.throws(() => new TokenStore({ maxTokens: 0 }), RangeError);
});

test('AuthThrottle: free failures, then doubling waits up to the cap; success clears', () => {
  const t = new AuthThrottle({ freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000 });
  const a = '127.0.0.1';
  let now = NOW;
  for (let i = 0; i < 3; i++) {
    assert.equal(t.retryAfterMs(a, now), 0);
    t.recordFailure(a, now);
  }
  assert.equal(t.retryAfterMs(a, now), 0, 'three free failures');
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    t.recordFailure(a, now);
    const w = t.retryAfterMs(a, now);
    waits.push(w);
    now += w;
    assert.equal(t.retryAfterMs(a, now), 0);
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(t.retryAfterMs('127.0.0.2', now), 0, 'other addresses are not affected');
  t.recordSuccess(a);
  t.recordFailure(a, now);
  assert.equal(t.retryAfterMs(a, now), 0, 'counting starts again after a success');
});

test('AuthThrottle forgets an address after a quiet period', () => {
  const t = new AuthThrottle({ freeFailures: 1, baseDelayMs: 1000, forgetAfterMs: 60_000 });
  t.recordFailure('a', NOW);
  t.recordFailure('a', NOW);
  assert.equal(t.retryAfterMs('a', NOW), 1000);
  assert.equal(t.retryAfterMs('a', NOW + 60_000), 0);
  assert.equal(t.trackedAddresses, 0);
  t.recordFailure('a', NOW + 60_000);
  assert.equal(t.retryAfterMs('a', NOW + 60_000), 0, 'the old failures no longer count');
});

test('AuthThrottle is bounded: beyond maxTracked, new addresses share one bucket', () => {
  const t = new AuthThrottle({ freeFailures: 2, baseDelayMs: 1000, maxTracked: 4 });
  for (let i = 0; i < 4; i++) t.recordFailure(`10.0.0.${i}`, NOW);
  assert.equal(t.trackedAddresses, 4);
  // A swarm of fresh addresses: their guesses all count against the shared bucket.
  for (let i = 0; i < 3; i++) t.recordFailure(`2001:db8::${i}`, NOW);
  assert.equal(t.trackedAddresses, 5);
  assert.equal(t.retryAfterMs('2001:db8::99', NOW), 1000, 'a never-seen address waits with the shared bucket');
  assert.equal(t.retryAfterMs('10.0.0.1', NOW), 0, 'tracked addresses keep their own record');
});
