import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipHashLengthMask, randomBytes } from '../../../src/crypto/index.js';
import type { NTCP2DataPhaseKeys, SipHashParams } from '../../../src/crypto/noise.js';
import { AuthenticationError } from '../../../src/util/errors.js';
import { FrameDecoder, FrameEncoder, FrameError } from '../../../src/transport/ntcp2/frames.js';
import { NTCP2DataPhase, MAX_I2NP_BODY } from '../../../src/transport/ntcp2/data-phase.js';
import { BlockType, MAX_FRAME_PAYLOAD, type Block } from '../../../src/transport/ntcp2/blocks.js';
import type { I2NPMessage } from '../../../src/i2np/message.js';

const sip = (): SipHashParams => ({ k1: randomBytes(8), k2: randomBytes(8), iv: randomBytes(8) });
function keys(): NTCP2DataPhaseKeys {
  return { kAB: randomBytes(32), kBA: randomBytes(32), sipAB: sip(), sipBA: sip() };
}
function pairCodec(): { enc: FrameEncoder; dec: FrameDecoder; key: Buffer; s: SipHashParams } {
  const key = randomBytes(32);
  const s = sip();
  return { enc: new FrameEncoder(key, s), dec: new FrameDecoder(key, s), key, s };
}

/** Splits a buffer at random points. */
function chunks(b: Buffer, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < b.length) {
    const n = 1 + Math.floor(Math.random() * maxChunk);
    out.push(b.subarray(off, off + n));
    off += n;
  }
  return out;
}

test('frames survive arbitrary TCP chunking', () => {
  for (const maxChunk of [1, 2, 3, 17, 100, 5000]) {
    const { enc, dec } = pairCodec();
    const payloads = Array.from({ length: 30 }, (_, i) => randomBytes(i * 37));
    const wire = Buffer.concat(payloads.map((p) => enc.encrypt(p)));
    const got: Buffer[] = [];
    for (const c of chunks(wire, maxChunk)) got.push(...dec.push(c));
    assert.equal(got.length, payloads.length);
    got.forEach((g, i) => assert.ok(g.equals(payloads[i]!)));
    assert.equal(dec.nonce, 30);
    assert.equal(dec.bufferedBytes, 0);
  }
});

test('the length field is the ciphertext length XOR the SipHash mask, big-endian', () => {
  const { enc, s } = pairCodec();
  const mask = new SipHashLengthMask(s.k1, s.k2, s.iv);
  const f = enc.encrypt(Buffer.alloc(10));
  assert.equal(f.length, 2 + 10 + 16);
  assert.equal(f.readUInt16BE(0) ^ mask.next(), 26);
});

test('a frame length below 16 is a framing error', () => {
  const { dec, s } = pairCodec();
  const mask = new SipHashLengthMask(s.k1, s.k2, s.iv);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(15 ^ mask.next());
  assert.throws(() => dec.push(b), (e: unknown) => e instanceof FrameError && e.code === 'frame-length');
  // The decoder stays failed.
  assert.throws(() => dec.push(Buffer.alloc(40)), FrameError);
});

test('a frame length of 65535 is accepted and waits for the body', () => {
  const { dec, s } = pairCodec();
  const mask = new SipHashLengthMask(s.k1, s.k2, s.iv);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(65535 ^ mask.next());
  assert.deepEqual(dec.push(b), []);
  assert.ok(dec.midFrame);
});

test('a flipped MAC byte is an AEAD failure; frames before it are still delivered by pushSome', () => {
  const { enc, dec } = pairCodec();
  const good = enc.encrypt(Buffer.from('first'));
  const bad = Buffer.from(enc.encrypt(Buffer.from('second')));
  bad[bad.length - 1]! ^= 0x01;
  const r = dec.pushSome(Buffer.concat([good, bad]));
  assert.equal(r.payloads.length, 1);
  assert.equal(r.payloads[0]!.toString(), 'first');
  assert.ok(r.error instanceof AuthenticationError);
  assert.equal(r.error.code, 'aead');
});

test('frames from the wrong direction key fail', () => {
  const k = keys();
  const alice = new NTCP2DataPhase(k, 'initiator');
  const alice2 = new NTCP2DataPhase(k, 'initiator');
  // With the wrong SipHash key the length is garbage: either it is rejected or too long, and once
  // enough bytes arrive the MAC fails. Never a decoded frame.
  const r = alice2.receive(Buffer.concat([alice.encodeFrame([{ type: BlockType.DateTime, timestamp: 1 }]), Buffer.alloc(65536)]));
  assert.equal(r.frames.length, 0);
  assert.ok(r.error);
});

test('encoder refuses payloads above 65519 bytes', () => {
  const { enc, dec } = pairCodec();
  assert.throws(() => enc.encrypt(Buffer.alloc(MAX_FRAME_PAYLOAD + 1)), FrameError);
  const big = enc.encrypt(Buffer.alloc(MAX_FRAME_PAYLOAD));
  assert.equal(big.length, 65537);
  assert.equal(dec.push(big)[0]!.length, MAX_FRAME_PAYLOAD);
});

const msg = (i: number, len: number): I2NPMessage => ({ type: 20, msgId: i, expiration: 1_800_000_000_000, payload: Buffer.alloc(len, i & 0xff) });

function i2npOf(frames: Block[][]): I2NPMessage[] {
  return frames.flat().flatMap((b) => (b.type === BlockType.I2NP ? [b.message] : []));
}

test('packMessages packs many messages per frame within the budget, in order', () => {
  const k = keys();
  const a = new NTCP2DataPhase(k, 'initiator');
  const b = new NTCP2DataPhase(k, 'responder');
  const msgs = Array.from({ length: 100 }, (_, i) => msg(i, 1024));
  const packed = a.packMessages(msgs, { maxFramePayload: 16 * 1024 });
  assert.equal(packed.messages, 100);
  // 1036 bytes per block: 15 per 16 KiB frame -> 7 frames.
  assert.equal(packed.frames, Math.ceil(100 / Math.floor(16384 / 1036)));
  const r = b.receive(packed.data);
  assert.equal(r.error, undefined);
  assert.equal(r.frames.length, packed.frames);
  for (const f of r.frames) {
    const size = f.reduce((n, bl) => n + 3 + (bl.type === BlockType.I2NP ? 9 + bl.message.payload.length : bl.type === BlockType.Padding ? bl.length : 0), 0);
    assert.ok(size <= 16 * 1024 + 3 + 32, `frame payload ${size}`);
  }
  assert.deepEqual(i2npOf(r.frames).map((m) => m.msgId), msgs.map((m) => m.msgId));
});

test('packMessages: a message larger than the budget gets its own frame; too-large ones are reported', () => {
  const k = keys();
  const a = new NTCP2DataPhase(k, 'initiator');
  const b = new NTCP2DataPhase(k, 'responder');
  const msgs = [msg(1, 10), msg(2, 40_000), msg(3, MAX_I2NP_BODY), msg(4, MAX_I2NP_BODY + 1), msg(5, 10)];
  const packed = a.packMessages(msgs, { maxFramePayload: 16 * 1024 });
  assert.deepEqual(packed.oversize.map((m) => m.msgId), [4]);
  const r = b.receive(packed.data);
  assert.equal(r.error, undefined);
  assert.deepEqual(i2npOf(r.frames).map((m) => m.msgId), [1, 2, 3, 5]);
  assert.ok(i2npOf(r.frames)[2]!.payload.equals(msgs[2]!.payload));
});

test('leading blocks go first in the first frame', () => {
  const k = keys();
  const a = new NTCP2DataPhase(k, 'responder');
  const b = new NTCP2DataPhase(k, 'initiator');
  const packed = a.packMessages([msg(9, 5)], { leading: [{ type: BlockType.DateTime, timestamp: 77 }] });
  const r = b.receive(packed.data);
  assert.deepEqual(r.frames[0]![0], { type: BlockType.DateTime, timestamp: 77 });
  assert.equal(i2npOf(r.frames)[0]!.msgId, 9);
});

test('a frame with a block-order violation is reported as a payload error after earlier frames', () => {
  const k = keys();
  const a = new NTCP2DataPhase(k, 'initiator');
  const b = new NTCP2DataPhase(k, 'responder');
  const ok = a.encodeFrame([{ type: BlockType.DateTime, timestamp: 1 }], 0);
  const bad = a.encoder.encrypt(Buffer.from('fe0000' + '000004' + '00000001', 'hex')); // padding then datetime
  const r = b.receive(Buffer.concat([ok, bad]));
  assert.equal(r.frames.length, 1);
  assert.equal(r.error?.code, 'block-order');
});
