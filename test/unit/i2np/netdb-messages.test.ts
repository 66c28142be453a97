import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { LookupType, MAX_EXCLUDED_PEERS, decodeDatabaseLookup, encodeDatabaseLookup, type DatabaseLookup } from '../../../src/i2np/database-lookup.js';
import { decodeDatabaseSearchReply, encodeDatabaseSearchReply } from '../../../src/i2np/database-search-reply.js';
import { decodeDeliveryStatus, encodeDeliveryStatus } from '../../../src/i2np/delivery-status.js';

const h = (): Buffer => randomBytes(32);

function expectAllTruncationsFail(enc: Buffer, decode: (b: Buffer) => unknown): void {
  for (let i = 0; i < enc.length; i++) assert.throws(() => decode(enc.subarray(0, i)), DataFormatError, `len ${i}`);
  assert.throws(() => decode(Buffer.concat([enc, Buffer.of(0)])), DataFormatError, 'trailing byte');
}

test('DatabaseLookup: every lookup type, delivery and reply-encryption combination round-trips', () => {
  for (const lookupType of [LookupType.Any, LookupType.LeaseSet, LookupType.RouterInfo, LookupType.Exploration]) {
    for (const tunnel of [undefined, 0x11223344]) {
      for (const enc of [
        undefined,
        { kind: 'aes' as const, key: h(), tags: [h()] },
        { kind: 'aes' as const, key: h(), tags: [h(), h(), h()] },
        { kind: 'ecies' as const, key: h(), tags: [randomBytes(8)] },
      ]) {
        const m: DatabaseLookup = { key: h(), from: h(), lookupType, excludedPeers: [h(), h()] };
        if (tunnel !== undefined) m.replyTunnelId = tunnel;
        if (enc) m.replyEncryption = enc;
        const b = encodeDatabaseLookup(m);
        const flags = b[64]!;
        assert.equal(flags & 1, tunnel === undefined ? 0 : 1);
        assert.equal((flags >> 1) & 1, enc?.kind === 'aes' ? 1 : 0);
        assert.equal((flags >> 2) & 3, lookupType);
        assert.equal((flags >> 4) & 1, enc?.kind === 'ecies' ? 1 : 0);
        assert.deepEqual(decodeDatabaseLookup(b), m);
        expectAllTruncationsFail(b, decodeDatabaseLookup);
      }
    }
  }
});

test('DatabaseLookup exact layout of an ECIES RouterInfo lookup through a tunnel', () => {
  const key = h();
  const from = h();
  const replyKey = h();
  const tag = randomBytes(8);
  const b = encodeDatabaseLookup({ key, from, replyTunnelId: 7, lookupType: LookupType.RouterInfo, excludedPeers: [], replyEncryption: { kind: 'ecies', key: replyKey, tags: [tag] } });
  assert.deepEqual(b, Buffer.concat([key, from, Buffer.of(0x19), Buffer.from('00000007', 'hex'), Buffer.from('0000', 'hex'), replyKey, Buffer.of(1), tag]));
});

test('DatabaseLookup hostile input', () => {
  const base: DatabaseLookup = { key: h(), from: h(), lookupType: 2, excludedPeers: [] };
  const b = encodeDatabaseLookup(base);
  // Flag bits 7-5 are ignored.
  const high = Buffer.from(b);
  high[64]! |= 0xe0;
  assert.deepEqual(decodeDatabaseLookup(high), base);
  // Bits 4 and 1 together are not defined.
  const both = Buffer.concat([b, h(), Buffer.of(1), h()]);
  both[64]! |= 0x12;
  assert.throws(() => decodeDatabaseLookup(both), (e: unknown) => e instanceof DataFormatError && e.code === 'unsupported');
  // Excluded count over 512, or past the end.
  const many = Buffer.from(b);
  many.writeUInt16BE(MAX_EXCLUDED_PEERS + 1, 65);
  assert.throws(() => decodeDatabaseLookup(Buffer.concat([many, Buffer.alloc(32 * 513)])), DataFormatError);
  const past = Buffer.from(b);
  past.writeUInt16BE(3, 65);
  assert.throws(() => decodeDatabaseLookup(Buffer.concat([past, h(), h()])), DataFormatError);
  // Tag counts: 0 never valid, ECIES exactly 1, AES at most 32.
  const withTags = (flag: number, count: number, tagLen: number): Buffer => {
    const x = Buffer.concat([b, h(), Buffer.of(count), Buffer.alloc(count * tagLen)]);
    x[64]! |= flag;
    return x;
  };
  assert.throws(() => decodeDatabaseLookup(withTags(0x02, 0, 32)), DataFormatError);
  assert.throws(() => decodeDatabaseLookup(withTags(0x02, 33, 32)), DataFormatError);
  assert.equal(decodeDatabaseLookup(withTags(0x02, 32, 32)).replyEncryption?.tags.length, 32);
  assert.throws(() => decodeDatabaseLookup(withTags(0x10, 2, 8)), DataFormatError);
  assert.throws(() => decodeDatabaseLookup(withTags(0x10, 0, 8)), DataFormatError);
  assert.throws(() => encodeDatabaseLookup({ ...base, replyEncryption: { kind: 'ecies', key: h(), tags: [h()] } }), RangeError);
  assert.throws(() => encodeDatabaseLookup({ ...base, lookupType: 4 }), RangeError);
  for (let i = 0; i < 200; i++) {
    try {
      decodeDatabaseLookup(randomBytes(i * 3));
    } catch (e) {
      assert.ok(e instanceof DataFormatError, String(e));
    }
  }
});

test('DatabaseSearchReply round trip, layout and hostile input', () => {
  const m = { key: h(), peers: [h(), h(), h()], from: h() };
  const b = encodeDatabaseSearchReply(m);
  assert.equal(b.length, 32 + 1 + 96 + 32);
  assert.equal(b[32], 3);
  assert.deepEqual(decodeDatabaseSearchReply(b), m);
  const none = { key: h(), peers: [], from: h() };
  assert.deepEqual(decodeDatabaseSearchReply(encodeDatabaseSearchReply(none)), none);
  expectAllTruncationsFail(b, decodeDatabaseSearchReply);
  const lie = Buffer.from(b);
  lie[32] = 255;
  assert.throws(() => decodeDatabaseSearchReply(lie), DataFormatError);
  assert.throws(() => encodeDatabaseSearchReply({ ...m, peers: Array.from({ length: 256 }, h) }), RangeError);
});

test('DeliveryStatus round trip, layout and hostile input', () => {
  const m = { msgId: 0xfedcba98, timestamp: 1_764_000_000_001 };
  const b = encodeDeliveryStatus(m);
  assert.deepEqual(b, Buffer.from('fedcba980000019ab697e801', 'hex'));
  assert.deepEqual(decodeDeliveryStatus(b), m);
  expectAllTruncationsFail(b, decodeDeliveryStatus);
  assert.throws(() => decodeDeliveryStatus(Buffer.alloc(12, 0xff)), DataFormatError, 'date out of range');
});
