/**
 * Build records checked against the spec text with an independent implementation: the Noise N
 * KDF, the short-record KDF, ChaCha20 and AES written here over raw node:crypto and
 * @noble/curves X25519, never through src/. The hop is fed records made this way; the creator's
 * records are opened this way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { X25519KeyPair } from '../../../src/crypto/index.js';
import { I2NPType } from '../../../src/i2np/message.js';
import { decodeBuildRecords, encodeBuildRecords } from '../../../src/i2np/tunnel-build.js';
import { TunnelBuildHop } from '../../../src/tunnel/build/build-request.js';
import { createTunnelBuild } from '../../../src/tunnel/build/build-creator.js';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hmac = (key: Uint8Array, ...parts: Uint8Array[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};
/** Noise HKDF(ck, ikm, info, 64) = RFC 5869 with salt ck. */
const hkdf64 = (ck: Uint8Array, ikm: Uint8Array, info: string): Buffer => {
  const prk = hmac(ck, ikm);
  const t1 = hmac(prk, Buffer.from(info), Buffer.of(1));
  return Buffer.concat([t1, hmac(prk, t1, Buffer.from(info), Buffer.of(2))]);
};
const nonce12 = (n: number): Buffer => {
  const b = Buffer.alloc(12);
  b[4] = n; // 4 zero bytes || n little-endian (n < 256)
  return b;
};
const aeadSeal = (k: Buffer, n: number, ad: Buffer, pt: Buffer): Buffer => {
  const c = createCipheriv('chacha20-poly1305', k, nonce12(n), { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
};
const aeadOpen = (k: Buffer, n: number, ad: Buffer, ct: Buffer): Buffer => {
  const d = createDecipheriv('chacha20-poly1305', k, nonce12(n), { authTagLength: 16 });
  d.setAuthTag(ct.subarray(ct.length - 16));
  d.setAAD(ad, { plaintextLength: ct.length - 16 });
  return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
};
/** ENCRYPT(k, iv, data) with "iv[4] = n" and the initial block counter 1: OpenSSL IV = counter LE || nonce. */
const chacha20 = (k: Buffer, n: number, data: Buffer): Buffer => {
  const iv = Buffer.concat([Buffer.from([1, 0, 0, 0]), nonce12(n)]);
  return createCipheriv('chacha20', k, iv).update(data);
};
const aesCbc = (encrypt: boolean, key: Buffer, iv: Buffer, data: Buffer): Buffer => {
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return c.update(data);
};

/** h and ck after "KDF for Initial ck and h" and MixHash(hepk). */
function initial(hepk: Uint8Array): { h: Buffer; ck: Buffer } {
  const name = Buffer.alloc(32);
  name.write('Noise_N_25519_ChaChaPoly_SHA256', 'ascii'); // 31 bytes || 0
  const h = sha256(sha256(name), hepk); // MixHash(null prologue), MixHash(hepk)
  return { h, ck: name };
}

/** "KDF for Request Record" from the sender's side; returns the 16+32+len+16 record and the final ck, h. */
function senderRecord(hopHash: Buffer, hepk: Uint8Array, clear: Buffer): { record: Buffer; ck: Buffer; h: Buffer } {
  const sesk = randomBytes(32);
  const sepk = Buffer.from(x25519.getPublicKey(sesk));
  let { h, ck } = initial(hepk);
  h = sha256(h, sepk);
  const keydata = hkdf64(ck, x25519.getSharedSecret(sesk, hepk), '');
  ck = keydata.subarray(0, 32);
  const ct = aeadSeal(keydata.subarray(32, 64), 0, h, clear);
  h = sha256(h, ct);
  return { record: Buffer.concat([hopHash.subarray(0, 16), sepk, ct]), ck, h };
}

/** The hop's side, for records our creator made. */
function hopOpen(hesk: Uint8Array, hepk: Uint8Array, record: Buffer): { clear: Buffer; ck: Buffer; h: Buffer } {
  const sepk = record.subarray(16, 48);
  let { h, ck } = initial(hepk);
  h = sha256(h, sepk);
  const keydata = hkdf64(ck, x25519.getSharedSecret(hesk, sepk), '');
  ck = keydata.subarray(0, 32);
  const ct = record.subarray(48);
  const clear = aeadOpen(keydata.subarray(32, 64), 0, h, ct);
  return { clear, ck, h: sha256(h, ct) };
}

/** The short-record "KDF" chain, straight from the spec. */
function shortKeys(ck: Buffer, obep: boolean) {
  const k1 = hkdf64(ck, Buffer.alloc(0), 'SMTunnelReplyKey');
  const k2 = hkdf64(k1.subarray(0, 32), Buffer.alloc(0), 'SMTunnelLayerKey');
  if (!obep) return { replyKey: k1.subarray(32), layerKey: k2.subarray(32), ivKey: k2.subarray(0, 32) };
  const k3 = hkdf64(k2.subarray(0, 32), Buffer.alloc(0), 'TunnelLayerIVKey');
  const k4 = hkdf64(k3.subarray(0, 32), Buffer.alloc(0), 'RGarlicKeyAndTag');
  return { replyKey: k1.subarray(32), layerKey: k2.subarray(32), ivKey: k3.subarray(32), garlicKey: k4.subarray(32), garlicTag: k4.subarray(0, 8) };
}

function makeHop() {
  const hesk = randomBytes(32);
  const hepk = Buffer.from(x25519.getPublicKey(hesk));
  const hash = randomBytes(32);
  return { hesk, hepk, hash, hop: new TunnelBuildHop({ identHash: hash, encryptionKey: X25519KeyPair.fromPrivate(hesk) }) };
}

const now = 1_770_000_000_000;
const minutes = Math.floor(now / 60_000);

for (const obep of [false, true]) {
  test(`hop opens a spec-made short record and answers as the spec says (${obep ? 'outbound endpoint' : 'participant'})`, () => {
    const me = makeHop();
    const next = randomBytes(32);
    const clear = Buffer.alloc(154);
    clear.writeUInt32BE(0x01020304, 0);
    clear.writeUInt32BE(0x05060708, 4);
    next.copy(clear, 8);
    clear[40] = obep ? 0x40 : 0x00;
    clear[43] = 0; // AES
    clear.writeUInt32BE(minutes, 44);
    clear.writeUInt32BE(600, 48);
    clear.writeUInt32BE(0x0a0b0c0d, 52);
    Buffer.from('0006017a3d01303b', 'hex').copy(clear, 56); // Mapping {z=0}
    const { record, ck, h } = senderRecord(me.hash, me.hepk, clear);
    assert.equal(record.length, 218);
    const others = [randomBytes(218), randomBytes(218), randomBytes(218)];
    const records = [others[0]!, others[1]!, record, others[2]!];
    const req = me.hop.open(I2NPType.ShortTunnelBuild, encodeBuildRecords(I2NPType.ShortTunnelBuild, records), now);

    assert.equal(req.recordIndex, 2);
    assert.equal(req.receiveTunnelId, 0x01020304);
    assert.equal(req.nextTunnelId, 0x05060708);
    assert.deepEqual(req.nextIdent, next);
    assert.equal(req.role, obep ? 'outboundEndpoint' : 'participant');
    assert.equal(req.requestTime, minutes * 60_000);
    assert.equal(req.expirationSeconds, 600);
    assert.equal(req.nextMessageId, 0x0a0b0c0d);
    assert.deepEqual(req.options, new Map([['z', '0']]));
    const keys = shortKeys(ck, obep);
    assert.deepEqual(req.replyKey, keys.replyKey);
    assert.deepEqual(req.layerKey, keys.layerKey);
    assert.deepEqual(req.ivKey, keys.ivKey);
    assert.deepEqual(req.garlicReplyKey, keys.garlicKey);
    assert.deepEqual(req.garlicReplyTag, keys.garlicTag);

    const fwd = req.reply(obep ? 30 : true);
    assert.equal(fwd.type, obep ? I2NPType.OutboundTunnelBuildReply : I2NPType.ShortTunnelBuild);
    assert.equal(fwd.msgId, 0x0a0b0c0d);
    assert.deepEqual(fwd.to, next);
    assert.equal(fwd.replyTunnelId, obep ? 0x05060708 : undefined);
    assert.deepEqual(fwd.garlicReply, obep ? { key: keys.garlicKey, tag: keys.garlicTag } : undefined);
    const out = decodeBuildRecords(fwd.type, fwd.payload);
    // "The hop's own reply record is encrypted with ChaCha20/Poly1305 ... n = record number, ad = h".
    const reply = aeadOpen(keys.replyKey, 2, h, out[2]!);
    assert.equal(reply.length, 202);
    assert.deepEqual(reply.subarray(0, 2), Buffer.alloc(2), 'empty reply options');
    assert.equal(reply[201], obep ? 30 : 0);
    // "The other records are ... encrypted at each hop with ChaCha20 (NOT ChaCha20/Poly1305)", iv[4] = n.
    for (const [i, j] of [[0, 0], [1, 1], [3, 2]] as const) assert.deepEqual(out[i], chacha20(keys.replyKey, i, others[j]!), `record ${i}`);
  });
}

test('hop opens a spec-made long record: reply AEAD keyed by ck with n = 0, AES-CBC over the others', () => {
  const me = makeHop();
  const replyGw = randomBytes(32);
  const layerKey = randomBytes(32);
  const ivKey = randomBytes(32);
  const replyKey = randomBytes(32);
  const replyIv = randomBytes(16);
  const clear = Buffer.alloc(464);
  clear.writeUInt32BE(99, 0);
  clear.writeUInt32BE(1234, 4);
  replyGw.copy(clear, 8);
  layerKey.copy(clear, 40);
  ivKey.copy(clear, 72);
  replyKey.copy(clear, 104);
  replyIv.copy(clear, 136);
  clear[152] = 0x40; // OBEP
  clear.writeUInt32BE(minutes, 156);
  clear.writeUInt32BE(600, 160);
  clear.writeUInt32BE(4321, 164);
  // bytes 168-169: empty Mapping (zeros)
  const { record, ck, h } = senderRecord(me.hash, me.hepk, clear);
  assert.equal(record.length, 528);
  const others = [randomBytes(528), randomBytes(528), randomBytes(528), randomBytes(528)];
  const records = [others[0]!, record, others[1]!, others[2]!, others[3]!];
  const req = me.hop.open(I2NPType.VariableTunnelBuild, encodeBuildRecords(I2NPType.VariableTunnelBuild, records), now);
  assert.equal(req.format, 'long');
  assert.deepEqual([req.receiveTunnelId, req.nextTunnelId, req.nextMessageId, req.role], [99, 1234, 4321, 'outboundEndpoint']);
  assert.deepEqual([req.layerKey, req.ivKey, req.replyKey, req.replyIv], [layerKey, ivKey, replyKey, replyIv]);
  const fwd = req.reply(false, new Map([['b', '0']]));
  assert.equal(fwd.type, I2NPType.VariableTunnelBuildReply);
  assert.deepEqual(fwd.to, replyGw);
  assert.equal(fwd.replyTunnelId, 1234);
  assert.equal(fwd.garlicReply, undefined);
  const out = decodeBuildRecords(fwd.type, fwd.payload);
  const reply = aeadOpen(ck, 0, h, out[1]!);
  assert.equal(reply.length, 512);
  assert.equal(reply[511], 30, 'false = TUNNEL_REJECT_BANDWIDTH');
  assert.deepEqual(reply.subarray(0, 8), Buffer.from('000601623d01303b', 'hex'), 'reply options {b=0}');
  // "All other records are AES-256 encrypted with the included reply key and IV ... separately".
  for (const [i, j] of [[0, 0], [2, 1], [3, 2], [4, 3]] as const) assert.deepEqual(aesCbc(false, replyKey, replyIv, out[i]!), others[j], `record ${i}`);
});

test('creator: short outbound records open with the spec KDF; hop 1 is under hop 0\'s ChaCha20 layer', () => {
  const a = makeHop();
  const b = makeHop();
  const us = randomBytes(32);
  const replyGw = randomBytes(32);
  const built = createTunnelBuild({
    format: 'short',
    direction: 'outbound',
    hops: [
      { identHash: a.hash, encryptionKey: a.hepk, receiveTunnelId: 111 },
      { identHash: b.hash, encryptionKey: b.hepk, receiveTunnelId: 222 },
    ],
    ourIdentHash: us,
    replyTunnelId: 333,
    replyGateway: replyGw,
    now,
    positions: [3, 0],
  });
  assert.equal(built.type, I2NPType.ShortTunnelBuild);
  const records = decodeBuildRecords(built.type, built.payload);
  assert.equal(records.length, 4, 'at least 4 records');
  assert.deepEqual(records[3]!.subarray(0, 16), a.hash.subarray(0, 16), "hop 0's truncated hash");
  const ra = hopOpen(a.hesk, a.hepk, records[3]!);
  assert.equal(ra.clear.length, 154);
  assert.equal(ra.clear.readUInt32BE(0), 111);
  assert.equal(ra.clear.readUInt32BE(4), 222, 'next tunnel = hop 1 receive tunnel');
  assert.deepEqual(ra.clear.subarray(8, 40), b.hash);
  assert.equal(ra.clear[40], 0, 'participant');
  assert.equal(ra.clear[43], 0, 'AES layer');
  assert.equal(ra.clear.readUInt32BE(44), minutes);
  assert.equal(ra.clear.readUInt32BE(48), 600);
  assert.equal(ra.clear.readUInt32BE(52), built.pending.hops[0]!.nextMessageId);
  assert.deepEqual(ra.clear.subarray(56, 58), Buffer.alloc(2), 'no options');
  const ka = shortKeys(ra.ck, false);
  assert.deepEqual(built.pending.hops[0]!.layerKey, ka.layerKey);
  assert.deepEqual(built.pending.hops[0]!.ivKey, ka.ivKey);

  // Hop 1's record only appears after hop 0's ChaCha20 layer (record number 0).
  assert.notDeepEqual(records[0]!.subarray(0, 16), b.hash.subarray(0, 16));
  const revealed = chacha20(ka.replyKey, 0, records[0]!);
  assert.deepEqual(revealed.subarray(0, 16), b.hash.subarray(0, 16));
  const rb = hopOpen(b.hesk, b.hepk, revealed);
  assert.equal(rb.clear.readUInt32BE(0), 222);
  assert.equal(rb.clear.readUInt32BE(4), 333, 'OBEP: next tunnel = reply tunnel');
  assert.deepEqual(rb.clear.subarray(8, 40), replyGw, 'OBEP: next ident = reply gateway');
  assert.equal(rb.clear[40], 0x40, 'OBEP flag');
  assert.equal(rb.clear.readUInt32BE(52), built.pending.replyMessageId, 'reply comes back with the id the creator waits for');
  const kb = shortKeys(rb.ck, true);
  assert.deepEqual(built.pending.hops[1]!.layerKey, kb.layerKey);
  assert.deepEqual(built.pending.hops[1]!.ivKey, kb.ivKey);
  assert.deepEqual(built.pending.garlicReplyKey, kb.garlicKey);
  assert.deepEqual(built.pending.garlicReplyTag, kb.garlicTag);

  // Replies made by the spec: hop 1 (OBEP) answers last, hop 0's reply then sits under hop 1's layer.
  const reply0 = Buffer.alloc(202);
  reply0[201] = 0;
  const reply1 = Buffer.alloc(202);
  reply1[201] = 30;
  const back: Buffer[] = records.map((r) => Buffer.from(r));
  back[3] = aeadSeal(ka.replyKey, 3, ra.h, reply0); // hop 0 answers...
  for (const i of [0, 1, 2]) back[i] = chacha20(ka.replyKey, i, back[i]!); // ...and layers the others
  back[0] = aeadSeal(kb.replyKey, 0, rb.h, reply1); // hop 1 answers...
  for (const i of [1, 2, 3]) back[i] = chacha20(kb.replyKey, i, back[i]!);
  const result = built.pending.handleReply(I2NPType.OutboundTunnelBuildReply, encodeBuildRecords(I2NPType.OutboundTunnelBuildReply, back));
  assert.deepEqual(result.hops.map((h) => h.code), [0, 30]);
  assert.equal(result.accepted, false);
});

test('creator: long inbound records open with the spec KDF; hop 1 is under hop 0\'s AES-CBC layer; our record is last in line', () => {
  const a = makeHop();
  const b = makeHop();
  const us = randomBytes(32);
  const built = createTunnelBuild({
    format: 'long',
    direction: 'inbound',
    hops: [
      { identHash: a.hash, encryptionKey: a.hepk },
      { identHash: b.hash, encryptionKey: b.hepk },
    ],
    ourIdentHash: us,
    replyTunnelId: 4444,
    now,
    positions: [1, 2, 0],
    recordCount: 5,
  });
  assert.equal(built.type, I2NPType.VariableTunnelBuild);
  const records = decodeBuildRecords(built.type, built.payload);
  assert.equal(records.length, 5);
  const ra = hopOpen(a.hesk, a.hepk, records[1]!);
  assert.equal(ra.clear.length, 464);
  assert.equal(ra.clear[152], 0x80, 'inbound gateway flag');
  assert.deepEqual(ra.clear.subarray(8, 40), b.hash);
  assert.deepEqual(ra.clear.subarray(40, 72), built.pending.hops[0]!.layerKey);
  assert.deepEqual(ra.clear.subarray(72, 104), built.pending.hops[0]!.ivKey);
  assert.equal(ra.clear.readUInt32BE(156), minutes);
  const aReplyKey = ra.clear.subarray(104, 136);
  const aReplyIv = ra.clear.subarray(136, 152);
  // Hop 0 "encrypts" every other record with AES-256-CBC: that reveals hop 1's record.
  const revealed = aesCbc(true, aReplyKey, aReplyIv, records[2]!);
  const rb = hopOpen(b.hesk, b.hepk, revealed);
  assert.equal(rb.clear[152], 0, 'participant');
  assert.equal(rb.clear.readUInt32BE(4), 4444, 'last hop sends on to our tunnel');
  assert.deepEqual(rb.clear.subarray(8, 40), us, '... at our router');
  assert.equal(rb.clear.readUInt32BE(164), built.pending.replyMessageId);
  // Our own record: after both hops' layers it reads as a record for the router after hop 1.
  const ours = aesCbc(true, rb.clear.subarray(104, 136), rb.clear.subarray(136, 152), aesCbc(true, aReplyKey, aReplyIv, records[0]!));
  assert.deepEqual(ours.subarray(0, 16), us.subarray(0, 16));
});
