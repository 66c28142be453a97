import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TunnelLayerCipher, decryptLayers, encryptLayers, TUNNEL_LAYER_LENGTH } from '../../../src/tunnel/layer-crypto.js';

/** One AES operation with a fresh node:crypto context, straight from the spec text. */
function aes(mode: 'ecb' | 'cbc', encrypt: boolean, key: Buffer, iv: Buffer | null, data: Buffer): Buffer {
  const c = encrypt ? createCipheriv(`aes-256-${mode}`, key, iv) : createDecipheriv(`aes-256-${mode}`, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * tunnels-implementation.html "Participant Processing": "encrypts the received IV with AES256/ECB
 * using their IV key to determine the current IV, uses that IV with the participant's layer key to
 * encrypt the data, encrypts the current IV with AES256/ECB using their IV key again".
 */
function participantStep(layerKey: Buffer, ivKey: Buffer, ivAndData: Buffer): Buffer {
  const current = aes('ecb', true, ivKey, null, ivAndData.subarray(0, 16));
  const data = aes('cbc', true, layerKey, current, ivAndData.subarray(16));
  const next = aes('ecb', true, ivKey, null, current);
  return Buffer.concat([next, data]);
}

test('layer step: known answer from the spec text, over many messages on one context', () => {
  const layerKey = randomBytes(32);
  const ivKey = randomBytes(32);
  const hop = new TunnelLayerCipher(layerKey, ivKey);
  // Several messages in a row: the reused CBC context must start each one from its own IV.
  for (let i = 0; i < 20; i++) {
    const m = randomBytes(TUNNEL_LAYER_LENGTH);
    const before = Buffer.from(m);
    const got = hop.encrypt(m);
    assert.deepEqual(got, participantStep(layerKey, ivKey, m), `message ${i}`);
    assert.deepEqual(m, before, 'input left unchanged');
  }
});

test('layer step: fixed known answer (all-zero IV and data under fixed keys)', () => {
  const layerKey = Buffer.alloc(32, 0x11);
  const ivKey = Buffer.alloc(32, 0x22);
  const m = Buffer.alloc(TUNNEL_LAYER_LENGTH);
  const expected = participantStep(layerKey, ivKey, m);
  // IV'' = E(E(0)) and the first data block E(0 ⊕ IV') under the layer key.
  const ivPrime = aes('ecb', true, ivKey, null, Buffer.alloc(16));
  assert.deepEqual(expected.subarray(0, 16), aes('ecb', true, ivKey, null, ivPrime));
  assert.deepEqual(expected.subarray(16, 32), aes('ecb', true, layerKey, null, ivPrime));
  assert.deepEqual(new TunnelLayerCipher(layerKey, ivKey).encrypt(m), expected);
});

test('inverse step undoes the forward step; checked against node:crypto decryption', () => {
  const layerKey = randomBytes(32);
  const ivKey = randomBytes(32);
  const hop = new TunnelLayerCipher(layerKey, ivKey);
  for (let i = 0; i < 20; i++) {
    const c = randomBytes(TUNNEL_LAYER_LENGTH);
    const got = hop.decrypt(c);
    const ivPrime = aes('ecb', false, ivKey, null, c.subarray(0, 16));
    const expected = Buffer.concat([aes('ecb', false, ivKey, null, ivPrime), aes('cbc', false, layerKey, ivPrime, c.subarray(16))]);
    assert.deepEqual(got, expected, `message ${i}`);
    assert.deepEqual(participantStep(layerKey, ivKey, got), c, 'forward(inverse(c)) = c');
  }
});

test('in place and out of place give the same result, interleaved with the other direction', () => {
  const keys = [randomBytes(32), randomBytes(32)] as const;
  const hop = new TunnelLayerCipher(...keys);
  const twin = new TunnelLayerCipher(...keys);
  for (let i = 0; i < 10; i++) {
    const m = randomBytes(TUNNEL_LAYER_LENGTH);
    const out = twin.encrypt(m);
    const inPlace = Buffer.from(m);
    hop.encrypt(inPlace, inPlace);
    assert.deepEqual(inPlace, out);
    hop.decrypt(inPlace, inPlace);
    assert.deepEqual(inPlace, m);
  }
});

test('1–3 hops: decryptLayers then each hop forward gives the plaintext back (outbound); encryptLayers then decryptLayers (inbound)', () => {
  for (let n = 1; n <= 3; n++) {
    const hops = Array.from({ length: n }, () => new TunnelLayerCipher(randomBytes(32), randomBytes(32)));
    const plain = randomBytes(TUNNEL_LAYER_LENGTH);
    const wire = decryptLayers(hops, Buffer.from(plain));
    assert.notDeepEqual(wire, plain);
    let m = wire;
    for (const h of hops) m = h.encrypt(m);
    assert.deepEqual(m, plain, `outbound ${n} hops`);
    const inbound = encryptLayers(hops, Buffer.from(plain));
    assert.deepEqual(decryptLayers(hops, inbound), plain, `inbound ${n} hops`);
  }
});

test('bad keys and sizes are refused', () => {
  assert.throws(() => new TunnelLayerCipher(randomBytes(31), randomBytes(32)), RangeError);
  assert.throws(() => new TunnelLayerCipher(randomBytes(32), randomBytes(33)), RangeError);
  const hop = new TunnelLayerCipher(randomBytes(32), randomBytes(32));
  assert.throws(() => hop.encrypt(randomBytes(1023)), RangeError);
  assert.throws(() => hop.decrypt(randomBytes(1025)), RangeError);
  assert.throws(() => hop.encrypt(randomBytes(1024), Buffer.alloc(16)), RangeError);
});
