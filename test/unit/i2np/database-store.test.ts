import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { randomBytes } from '../../../src/crypto/index.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import {
  DatabaseStoreType,
  MAX_INFLATED_ROUTER_INFO,
  decodeDatabaseStore,
  encodeDatabaseStore,
  gzipRouterInfo,
  type DatabaseStore,
} from '../../../src/i2np/database-store.js';
import { I2NPType, decodeStandard, encodeStandard } from '../../../src/i2np/message.js';
import { makeRouterInfo } from '../data/make-router-info.js';

/** Builds a type-0 store around arbitrary "gzip" bytes. */
function rawRiStore(z: Buffer, lenOverride?: number): Buffer {
  const head = Buffer.alloc(32 + 1 + 4 + 2);
  head.writeUInt16BE(lenOverride ?? z.length, 37);
  return Buffer.concat([head, z]);
}

test('DatabaseStore RouterInfo without reply: gzip with Java-like header, round trip', () => {
  const { ri } = makeRouterInfo();
  const m: DatabaseStore = { key: ri.hash, type: DatabaseStoreType.RouterInfo, replyToken: 0, routerInfo: ri.raw };
  const enc = encodeDatabaseStore(m);
  assert.deepEqual(enc.subarray(0, 32), ri.hash);
  assert.equal(enc[32], 0);
  assert.equal(enc.readUInt32BE(33), 0);
  const zlen = enc.readUInt16BE(37);
  assert.equal(enc.length, 39 + zlen);
  assert.deepEqual(enc.subarray(39, 49), Buffer.from('1f8b08000000000002ff', 'hex'));
  assert.deepEqual(gunzipSync(enc.subarray(39)), ri.raw);
  assert.ok(zlen < ri.raw.length - 200, `proposal-161 padding compresses (${zlen} vs ${ri.raw.length})`);
  const dec = decodeDatabaseStore(enc);
  assert.deepEqual(dec, m);
  assert.equal(RouterInfo.parse(dec.routerInfo!).verify(), true);
  // Inside a standard I2NP message, as sent.
  const wire = encodeStandard({ type: I2NPType.DatabaseStore, msgId: 7, expiration: 1, payload: enc });
  assert.deepEqual(decodeDatabaseStore(decodeStandard(wire).payload).routerInfo, ri.raw);
});

test('DatabaseStore with reply token, and LeaseSet variants stored uncompressed', () => {
  const key = randomBytes(32);
  const gw = randomBytes(32);
  const ls = randomBytes(300);
  for (const type of [DatabaseStoreType.LeaseSet, DatabaseStoreType.LeaseSet2, DatabaseStoreType.EncryptedLeaseSet, DatabaseStoreType.MetaLeaseSet]) {
    const m: DatabaseStore = { key, type, replyToken: 0x01020304, replyTunnelId: 0x0a0b0c0d, replyGateway: gw, leaseSet: ls };
    const enc = encodeDatabaseStore(m);
    assert.equal(enc.length, 32 + 1 + 4 + 4 + 32 + 300);
    assert.equal(enc[32], type);
    assert.deepEqual(enc.subarray(73), ls);
    assert.deepEqual(decodeDatabaseStore(enc), m);
  }
  const { ri } = makeRouterInfo();
  const withReply: DatabaseStore = { key: ri.hash, type: 0, replyToken: 99, replyTunnelId: 0, replyGateway: gw, routerInfo: ri.raw };
  assert.deepEqual(decodeDatabaseStore(encodeDatabaseStore(withReply)), withReply);
  assert.throws(() => encodeDatabaseStore({ key, type: 1, replyToken: 5, leaseSet: ls }), RangeError);
  assert.throws(() => encodeDatabaseStore({ key, type: 2, replyToken: 0, leaseSet: ls }), RangeError);
});

test('DatabaseStore ignores type bits 7-4 and rejects undefined variants', () => {
  const enc = encodeDatabaseStore({ key: randomBytes(32), type: 3, replyToken: 0, leaseSet: Buffer.from('x') });
  enc[32] = 0xf3;
  assert.equal(decodeDatabaseStore(enc).type, 3);
  for (const t of [2, 4, 6, 8, 9, 11, 13, 15]) {
    enc[32] = t;
    assert.throws(() => decodeDatabaseStore(enc), (e: unknown) => e instanceof DataFormatError && e.code === 'dbstore-type', `type ${t}`);
  }
});

test('DatabaseStore hostile input: truncation, lengths, garbage gzip, gzip bomb', () => {
  const { ri } = makeRouterInfo();
  const enc = encodeDatabaseStore({ key: ri.hash, type: 0, replyToken: 5, replyTunnelId: 6, replyGateway: randomBytes(32), routerInfo: ri.raw });
  for (let i = 0; i < enc.length; i++) assert.throws(() => decodeDatabaseStore(enc.subarray(0, i)), DataFormatError, `len ${i}`);
  assert.throws(() => decodeDatabaseStore(Buffer.concat([enc, Buffer.of(0)])), DataFormatError, 'trailing byte');
  const z = gzipRouterInfo(ri.raw);
  assert.throws(() => decodeDatabaseStore(rawRiStore(z, z.length + 1)), DataFormatError, 'length past end');
  assert.throws(() => decodeDatabaseStore(rawRiStore(randomBytes(200))), (e: unknown) => e instanceof DataFormatError && e.code === 'gzip');
  assert.throws(() => decodeDatabaseStore(rawRiStore(z.subarray(0, z.length - 5))), DataFormatError, 'truncated gzip');
  // 64 MiB of zeros compresses to ~64 KiB; a smaller bomb that still fits the 2-byte length:
  const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024), { level: 9 });
  assert.ok(bomb.length < 0xffff);
  assert.throws(() => decodeDatabaseStore(rawRiStore(bomb)), (e: unknown) => e instanceof DataFormatError && e.code === 'gzip');
  // Exactly at the limit is accepted, one byte more is not.
  assert.equal(decodeDatabaseStore(rawRiStore(gzipSync(Buffer.alloc(MAX_INFLATED_ROUTER_INFO)))).routerInfo?.length, MAX_INFLATED_ROUTER_INFO);
  assert.throws(() => decodeDatabaseStore(rawRiStore(gzipSync(Buffer.alloc(MAX_INFLATED_ROUTER_INFO + 1)))), DataFormatError);
  assert.throws(() => decodeDatabaseStore(encodeDatabaseStore({ key: ri.hash, type: 1, replyToken: 0, leaseSet: Buffer.from('x') }).subarray(0, 37)), DataFormatError, 'LS without data');
});
