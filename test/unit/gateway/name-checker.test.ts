import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameChecker } from '../../../src/gateway/name-checker.js';
import { LocalTcpTestBackend } from '../../helpers/local-tcp-test-backend.js';

function backend(): LocalTcpTestBackend {
  const b = new LocalTcpTestBackend(() => undefined);
  b.knownNames.add('known.i2p');
  return b;
}

test('known and unknown names are cached; concurrent questions share one lookup', async () => {
  const b = backend();
  b.lookupDelayMs = 20;
  let now = 0;
  const c = new NameChecker(b, { now: () => now, positiveTtlMs: 1000, negativeTtlMs: 100 });
  const [x, y] = await Promise.all([c.check('known.i2p'), c.check('known.i2p')]);
  assert.deepEqual([x, y], [{ status: 'known' }, { status: 'known' }]);
  assert.deepEqual(await c.check('nope.i2p'), { status: 'unknown' });
  assert.deepEqual(b.lookups, ['known.i2p', 'nope.i2p']);
  now = 500;
  await c.check('known.i2p');
  await c.check('nope.i2p');
  assert.equal(b.lookups.length, 3, 'the negative entry expired, the positive one did not');
  assert.equal(c.counters.cacheHits, 1);
});

test('a slow backend gets SERVFAIL-worthy errors within the deadline, even if it ignores the abort', async () => {
  const b = backend();
  b.lookupDelayMs = 5000;
  b.ignoreAbort = true;
  const c = new NameChecker(b, { timeoutMs: 100 });
  const t0 = Date.now();
  assert.deepEqual(await c.check('known.i2p'), { status: 'error', reason: 'timeout' });
  assert.ok(Date.now() - t0 < 1000);
  const d = backend();
  d.failWith = 'backend-down';
  assert.deepEqual(await new NameChecker(d).check('known.i2p'), { status: 'error', reason: 'backend-down' });
  assert.deepEqual(await new NameChecker(d).check('known.i2p'), { status: 'error', reason: 'backend-down' }, 'errors are not cached');
});

test('lookups in flight are bounded', async () => {
  const b = backend();
  b.lookupDelayMs = 50;
  const c = new NameChecker(b, { maxInFlight: 4 });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => c.check(`n${i}.i2p`)));
  assert.equal(results.filter((r) => r.status === 'unknown').length, 4);
  assert.equal(results.filter((r) => r.status === 'error').length, 6);
  assert.equal(c.counters.overloaded, 6);
});
