import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../../src/crypto/index.js';
import { I2NPType } from '../../../src/i2np/message.js';
import {
  BUILD_RECORD_LENGTH,
  buildMessageLayout,
  buildReplyType,
  decodeBuildRecords,
  encodeBuildRecords,
  isTunnelBuildType,
  SHORT_BUILD_RECORD_LENGTH,
} from '../../../src/i2np/tunnel-build.js';
import { DataFormatError } from '../../../src/util/errors.js';

const isFormatError = (code: string) => (e: unknown) => e instanceof DataFormatError && e.code === code;

const records = (n: number, len: number): Buffer[] => Array.from({ length: n }, () => randomBytes(len));

test('TunnelBuild / TunnelBuildReply (21, 22): exactly 8 x 528 bytes, no count byte', () => {
  for (const type of [I2NPType.TunnelBuild, I2NPType.TunnelBuildReply]) {
    const recs = records(8, BUILD_RECORD_LENGTH);
    const payload = encodeBuildRecords(type, recs);
    assert.equal(payload.length, 8 * 528);
    assert.deepEqual(payload, Buffer.concat(recs));
    assert.deepEqual(decodeBuildRecords(type, payload), recs);
    assert.throws(() => decodeBuildRecords(type, payload.subarray(1)), isFormatError('truncated'));
    assert.throws(() => decodeBuildRecords(type, Buffer.concat([payload, Buffer.of(0)])), isFormatError('trailing'));
    assert.throws(() => encodeBuildRecords(type, recs.slice(1)), RangeError);
  }
});

test('VariableTunnelBuild(Reply) (23, 24) and ShortTunnelBuild / OutboundTunnelBuildReply (25, 26): count || records, 1 to 8', () => {
  const cases = [
    [I2NPType.VariableTunnelBuild, BUILD_RECORD_LENGTH],
    [I2NPType.VariableTunnelBuildReply, BUILD_RECORD_LENGTH],
    [I2NPType.ShortTunnelBuild, SHORT_BUILD_RECORD_LENGTH],
    [I2NPType.OutboundTunnelBuildReply, SHORT_BUILD_RECORD_LENGTH],
  ] as const;
  for (const [type, len] of cases) {
    for (let n = 1; n <= 8; n++) {
      const recs = records(n, len);
      const payload = encodeBuildRecords(type, recs);
      assert.equal(payload.length, 1 + n * len, 'i2np.rst: total size 1 + num * record size');
      assert.equal(payload[0], n);
      assert.deepEqual(decodeBuildRecords(type, payload), recs);
    }
    assert.throws(() => encodeBuildRecords(type, []), RangeError);
    assert.throws(() => encodeBuildRecords(type, records(9, len)), RangeError);
    assert.throws(() => encodeBuildRecords(type, [randomBytes(len - 1)]), RangeError);
  }
  // Typical sizes quoted by i2np.rst: 4 records = 2113 (long) and 873 (short) bytes.
  assert.equal(encodeBuildRecords(I2NPType.VariableTunnelBuild, records(4, 528)).length, 2113);
  assert.equal(encodeBuildRecords(I2NPType.ShortTunnelBuild, records(4, 218)).length, 873);
});

test('decoded records are a copy: rewriting them in place leaves the input alone', () => {
  const payload = encodeBuildRecords(I2NPType.ShortTunnelBuild, records(4, 218));
  const before = Buffer.from(payload);
  const recs = decodeBuildRecords(I2NPType.ShortTunnelBuild, payload);
  for (const r of recs) r.fill(0xaa);
  assert.deepEqual(payload, before);
});

test('hostile build messages: bad counts, every truncation, trailing bytes, garbage, wrong types', () => {
  for (const type of [I2NPType.VariableTunnelBuild, I2NPType.ShortTunnelBuild, I2NPType.OutboundTunnelBuildReply]) {
    const len = buildMessageLayout(type)!.recordLength;
    for (const count of [0, 9, 255]) {
      const p = Buffer.concat([Buffer.of(count), randomBytes(Math.min(count, 8) * len)]);
      assert.throws(() => decodeBuildRecords(type, p), isFormatError('record-count'), `count ${count}`);
    }
    const payload = encodeBuildRecords(type, records(2, len));
    for (let n = 0; n < payload.length; n++) assert.throws(() => decodeBuildRecords(type, payload.subarray(0, n)), DataFormatError, `prefix ${n}`);
    assert.throws(() => decodeBuildRecords(type, Buffer.concat([payload, randomBytes(5)])), isFormatError('trailing'));
    // A count that promises more records than are there.
    const lying = Buffer.from(payload);
    lying[0] = 3;
    assert.throws(() => decodeBuildRecords(type, lying), isFormatError('truncated'));
    // A full-size payload of another record size.
    const other = len === 528 ? 218 : 528;
    assert.throws(() => decodeBuildRecords(type, Buffer.concat([Buffer.of(4), randomBytes(4 * other)])), DataFormatError);
  }
  for (let i = 0; i < 300; i++) {
    const garbage = randomBytes(i * 7);
    const expectOk = garbage.length > 0 && garbage[0]! >= 1 && garbage[0]! <= 8 && garbage.length === 1 + garbage[0]! * 218;
    if (!expectOk) assert.throws(() => decodeBuildRecords(I2NPType.ShortTunnelBuild, garbage), DataFormatError);
  }
  assert.throws(() => decodeBuildRecords(I2NPType.DatabaseStore, Buffer.alloc(873)), isFormatError('type'));
  assert.throws(() => encodeBuildRecords(I2NPType.Garlic, records(4, 218)), RangeError);
});

test('type helpers: build types 21-26, reply types 22/24/26 for requests 21/23/25', () => {
  for (let t = 0; t < 256; t++) assert.equal(isTunnelBuildType(t), t >= 21 && t <= 26, `type ${t}`);
  assert.equal(buildReplyType(I2NPType.TunnelBuild), I2NPType.TunnelBuildReply);
  assert.equal(buildReplyType(I2NPType.VariableTunnelBuild), I2NPType.VariableTunnelBuildReply);
  assert.equal(buildReplyType(I2NPType.ShortTunnelBuild), I2NPType.OutboundTunnelBuildReply);
  assert.throws(() => buildReplyType(I2NPType.OutboundTunnelBuildReply), RangeError);
});
