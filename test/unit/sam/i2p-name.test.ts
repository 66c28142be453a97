import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { b32OfDestination, isDestinationBase64, parseI2PName } from '../../../src/client/sam/i2p-name.js';
import { base32Encode } from '../../../src/data/base32.js';
import { Destination } from '../../../src/data/destination.js';

const b32 = `${base32Encode(randomBytes(32))}.b32.i2p`;

test('names: hostnames, b32 and b33, canonicalised to lower case without the root dot', () => {
  assert.deepEqual(parseI2PName('Example.I2P.'), { name: 'example.i2p', kind: 'hostname' });
  assert.deepEqual(parseI2PName('www.sub-domain.example.i2p'), { name: 'www.sub-domain.example.i2p', kind: 'hostname' });
  assert.deepEqual(parseI2PName(b32.toUpperCase()), { name: b32, kind: 'b32' });
  const b33 = `${base32Encode(randomBytes(35))}.b32.i2p`;
  assert.deepEqual(parseI2PName(b33), { name: b33, kind: 'b33' });
  assert.equal(parseI2PName(`${'a'.repeat(63)}.i2p`)?.kind, 'hostname', '67 characters');
});

test('names: what naming.html forbids, or what could smuggle SAM options, is refused', () => {
  for (const bad of [
    '',
    'example.com',
    'i2p',
    '.i2p',
    '-a.i2p',
    '.a.i2p',
    'a..b.i2p',
    'a.-b.i2p',
    'a-.b.i2p',
    `${'a'.repeat(64)}.i2p`,
    'a b.i2p',
    'a.i2p SESSION',
    'a.i2p\nHELLO',
    'a"b.i2p',
    'a=b.i2p',
    'a_b.i2p',
    'bücher.i2p',
    'abc.b32.i2p',
    `${'a'.repeat(53)}.b32.i2p`,
    `${'a'.repeat(101)}.b32.i2p`,
    `${'1'.repeat(52)}.b32.i2p`,
  ]) {
    assert.equal(parseI2PName(bad), undefined, JSON.stringify(bad));
  }
});

test('destinations: a real one passes; truncated, padded-wrong or non-base64 fail', () => {
  const d = Destination.create(randomBytes(32));
  const s = d.toBase64();
  assert.equal(isDestinationBase64(s), true);
  assert.equal(b32OfDestination(s), d.b32Address());
  assert.equal(isDestinationBase64(s.slice(0, -4)), false);
  assert.equal(isDestinationBase64(s + 'AAAA'), false, 'trailing bytes after the certificate');
  assert.equal(isDestinationBase64(`+${s.slice(1)}`), false, 'standard base64 alphabet');
  assert.equal(isDestinationBase64('A'.repeat(2000)), false);
  assert.equal(isDestinationBase64('x.i2p'), false);
});
