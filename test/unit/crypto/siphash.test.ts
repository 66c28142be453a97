import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipHashLengthMask, randomBytes, sipHash24 } from '../../../src/crypto/index.js';
import { sipHash24BigInt } from './siphash-reference.js';

/**
 * The 64 SipHash-2-4 outputs of the reference implementation's vectors.h: key = 00 01 .. 0f,
 * message i = 00 01 .. (i-1), output as the reference writes it (8 bytes, little-endian).
 */
const VECTORS = [
  '310e0edd47db6f72', // 0
  'fd67dc93c539f874', // 1
  '5a4fa9d909806c0d', // 2
  '2d7efbd796666785', // 3
  'b7877127e09427cf', // 4
  '8da699cd64557618', // 5
  'cee3fe586e46c9cb', // 6
  '37d1018bf50002ab', // 7
  '6224939a79f5f593', // 8
  'b0e4a90bdf82009e', // 9
  'f3b9dd94c5bb5d7a', // 10
  'a7ad6b22462fb3f4', // 11
  'fbe50e86bc8f1e75', // 12
  '903d84c02756ea14', // 13
  'eef27a8e90ca23f7', // 14
  'e545be4961ca29a1', // 15
  'db9bc2577fcc2a3f', // 16
  '9447be2cf5e99a69', // 17
  '9cd38d96f0b3c14b', // 18
  'bd6179a71dc96dbb', // 19
  '98eea21af25cd6be', // 20
  'c7673b2eb0cbf2d0', // 21
  '883ea3e395675393', // 22
  'c8ce5ccd8c030ca8', // 23
  '94af49f6c650adb8', // 24
  'eab8858ade92e1bc', // 25
  'f315bb5bb835d817', // 26
  'adcf6b0763612e2f', // 27
  'a5c91da7acaa4dde', // 28
  '716595876650a2a6', // 29
  '28ef495c53a387ad', // 30
  '42c341d8fa92d832', // 31
  'ce7cf2722f512771', // 32
  'e37859f94623f3a7', // 33
  '381205bb1ab0e012', // 34
  'ae97a10fd434e015', // 35
  'b4a31508beff4d31', // 36
  '81396229f0907902', // 37
  '4d0cf49ee5d4dcca', // 38
  '5c73336a76d8bf9a', // 39
  'd0a704536ba93e0e', // 40
  '925958fcd6420cad', // 41
  'a915c29bc8067318', // 42
  '952b79f3bc0aa6d4', // 43
  'f21df2e41d4535f9', // 44
  '87577519048f53a9', // 45
  '10a56cf5dfcd9adb', // 46
  'eb75095ccd986cd0', // 47
  '51a9cb9ecba312e6', // 48
  '96afadfc2ce666c7', // 49
  '72fe52975a4364ee', // 50
  '5a1645b276d592a1', // 51
  'b274cb8ebf87870a', // 52
  '6f9bb4203de7b381', // 53
  'eaecb2a30b22a87f', // 54
  '9924a43cc1315724', // 55
  'bd838d3aafbf8db7', // 56
  '0b1a2a3265d51aea', // 57
  '135079a3231ce660', // 58
  '932b2846e4d70666', // 59
  'e1915f5cb1eca46c', // 60
  'f325965ca16d629f', // 61
  '575ff28e60381be5', // 62
  '724506eb4c328a95', // 63
];

const KEY = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const MESSAGE = Buffer.from(Array.from({ length: 64 }, (_, i) => i));

test('SipHash-2-4 reference vectors (vectors.h), all 64 lengths', () => {
  assert.equal(VECTORS.length, 64);
  for (let len = 0; len < 64; len++) {
    assert.equal(sipHash24(KEY, MESSAGE.subarray(0, len)).toString('hex'), VECTORS[len], `length ${len}`);
  }
});

test('the BigInt transcription of the paper agrees with the reference vectors', () => {
  for (let len = 0; len < 64; len++) {
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(sipHash24BigInt(KEY, MESSAGE.subarray(0, len)));
    assert.equal(out.toString('hex'), VECTORS[len], `length ${len}`);
  }
});

test('32-bit-limb SipHash equals the BigInt version on random keys and inputs (carries, high bits)', () => {
  for (let i = 0; i < 300; i++) {
    const key = randomBytes(16);
    const data = randomBytes(i % 70);
    assert.equal(sipHash24(key, data).readBigUInt64LE(0), sipHash24BigInt(key, data), `case ${i}`);
  }
  const ones = Buffer.alloc(16, 0xff);
  for (const len of [0, 7, 8, 9, 255, 256, 257]) {
    const data = Buffer.alloc(len, 0xff);
    assert.equal(sipHash24(ones, data).readBigUInt64LE(0), sipHash24BigInt(ones, data), `0xff x ${len}`);
  }
});

test('SipHashLengthMask: IV[n] = SipHash(k1||k2, IV[n-1]), mask = IV[n] bytes 0..1 little-endian', () => {
  const k1 = randomBytes(8);
  const k2 = randomBytes(8);
  const iv0 = randomBytes(8);
  const key = Buffer.concat([k1, k2]);
  const m = new SipHashLengthMask(k1, k2, iv0);
  assert.deepEqual(m.currentIv(), iv0);
  let iv: Buffer = iv0;
  for (let n = 1; n <= 1000; n++) {
    const previous = iv;
    iv = sipHash24(key, previous);
    const mask = m.next();
    assert.equal(mask, iv.readUInt16LE(0), `frame ${n}`);
    assert.equal(BigInt(mask), sipHash24BigInt(key, previous) & 0xffffn, `frame ${n}: low 16 bits of the u64`);
    assert.deepEqual(m.currentIv(), iv, `IV[${n}]`);
  }
});

test('SipHashLengthMask: fixed vector, and obfuscation round-trips between two ends', () => {
  // Keys k1 = 00..07, k2 = 08..0f, IV[0] = 00..07: IV[1] is then reference vector 8.
  const k1 = KEY.subarray(0, 8);
  const k2 = KEY.subarray(8, 16);
  const iv0 = MESSAGE.subarray(0, 8);
  const sender = new SipHashLengthMask(k1, k2, iv0);
  const receiver = new SipHashLengthMask(k1, k2, iv0);
  assert.equal(sender.next(), 0x2462); // vectors.h[8] = 62 24 93 9a ...: bytes 0..1 read little-endian
  assert.equal(sender.currentIv().toString('hex'), VECTORS[8]);
  receiver.next();
  for (const frameLength of [16, 17, 1024, 65535, 0x1234]) {
    const wire = Buffer.alloc(2);
    wire.writeUInt16BE(frameLength ^ sender.next());
    assert.equal(wire.readUInt16BE() ^ receiver.next(), frameLength);
  }
});

test('wrong key/IV sizes are programming errors', () => {
  assert.throws(() => sipHash24(Buffer.alloc(15), Buffer.alloc(0)), RangeError);
  assert.throws(() => new SipHashLengthMask(Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(7)), RangeError);
  assert.throws(() => new SipHashLengthMask(Buffer.alloc(16), Buffer.alloc(8), Buffer.alloc(8)), RangeError);
});
