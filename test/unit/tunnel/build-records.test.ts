import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { chacha20Poly1305Encrypt, randomBytes } from '../../../src/crypto/index.js';
import {
  decodeBuildReply,
  decodeLongBuildRequest,
  decodeShortBuildRequest,
  encodeBuildReply,
  encodeLongBuildRequest,
  encodeShortBuildRequest,
  type LongBuildRequestFields,
  type ShortBuildRequestFields,
} from '../../../src/tunnel/build/build-record.js';
import { applyReplyLayer, chacha20RecordInPlace, deriveShortRecordKeys, removeReplyLayer } from '../../../src/tunnel/build/record-crypto.js';
import { DataFormatError } from '../../../src/util/errors.js';

const isFormatError = (code: string) => (e: unknown) => e instanceof DataFormatError && e.code === code;

const minute = 29_000_000 * 60_000; // a whole minute, ms
const common = {
  receiveTunnelId: 0x11223344,
  nextTunnelId: 0x55667788,
  nextIdent: Buffer.alloc(32, 0x99),
  requestTime: minute + 59_999, // rounded down on the wire
  expirationSeconds: 600,
  nextMessageId: 0xcafebabe,
  options: new Map([['m', '50'], ['r', '100']]),
};

function longFields(): LongBuildRequestFields {
  return { ...common, role: 'inboundGateway', layerKey: Buffer.alloc(32, 1), ivKey: Buffer.alloc(32, 2), replyKey: Buffer.alloc(32, 3), replyIv: Buffer.alloc(16, 4) };
}

function shortFields(): ShortBuildRequestFields {
  return { ...common, role: 'outboundEndpoint', layerEncryption: 0 };
}

test('long request cleartext: 464 bytes at the offsets of "Request Record Unencrypted"', () => {
  const b = encodeLongBuildRequest(longFields());
  assert.equal(b.length, 464);
  assert.equal(b.readUInt32BE(0), 0x11223344, 'bytes 0-3: receive tunnel');
  assert.equal(b.readUInt32BE(4), 0x55667788, 'bytes 4-7: next tunnel');
  assert.deepEqual(b.subarray(8, 40), Buffer.alloc(32, 0x99), 'bytes 8-39: next ident');
  assert.deepEqual(b.subarray(40, 72), Buffer.alloc(32, 1), 'layer key');
  assert.deepEqual(b.subarray(72, 104), Buffer.alloc(32, 2), 'IV key');
  assert.deepEqual(b.subarray(104, 136), Buffer.alloc(32, 3), 'reply key');
  assert.deepEqual(b.subarray(136, 152), Buffer.alloc(16, 4), 'reply IV');
  assert.equal(b[152], 0x80, 'flags: bit 7 = inbound gateway');
  assert.deepEqual(b.subarray(153, 156), Buffer.alloc(3), 'more flags 0');
  assert.equal(b.readUInt32BE(156), minute / 60_000, 'request time in minutes, rounded down');
  assert.equal(b.readUInt32BE(160), 600);
  assert.equal(b.readUInt32BE(164), 0xcafebabe);
  assert.deepEqual(b.subarray(168, 168 + 17), Buffer.from('000f016d3d0235303b01723d033130303b', 'hex'), 'options Mapping at 168: m=50; r=100;');
  const d = decodeLongBuildRequest(b);
  assert.deepEqual(d, { ...longFields(), requestTime: minute });
});

test('short request cleartext: 154 bytes at the offsets of "Short Request Record Unencrypted"', () => {
  const b = encodeShortBuildRequest(shortFields());
  assert.equal(b.length, 154);
  assert.equal(b.readUInt32BE(0), 0x11223344);
  assert.equal(b.readUInt32BE(4), 0x55667788);
  assert.deepEqual(b.subarray(8, 40), Buffer.alloc(32, 0x99));
  assert.equal(b[40], 0x40, 'flags: bit 6 = outbound endpoint');
  assert.deepEqual(b.subarray(41, 43), Buffer.alloc(2));
  assert.equal(b[43], 0, 'layer encryption type 0 = AES');
  assert.equal(b.readUInt32BE(44), minute / 60_000);
  assert.equal(b.readUInt32BE(48), 600);
  assert.equal(b.readUInt32BE(52), 0xcafebabe);
  assert.equal(b.readUInt16BE(56), 15, 'Mapping size at 56');
  assert.deepEqual(decodeShortBuildRequest(b), { ...shortFields(), requestTime: minute });
  // Participant: no flag bits.
  assert.equal(encodeShortBuildRequest({ ...shortFields(), role: 'participant' })[40], 0);
});

test('request options fill the record exactly or are refused at encoding', () => {
  // Short: 98 bytes from offset 56 to the end, 2 of them the size field.
  const fits = new Map([['k', 'v'.repeat(96 - 5)]]); // "k" "=" value ";" with 1-byte lengths: 1+1+1+1+91+1 = 96
  const b = encodeShortBuildRequest({ ...shortFields(), options: fits });
  assert.deepEqual(decodeShortBuildRequest(b).options, fits);
  assert.throws(() => encodeShortBuildRequest({ ...shortFields(), options: new Map([['k', 'v'.repeat(92)]]) }), RangeError);
  const longFits = new Map([['a', 'x'.repeat(200)], ['b', 'y'.repeat(84)]]); // 205 + 89 = 294
  assert.deepEqual(decodeLongBuildRequest(encodeLongBuildRequest({ ...longFields(), options: longFits })).options, longFits);
  assert.throws(() => encodeLongBuildRequest({ ...longFields(), options: new Map([['a', 'x'.repeat(200)], ['b', 'y'.repeat(85)]]) }), RangeError);
});

test('hostile request cleartexts: both role flags, zero tunnel ids, bad Mappings, wrong sizes', () => {
  const s = encodeShortBuildRequest(shortFields());
  const both = Buffer.from(s);
  both[40] = 0xc0;
  assert.throws(() => decodeShortBuildRequest(both), isFormatError('flags'));
  const l = encodeLongBuildRequest(longFields());
  const lboth = Buffer.from(l);
  lboth[152] = 0xc0;
  assert.throws(() => decodeLongBuildRequest(lboth), isFormatError('flags'));
  for (const off of [0, 4]) {
    const z = Buffer.from(s);
    z.writeUInt32BE(0, off);
    assert.throws(() => decodeShortBuildRequest(z), isFormatError('tunnel-id'));
    const lz = Buffer.from(l);
    lz.writeUInt32BE(0, off);
    assert.throws(() => decodeLongBuildRequest(lz), isFormatError('tunnel-id'));
  }
  // Mapping size running past the record.
  const big = Buffer.from(s);
  big.writeUInt16BE(97, 56);
  assert.throws(() => decodeShortBuildRequest(big), DataFormatError);
  const lbig = Buffer.from(l);
  lbig.writeUInt16BE(295, 168);
  assert.throws(() => decodeLongBuildRequest(lbig), DataFormatError);
  // Mapping syntax broken (no '=').
  const broken = Buffer.from(s);
  broken[56 + 2 + 2] = 0x21;
  assert.throws(() => decodeShortBuildRequest(broken), DataFormatError);
  // Reserved flag bits are tolerated ("for compatibility with future options").
  const reserved = Buffer.from(s);
  reserved[40] = 0x41;
  assert.equal(decodeShortBuildRequest(reserved).role, 'outboundEndpoint');
  assert.throws(() => decodeShortBuildRequest(s.subarray(1)), isFormatError('length'));
  assert.throws(() => decodeLongBuildRequest(Buffer.concat([l, Buffer.of(0)])), isFormatError('length'));
  for (let i = 0; i < 200; i++) {
    try {
      decodeShortBuildRequest(randomBytes(154));
    } catch (e) {
      assert.ok(e instanceof DataFormatError, String(e));
    }
  }
});

test('reply cleartext: Mapping first, reply byte last (512 / 202 bytes)', () => {
  for (const [format, len] of [['long', 512], ['short', 202]] as const) {
    const b = encodeBuildReply(format, { code: 30, options: new Map([['b', '120']]) });
    assert.equal(b.length, len);
    assert.equal(b[len - 1], 30);
    assert.equal(b.readUInt16BE(0), 8);
    assert.deepEqual(decodeBuildReply(format, b), { code: 30, options: new Map([['b', '120']]) });
    const empty = encodeBuildReply(format, { code: 0, options: new Map() });
    assert.deepEqual(empty.subarray(0, 2), Buffer.alloc(2), 'empty Mapping: two zero bytes');
    // A Mapping reaching into the reply byte is refused.
    const bad = Buffer.from(empty);
    bad.writeUInt16BE(len - 2, 0);
    assert.throws(() => decodeBuildReply(format, bad), DataFormatError);
    assert.throws(() => decodeBuildReply(format, b.subarray(1)), isFormatError('length'));
  }
  assert.throws(() => encodeBuildReply('short', { code: 256, options: new Map() }), RangeError);
  assert.throws(() => encodeBuildReply('short', { code: 0, options: new Map([['x', 'y'.repeat(196)]]) }), RangeError);
});

/** HKDF(ck, ZEROLEN, info, 64) written out from RFC 5869 with node:crypto HMAC, for the KAT below. */
function hkdf64(salt: Buffer, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(Buffer.alloc(0)).digest();
  const t1 = createHmac('sha256', prk).update(info).update(Buffer.of(1)).digest();
  const t2 = createHmac('sha256', prk).update(t1).update(info).update(Buffer.of(2)).digest();
  return Buffer.concat([t1, t2]);
}

test('short record KDF: the chain of tunnel-creation-ecies.rst "KDF", recomputed from the spec text', () => {
  const ck = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
  const k1 = hkdf64(ck, 'SMTunnelReplyKey');
  const k2 = hkdf64(k1.subarray(0, 32), 'SMTunnelLayerKey');
  const participant = deriveShortRecordKeys(ck, false);
  assert.deepEqual(participant.replyKey, k1.subarray(32, 64), 'replyKey = keydata[32:63]');
  assert.deepEqual(participant.layerKey, k2.subarray(32, 64), 'layerKey = keydata[32:63]');
  assert.deepEqual(participant.ivKey, k2.subarray(0, 32), 'non-OBEP ivKey = keydata[0:31]');
  assert.equal(participant.garlicReplyKey, undefined);
  const k3 = hkdf64(k2.subarray(0, 32), 'TunnelLayerIVKey');
  const k4 = hkdf64(k3.subarray(0, 32), 'RGarlicKeyAndTag');
  const obep = deriveShortRecordKeys(ck, true);
  assert.deepEqual(obep.replyKey, participant.replyKey);
  assert.deepEqual(obep.layerKey, participant.layerKey);
  assert.deepEqual(obep.ivKey, k3.subarray(32, 64), 'OBEP ivKey from "TunnelLayerIVKey"');
  assert.deepEqual(obep.garlicReplyKey, k4.subarray(32, 64));
  assert.deepEqual(obep.garlicReplyTag, k4.subarray(0, 8));
});

test('record ChaCha20 = RFC 7539 keystream from block counter 1 with iv[4] = record number', () => {
  // RFC 8439 §2.8 AEAD encrypts its plaintext with ChaCha20 from counter 1: its ciphertext (minus
  // the tag) under the same key and 12-byte nonce is exactly the spec's "STREAM ChaCha20".
  const key = randomBytes(32);
  for (const n of [0, 1, 7]) {
    const data = randomBytes(218);
    const nonce = Buffer.alloc(12);
    nonce[4] = n;
    const expected = chacha20Poly1305Encrypt(key, nonce, undefined, data).subarray(0, 218);
    const mine = Buffer.from(data);
    chacha20RecordInPlace(key, n, mine);
    assert.deepEqual(mine, expected, `record ${n}`);
  }
});

test('reply layers: removeReplyLayer undoes applyReplyLayer; records are not chained together', () => {
  const long = { format: 'long' as const, replyKey: randomBytes(32), replyIv: randomBytes(16) };
  const short = { format: 'short' as const, replyKey: randomBytes(32) };
  for (const [layer, len] of [[long, 528], [short, 218]] as const) {
    const rec = randomBytes(len);
    const copy = Buffer.from(rec);
    applyReplyLayer(layer, 3, rec);
    assert.notDeepEqual(rec, copy);
    removeReplyLayer(layer, 3, rec);
    assert.deepEqual(rec, copy);
  }
  // Long: every record under the same key and IV, CBC restarted for each ("not chained").
  const a = randomBytes(528);
  const b = Buffer.from(a);
  applyReplyLayer(long, 0, a);
  applyReplyLayer(long, 5, b);
  assert.deepEqual(a, b);
  // Short: the record number changes the keystream.
  const c = Buffer.alloc(218);
  const d = Buffer.alloc(218);
  applyReplyLayer(short, 0, c);
  applyReplyLayer(short, 1, d);
  assert.notDeepEqual(c, d);
});
