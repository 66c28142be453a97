import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { i2pBase64Decode, i2pBase64Encode } from '../../../src/data/base64.js';
import { base32Decode, base32Encode } from '../../../src/data/base32.js';
import { DataFormatError } from '../../../src/util/errors.js';

test('I2P base64 uses - and ~ instead of + and /', () => {
  // 0xfb 0xff 0xbf encodes to "+/+/" in standard base64.
  assert.equal(i2pBase64Encode(Buffer.from([0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf])), '-~-~-~-~');
  assert.deepEqual(i2pBase64Decode('-~-~-~-~'), Buffer.from([0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf]));
  assert.equal(i2pBase64Encode(Buffer.from('foobar')), 'Zm9vYmFy');
  assert.equal(i2pBase64Encode(Buffer.from('fo')), 'Zm8=');
  assert.equal(i2pBase64Encode(Buffer.from('f')), 'Zg==');
  assert.equal(i2pBase64Encode(Buffer.alloc(0)), '');
});

test('I2P base64 round-trips random data of every length 0..70', () => {
  for (let n = 0; n <= 70; n++) {
    const b = randomBytes(n);
    assert.deepEqual(i2pBase64Decode(i2pBase64Encode(b)), b);
  }
});

test('I2P base64 decoder is strict', () => {
  for (const bad of ['Zm9v+mFy', 'Zm9v/mFy', 'Zm8', 'Zg=', 'Zg', 'Z===', '=Zm8', 'Zm 8=', 'Zm8=Zm8=', 'Zh==', 'Zm9=', 'Zm8=\n', 'Ä', 'Zg==Zg==']) {
    assert.throws(() => i2pBase64Decode(bad), DataFormatError, bad);
  }
});

test('base32 RFC 4648 vectors, lowercase and unpadded', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'my'],
    ['fo', 'mzxq'],
    ['foo', 'mzxw6'],
    ['foob', 'mzxw6yq'],
    ['fooba', 'mzxw6ytb'],
    ['foobar', 'mzxw6ytboi'],
  ];
  for (const [plain, enc] of vectors) {
    assert.equal(base32Encode(Buffer.from(plain)), enc);
    assert.deepEqual(base32Decode(enc), Buffer.from(plain));
    assert.deepEqual(base32Decode(enc.toUpperCase()), Buffer.from(plain));
  }
  const hash = randomBytes(32);
  const b32 = base32Encode(hash);
  assert.equal(b32.length, 52);
  assert.deepEqual(base32Decode(b32), hash);
});

test('base32 decoder is strict', () => {
  for (const bad of ['m', 'mzx', 'mzxw6y', 'my======', 'mz', 'mzxr', 'mzxw1', 'mzxw8', 'mzxw6-', 'mzxwé']) {
    assert.throws(() => base32Decode(bad), DataFormatError, bad);
  }
});
