import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionPolicy } from '../../../src/client/sam/session-policy.js';

test('admission: wait while opening, go when ready, fail in backoff, stopped or closed', () => {
  const p = new SessionPolicy({ initialMs: 1000, maxMs: 8000, jitter: 0 });
  assert.equal(p.admit(), 'fail');
  p.opening();
  assert.equal(p.admit(), 'wait');
  p.ready();
  assert.equal(p.admit(), 'go');
  p.failed(0, 'socket closed');
  assert.equal(p.admit(), 'fail');
  assert.equal(p.lastFailure, 'socket closed');
  p.close();
  assert.equal(p.admit(), 'fail');
  assert.throws(() => p.opening(), /after close/);
});

test('backoff doubles up to the cap and starts over after a ready session', () => {
  const p = new SessionPolicy({ initialMs: 1000, maxMs: 8000, jitter: 0 });
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    p.opening();
    delays.push(p.failed(100 * i, 'refused'));
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(p.retryAt, 500 + 8000);
  assert.equal(p.consecutiveFailures, 6);
  p.opening();
  p.ready();
  assert.equal(p.consecutiveFailures, 0);
  assert.equal(p.lastFailure, undefined);
  assert.equal(p.failed(0, 'lost'), 1000, 'a lost session is retried after initialMs');
});

test('jitter stays within ±jitter of the delay', () => {
  for (const r of [0, 0.5, 0.999999]) {
    const p = new SessionPolicy({ initialMs: 1000, maxMs: 1000, jitter: 0.2 }, () => r);
    p.opening();
    const d = p.failed(0, 'x');
    assert.ok(d >= 800 && d <= 1200, `${r}: ${d}`);
  }
});

test('ready() only counts for an attempt under way; failed() after close() schedules nothing', () => {
  const p = new SessionPolicy({ initialMs: 10, maxMs: 10, jitter: 0 });
  p.ready();
  assert.equal(p.state, 'stopped');
  p.close();
  assert.equal(p.failed(0, 'x'), Infinity);
  assert.equal(p.state, 'closed');
});

test('bad backoff options are refused', () => {
  assert.throws(() => new SessionPolicy({ initialMs: 0, maxMs: 10, jitter: 0 }), RangeError);
  assert.throws(() => new SessionPolicy({ initialMs: 10, maxMs: 5, jitter: 0 }), RangeError);
  assert.throws(() => new SessionPolicy({ initialMs: 10, maxMs: 10, jitter: 1 }), RangeError);
});
