import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipOf } from '../../helpers/zip.js';
import { makeRouterInfo } from '../data/make-router-info.js';
import { RouterInfoStore } from '../../../src/netdb/router-info-store.js';
import { readReseedZip, ReseedError } from '../../../src/netdb/reseed/zipfile.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';

const NOW = 1_764_000_100_000;

test('store keeps verified RouterInfos of our network, newest wins', () => {
  const ours = makeRouterInfo({ options: new Map([['netId', '99'], ['caps', 'L']]) });
  const store = new RouterInfoStore({ netId: 99, ourHash: ours.ri.hash });
  const a = makeRouterInfo({ options: new Map([['netId', '99'], ['caps', 'L']]) });
  assert.equal(store.add(a.ri, NOW), true);
  assert.equal(store.add(a.ri, NOW), 'older');
  assert.equal(store.add(ours.ri, NOW), 'ourselves');
  const other = makeRouterInfo({ options: new Map([['netId', '2'], ['caps', 'L']]) });
  assert.equal(store.add(other.ri, NOW), 'wrong-netid');
  const future = makeRouterInfo({ published: NOW + 10 * 60_000, options: new Map([['netId', '99']]) });
  assert.equal(store.add(future.ri, NOW), 'future');
  // A byte flipped inside the signed part: parses, but the signature fails.
  const raw = Buffer.from(a.ri.raw);
  const newer = makeRouterInfo({ options: new Map([['netId', '99']]) });
  const forged = Buffer.from(newer.ri.raw);
  forged[100] ^= 1; // inside the identity padding: still parses, signature no longer matches
  const parsed = RouterInfo.parse(forged);
  assert.equal(store.add(parsed, NOW), 'bad-signature');
  assert.equal(store.size, 1);
  assert.deepEqual(store.get(a.ri.hash)?.raw, raw);
  assert.equal(store.rejected['bad-signature'], 1);
});

test('store is bounded', () => {
  const store = new RouterInfoStore({ netId: 99, ourHash: Buffer.alloc(32), maxEntries: 2 });
  for (let i = 0; i < 2; i++) assert.equal(store.add(makeRouterInfo({ options: new Map([['netId', '99']]) }).ri, NOW), true);
  assert.equal(store.add(makeRouterInfo({ options: new Map([['netId', '99']]) }).ri, NOW), 'full');
});

test('reseed zip: good entries in, bad ones counted out', async () => {
  const good = [makeRouterInfo(), makeRouterInfo()];
  const bad = makeRouterInfo();
  const tampered = Buffer.from(bad.ri.raw);
  tampered[tampered.length - 70] ^= 1;
  const name = (h: Buffer): string => `routerInfo-${i2pBase64Encode(h)}.dat`;
  const zip = await zipOf([
    [name(good[0]!.ri.hash), good[0]!.ri.raw],
    [`r1/${name(good[1]!.ri.hash)}`, good[1]!.ri.raw],
    [name(bad.ri.hash), tampered],
    [name(Buffer.alloc(32, 7)), Buffer.from('garbage')],
    ['evil.sh', Buffer.from('#!/bin/sh')],
    [name(Buffer.alloc(32, 8)), Buffer.alloc(70 * 1024)],
  ]);
  const r = await readReseedZip(zip);
  assert.deepEqual(r.routerInfos.map((ri) => ri.hash.toString('hex')).sort(), good.map((g) => g.ri.hash.toString('hex')).sort());
  assert.deepEqual(r.rejected, { 'bad-signature': 1, malformed: 1, 'unexpected-name': 1, 'too-large': 1 });
});

test('reseed zip: garbage and truncated zips are refused with a reason', async () => {
  await assert.rejects(readReseedZip(Buffer.from('not a zip at all')), ReseedError);
  const zip = await zipOf([[`routerInfo-${i2pBase64Encode(Buffer.alloc(32))}.dat`, makeRouterInfo().ri.raw]]);
  for (const cut of [10, zip.length - 30, zip.length - 1]) await assert.rejects(readReseedZip(zip.subarray(0, cut)), ReseedError);
});
