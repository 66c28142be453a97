import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../src/util/bytes.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { encodeMapping, readMapping, type Mapping } from '../../../src/data/mapping.js';
import { readI2PDate, writeI2PDate } from '../../../src/data/date.js';
import { readI2PString, writeI2PString } from '../../../src/data/i2p-string.js';

function parse(b: Buffer): Mapping {
  const r = new ByteReader(b);
  const m = readMapping(r);
  r.expectEnd('mapping');
  return m;
}

/** Builds a raw mapping body from entries written exactly as given (no sorting, no checks). */
function rawMapping(entries: Buffer[], sizeOverride?: number): Buffer {
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(sizeOverride ?? body.length);
  return Buffer.concat([head, body]);
}
function entry(k: string, v: string, eq = '=', semi = ';'): Buffer {
  const kb = Buffer.from(k);
  const vb = Buffer.from(v);
  return Buffer.concat([Buffer.of(kb.length), kb, Buffer.from(eq), Buffer.of(vb.length), vb, Buffer.from(semi)]);
}

test('mapping encodes key-sorted with the exact wire layout', () => {
  const m: Mapping = new Map([
    ['port', '12345'],
    ['host', '198.18.0.1'],
  ]);
  const enc = encodeMapping(m);
  assert.deepEqual(enc, rawMapping([entry('host', '198.18.0.1'), entry('port', '12345')]));
  assert.deepEqual([...parse(enc)], [
    ['host', '198.18.0.1'],
    ['port', '12345'],
  ]);
});

test('mapping sort is Java String.compareTo (UTF-16 code units, case-sensitive)', () => {
  const m: Mapping = new Map([
    ['b', '1'],
    ['a', '2'],
    ['B', '3'],
    ['caps', 'X'],
    ['ca', ''],
    ['\u00e9', '4'],
  ]);
  assert.deepEqual([...parse(encodeMapping(m)).keys()], ['B', 'a', 'b', 'ca', 'caps', '\u00e9']);
});

test('mapping round-trips empty, UTF-8, empty strings and "=" / ";" inside strings', () => {
  for (const m of [
    new Map<string, string>(),
    new Map([['k', '']]),
    new Map([['', 'v']]),
    new Map([['a=b', 'c;d']]),
    new Map([['ключ', 'значение ✓']]),
    new Map([['x'.repeat(255), 'y'.repeat(255)]]),
  ]) {
    assert.deepEqual(parse(encodeMapping(m)), m);
  }
  assert.deepEqual(encodeMapping(new Map()), Buffer.from([0, 0]));
});

test('mapping encoder refuses strings over 255 bytes and totals over 65535', () => {
  assert.throws(() => encodeMapping(new Map([['k', 'v'.repeat(256)]])), RangeError);
  assert.throws(() => encodeMapping(new Map([['é'.repeat(128), 'v']])), RangeError);
  const big: Mapping = new Map();
  for (let i = 0; i < 300; i++) big.set(`k${i}`, 'v'.repeat(250));
  assert.throws(() => encodeMapping(big), RangeError);
});

test('mapping decoder rejects hostile input', () => {
  const good = entry('a', 'b');
  const cases: [string, Buffer][] = [
    ['size exceeds buffer', rawMapping([good], good.length + 1)],
    ['size cuts an entry', rawMapping([good], good.length - 1)],
    ['missing =', rawMapping([entry('a', 'b', ':')])],
    ['missing ;', rawMapping([entry('a', 'b', '=', ',')])],
    ['duplicate key', rawMapping([entry('a', 'b'), entry('a', 'c')])],
    ['string length past end', rawMapping([Buffer.from([5, 0x61, 0x3d])])],
    ['invalid UTF-8', rawMapping([Buffer.concat([Buffer.from([1, 0xff]), Buffer.from('='), Buffer.from([0]), Buffer.from(';')])])],
    ['just one size byte', Buffer.from([0])],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [name, buf] of cases) assert.throws(() => parse(buf), DataFormatError, name);
  // Every truncation of a valid mapping fails cleanly.
  const enc = encodeMapping(new Map([['host', '1.2.3.4'], ['port', '1']]));
  for (let i = 0; i < enc.length; i++) assert.throws(() => parse(enc.subarray(0, i)), DataFormatError);
});

test('mapping decoder keeps unsorted input as given (signatures are over raw bytes)', () => {
  const m = parse(rawMapping([entry('z', '1'), entry('a', '2')]));
  assert.deepEqual([...m.keys()], ['z', 'a']);
});

test('Date and String', () => {
  const w = new ByteWriter();
  writeI2PDate(w, 1_700_000_000_123);
  writeI2PString(w, 'NTCP2');
  const b = w.toBuffer();
  assert.deepEqual(b.subarray(0, 8), Buffer.from('0000018bcfe5687b', 'hex'));
  const r = new ByteReader(b);
  assert.equal(readI2PDate(r), 1_700_000_000_123);
  assert.equal(readI2PString(r), 'NTCP2');
  r.expectEnd('x');
  assert.throws(() => readI2PDate(new ByteReader(Buffer.from('ffffffffffffffff', 'hex'))), DataFormatError);
  assert.throws(() => readI2PDate(new ByteReader(Buffer.alloc(7))), DataFormatError);
  assert.throws(() => writeI2PDate(new ByteWriter(), -1), RangeError);
  assert.throws(() => writeI2PDate(new ByteWriter(), 1.5), RangeError);
  assert.throws(() => readI2PString(new ByteReader(Buffer.from([3, 0x61]))), DataFormatError);
  assert.throws(() => writeI2PString(new ByteWriter(), 'x'.repeat(256)), RangeError);
});
