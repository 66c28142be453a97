import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import { X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { AuthenticationError, DataFormatError, ProtocolError } from '../../../src/util/errors.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { encodeRatchetPayload, type RatchetBlock } from '../../../src/garlic/ratchet-payload.js';
import { RouterGarlicReceiver, encryptGarlicForRouter, sealGarlicForRouter } from '../../../src/garlic/router-garlic.js';

const NOW = 1_764_000_000_000;
const lookup: I2NPMessage = { type: I2NPType.DatabaseLookup, msgId: 42, expiration: NOW + 60_000, payload: randomBytes(75) };

const sha = (...p: Buffer[]): Buffer => p.reduce((h, x) => h.update(x), createHash('sha256')).digest();
const hmac = (k: Buffer, ...p: Buffer[]): Buffer => p.reduce((h, x) => h.update(x), createHmac('sha256', k)).digest();

/** ecies-routers.rst "KDF for Initial ck and h" and "KDF for Message", written out from the text. */
function specOpen(router: X25519KeyPair, garlicBody: Buffer): Buffer {
  const name = Buffer.alloc(32);
  name.write('Noise_N_25519_ChaChaPoly_SHA256', 'ascii'); // 31 bytes, padded: h = name || 0
  const ck = Buffer.from(name);
  let h = sha(name); // MixHash(null prologue)
  h = sha(h, router.publicKey); // MixHash(hepk)
  const sepk = garlicBody.subarray(4, 36);
  h = sha(h, sepk); // MixHash(sepk)
  const shared = router.agree(sepk);
  const temp = hmac(ck, shared); // keydata = HKDF(chainKey, sharedSecret, "", 64)
  const out1 = hmac(temp, Buffer.of(1));
  const k = hmac(temp, out1, Buffer.of(2)); // k = keydata[32:63]
  const ct = garlicBody.subarray(36, garlicBody.length - 16);
  const d = createDecipheriv('chacha20-poly1305', k, Buffer.alloc(12), { authTagLength: 16 });
  d.setAAD(h, { plaintextLength: ct.length }); // ad = h
  d.setAuthTag(garlicBody.subarray(garlicBody.length - 16));
  return Buffer.concat([d.update(ct), d.final()]);
}

test('router garlic: Noise N per ecies-routers.rst (checked by an independent KDF), DateTime first, LOCAL clove', () => {
  const router = X25519KeyPair.generate();
  const body = sealGarlicForRouter(router.publicKey, [{ message: lookup }], NOW, 4);
  assert.equal(body.readUInt32BE(0), body.length - 4);
  const expected = encodeRatchetPayload([
    { type: 'datetime', timestamp: NOW },
    { type: 'clove', clove: { delivery: { kind: 'local' }, message: lookup } },
    { type: 'padding', length: 4 },
  ]);
  assert.deepEqual(specOpen(router, body), expected);

  const rx = new RouterGarlicReceiver({ key: router });
  const blocks = rx.open(body, NOW + 1000);
  assert.deepEqual(blocks[1], { type: 'clove', clove: { delivery: { kind: 'local' }, message: { ...lookup, expiration: NOW + 60_000 } } });
  assert.equal(rx.counters.opened, 1);
});

test('router garlic: replay, stale DateTime, missing DateTime, tampering, wrong router, low-order key, framing', () => {
  const router = X25519KeyPair.generate();
  const rx = new RouterGarlicReceiver({ key: router, maxSkewMs: 60_000 });
  const body = sealGarlicForRouter(router.publicKey, [{ message: lookup }], NOW);
  rx.open(body, NOW);
  assert.throws(() => rx.open(body, NOW + 1000), (e: unknown) => e instanceof ProtocolError && e.code === 'replay');
  assert.throws(() => rx.open(sealGarlicForRouter(router.publicKey, [{ message: lookup }], NOW - 61_000), NOW), (e: unknown) => e instanceof ProtocolError && e.code === 'stale');
  assert.throws(() => rx.open(sealGarlicForRouter(router.publicKey, [{ message: lookup }], NOW + 61_000), NOW), (e: unknown) => e instanceof ProtocolError && e.code === 'stale');

  // i2pd may omit the DateTime block; accepted unless required.
  const noDate: RatchetBlock[] = [{ type: 'clove', clove: { delivery: { kind: 'local' }, message: lookup } }];
  const plain = encryptGarlicForRouter(router.publicKey, encodeRatchetPayload(noDate));
  assert.equal(rx.open(plain, NOW).length, 1);
  assert.equal(rx.counters.noDateTime, 1);
  const strict = new RouterGarlicReceiver({ key: router, requireDateTime: true });
  assert.throws(() => strict.open(encryptGarlicForRouter(router.publicKey, encodeRatchetPayload(noDate)), NOW), (e: unknown) => e instanceof ProtocolError && e.code === 'no-datetime');

  const fresh = sealGarlicForRouter(router.publicKey, [{ message: lookup }], NOW);
  for (const i of [4, 40, fresh.length - 1]) {
    const t = Buffer.from(fresh);
    t[i]! ^= 1;
    assert.throws(() => new RouterGarlicReceiver({ key: router }).open(t, NOW), AuthenticationError, `byte ${i}`);
  }
  assert.throws(() => new RouterGarlicReceiver({ key: X25519KeyPair.generate() }).open(fresh, NOW), AuthenticationError, 'another router');
  const lowOrder = Buffer.from(fresh);
  lowOrder.fill(0, 4, 36);
  assert.throws(() => rx.open(lowOrder, NOW), AuthenticationError);
  for (let n = 0; n < 52; n++) assert.throws(() => rx.open(fresh.subarray(0, n), NOW), DataFormatError, `prefix ${n}`);
  assert.throws(() => rx.open(Buffer.concat([fresh, Buffer.of(0)]), NOW), DataFormatError);
  assert.equal(RouterGarlicReceiver.looksLikeRouterGarlic(fresh), true);
  assert.equal(RouterGarlicReceiver.looksLikeRouterGarlic(fresh.subarray(0, 40)), false);
  // A valid AEAD around a malformed payload.
  assert.throws(() => rx.open(encryptGarlicForRouter(router.publicKey, Buffer.of(11, 0, 9)), NOW), DataFormatError);
  assert.ok(rx.counters.authFailed >= 1 && rx.counters.malformed >= 1 && rx.counters.replayed === 1 && rx.counters.stale === 2);
});

test('router garlic: the replay memory is bounded and forgets after twice the skew window', () => {
  const router = X25519KeyPair.generate();
  const rx = new RouterGarlicReceiver({ key: router, maxSkewMs: 60_000, maxReplayEntries: 3 });
  const bodies = Array.from({ length: 5 }, () => sealGarlicForRouter(router.publicKey, [{ message: lookup }], NOW));
  for (const b of bodies) rx.open(b, NOW);
  assert.equal(rx.counters.replayEvicted, 2);
  assert.throws(() => rx.open(bodies[4]!, NOW), (e: unknown) => e instanceof ProtocolError && e.code === 'replay');
  // Past 2 x skew its DateTime is refused anyway, so forgetting the key is safe.
  assert.throws(() => rx.open(bodies[4]!, NOW + 121_000), (e: unknown) => e instanceof ProtocolError && e.code === 'stale');
});
