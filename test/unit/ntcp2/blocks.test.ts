import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { DataFormatError } from '../../../src/util/errors.js';
import {
  BlockType,
  MAX_FRAME_PAYLOAD,
  TerminationReason,
  decodeBlocks,
  encodeBlocks,
  terminationReasonName,
  type Block,
} from '../../../src/transport/ntcp2/blocks.js';

const i2np = (msgId: number, len: number): Block => ({
  type: BlockType.I2NP,
  message: { type: 18, msgId, expiration: 1_764_000_123_000, payload: randomBytes(len) },
});

test('every block type round-trips', () => {
  const blocks: Block[] = [
    { type: BlockType.DateTime, timestamp: 1_764_000_000 },
    { type: BlockType.Options, tmin: 1, tmax: 2, rmin: 3, rmax: 4, tdmy: 500, rdmy: 600, tdelay: 700, rdelay: 800, more: Buffer.of(9, 9) },
    { type: BlockType.RouterInfo, flood: true, routerInfo: randomBytes(300) },
    i2np(7, 0),
    i2np(8, 1000),
    { type: 'unknown', blockType: 224, data: Buffer.from('experimental') },
    { type: BlockType.Termination, framesReceived: 12345678901n, reason: TerminationReason.IdleTimeout, extra: Buffer.from('bye') },
    { type: BlockType.Padding, length: 5 },
  ];
  const decoded = decodeBlocks(encodeBlocks(blocks));
  assert.equal(decoded.length, blocks.length);
  assert.deepEqual(decoded, blocks);
});

test('I2NP block uses the 9-byte short header with expiration in seconds', () => {
  const enc = encodeBlocks([{ type: BlockType.I2NP, message: { type: 11, msgId: 0x01020304, expiration: 5_000_999, payload: Buffer.of(0xaa) } }]);
  assert.equal(enc.toString('hex'), '03000a' + '0b' + '01020304' + '00001388' + 'aa');
});

test('RouterInfo block flag bit 0 is the flood request', () => {
  const enc = encodeBlocks([{ type: BlockType.RouterInfo, flood: false, routerInfo: Buffer.of(1, 2) }]);
  assert.equal(enc.toString('hex'), '020003' + '00' + '0102');
  const b = decodeBlocks(Buffer.from('020003ff0102', 'hex'))[0]!;
  assert.ok(b.type === BlockType.RouterInfo && b.flood);
});

test('Termination block layout: 8-byte frame count, reason', () => {
  const enc = encodeBlocks([{ type: BlockType.Termination, framesReceived: 3n, reason: TerminationReason.DataPhaseAEADFailure, extra: Buffer.alloc(0) }]);
  assert.equal(enc.toString('hex'), '040009' + '0000000000000003' + '04');
  assert.equal(terminationReasonName(4), 'DataPhaseAEADFailure');
  assert.equal(terminationReasonName(200), 'unknown-200');
});

test('padding must be last and unique; termination last except padding', () => {
  const pad: Block = { type: BlockType.Padding, length: 1 };
  const term: Block = { type: BlockType.Termination, framesReceived: 0n, reason: 0, extra: Buffer.alloc(0) };
  const dt: Block = { type: BlockType.DateTime, timestamp: 1 };
  assert.throws(() => decodeBlocks(encodeBlocks([pad, dt])), DataFormatError);
  assert.throws(() => decodeBlocks(encodeBlocks([pad, pad])), DataFormatError);
  assert.throws(() => decodeBlocks(encodeBlocks([term, dt])), DataFormatError);
  assert.doesNotThrow(() => decodeBlocks(encodeBlocks([dt, term, pad])));
});

test('message 3 part 2 allows only RouterInfo, Options, Padding in that order', () => {
  const ri: Block = { type: BlockType.RouterInfo, flood: false, routerInfo: Buffer.of(1, 2, 3) };
  const opt: Block = { type: BlockType.Options, tmin: 0, tmax: 0, rmin: 0, rmax: 0, tdmy: 0, rdmy: 0, tdelay: 0, rdelay: 0, more: Buffer.alloc(0) };
  const pad: Block = { type: BlockType.Padding, length: 2 };
  assert.equal(decodeBlocks(encodeBlocks([ri, opt, pad]), 'message3').length, 3);
  assert.equal(decodeBlocks(encodeBlocks([ri]), 'message3').length, 1);
  assert.equal(decodeBlocks(encodeBlocks([ri, pad]), 'message3').length, 2);
  assert.throws(() => decodeBlocks(encodeBlocks([opt, ri]), 'message3'), DataFormatError);
  assert.throws(() => decodeBlocks(encodeBlocks([ri, ri]), 'message3'), DataFormatError);
  assert.throws(() => decodeBlocks(encodeBlocks([ri, { type: BlockType.DateTime, timestamp: 1 }]), 'message3'), DataFormatError);
  assert.throws(() => decodeBlocks(encodeBlocks([ri, { type: 'unknown', blockType: 224, data: Buffer.alloc(0) }]), 'message3'), DataFormatError);
  assert.throws(() => decodeBlocks(Buffer.alloc(0), 'message3'), DataFormatError);
});

test('unknown block types are kept (and skipped by receivers) in the data phase', () => {
  const b = decodeBlocks(Buffer.from('e0000201020000040000000a', 'hex'));
  assert.deepEqual(b[0], { type: 'unknown', blockType: 0xe0, data: Buffer.of(1, 2) });
  assert.deepEqual(b[1], { type: BlockType.DateTime, timestamp: 10 });
});

test('truncated input: a block size beyond the payload throws, never over-reads', () => {
  const enc = encodeBlocks([i2np(1, 50), { type: BlockType.DateTime, timestamp: 2 }]);
  for (let cut = 1; cut < enc.length; cut++) {
    if (cut === 3 + 9 + 50) continue; // clean boundary between the two blocks
    assert.throws(() => decodeBlocks(enc.subarray(0, cut)), DataFormatError, `cut at ${cut}`);
  }
});

test('malformed fixed-size blocks are rejected', () => {
  assert.throws(() => decodeBlocks(Buffer.from('000003010203', 'hex')), DataFormatError); // DateTime size 3
  assert.throws(() => decodeBlocks(Buffer.from('01000400000000', 'hex')), DataFormatError); // Options < 12
  assert.throws(() => decodeBlocks(Buffer.from('03000801020304050607', 'hex').subarray(0, 11)), DataFormatError); // I2NP < 9
  assert.throws(() => decodeBlocks(Buffer.from('0400080000000000000000', 'hex')), DataFormatError); // Termination < 9
  assert.throws(() => decodeBlocks(Buffer.from('02000100', 'hex')), DataFormatError); // RouterInfo with only a flag
});

test('garbage never throws anything but DataFormatError', () => {
  for (let i = 0; i < 2000; i++) {
    const g = randomBytes(1 + (i % 64));
    try {
      decodeBlocks(g);
    } catch (e) {
      assert.ok(e instanceof DataFormatError, String(e));
    }
  }
});

test('oversized payloads are refused by the encoder', () => {
  assert.throws(() => encodeBlocks([{ type: BlockType.Padding, length: MAX_FRAME_PAYLOAD }]), DataFormatError);
  assert.doesNotThrow(() => encodeBlocks([{ type: BlockType.Padding, length: MAX_FRAME_PAYLOAD - 3 }]));
});
