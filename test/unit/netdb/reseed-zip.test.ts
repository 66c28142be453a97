import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipOf } from '../../helpers/zip.js';
import { makeRouterInfo } from '../data/make-router-info.js';
import { readReseedZip, ReseedError } from '../../../src/netdb/reseed/zipfile.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';

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
