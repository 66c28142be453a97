// Real RouterInfos written by i2pd 2.45.1 (see test/fixtures/i2pd/README.md for their origin).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sha256 } from '../../../src/crypto/index.js';
import { CryptoType, SigType } from '../../../src/data/certificate.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import { DataFormatError } from '../../../src/util/errors.js';

// Compiled to dist/test/unit/data/, so the repository root is four levels up.
const FIXTURES = new URL('../../../../test/fixtures/i2pd/', import.meta.url);
const load = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

for (const [name, host, port, floodfill] of [
  ['router-basic.info', '198.18.0.1', 12345, false],
  ['router-floodfill.info', '198.18.0.2', 12346, true],
] as const) {
  test(`i2pd fixture ${name}: parses, verifies, re-encodes exactly`, () => {
    const raw = load(name);
    const ri = RouterInfo.parse(raw);
    assert.equal(ri.verify(), true);
    assert.deepEqual(ri.encode(), raw);
    assert.equal(ri.identity.raw.length, 391);
    assert.equal(ri.identity.sigType, SigType.EdDSA_SHA512_Ed25519);
    assert.equal(ri.identity.cryptoType, CryptoType.ECIES_X25519);
    assert.deepEqual(ri.hash, sha256(raw.subarray(0, 391)));
    assert.equal(ri.netId, 99);
    assert.equal(ri.version, '0.9.57');
    assert.equal(ri.floodfill, floodfill);
    if (floodfill) assert.ok(ri.caps.includes('X'), ri.caps);
    else assert.ok(/[KLMNOPX]/.test(ri.caps), ri.caps);
    // i2pd follows proposal 161: the 320 padding bytes are one 32-byte pattern repeated.
    const pattern = ri.identity.raw.subarray(32, 64);
    for (let o = 64; o < 352; o += 32) assert.deepEqual(ri.identity.raw.subarray(o, o + 32), pattern);
    // The published time is a real recent date (i2pd writes ms since the epoch).
    assert.ok(ri.published > Date.UTC(2024, 0, 1), String(ri.published));
    const n = ri.ntcp2();
    assert.ok(n, 'NTCP2 address');
    assert.equal(n.host, host);
    assert.equal(n.port, port);
    assert.equal(n.staticKey.length, 32);
    assert.equal(n.iv?.length, 16);
    assert.ok(n.version.split(',').includes('2'));
    assert.deepEqual(ri.addresses.map((a) => a.transportStyle).sort(), ['NTCP2', 'SSU2']);
    for (const a of ri.addresses) assert.equal(a.expiration, 0);
  });

  test(`i2pd fixture ${name}: every truncation and a flipped signature byte are rejected`, () => {
    const raw = load(name);
    for (let i = 0; i < raw.length; i++) assert.throws(() => RouterInfo.parse(raw.subarray(0, i)), DataFormatError);
    const t = Buffer.from(raw);
    t[t.length - 1]! ^= 0x80;
    assert.equal(RouterInfo.parse(t).verify(), false);
    const body = Buffer.from(raw);
    body[391 + 3]! ^= 0x01; // inside the published date
    assert.equal(RouterInfo.parse(body).verify(), false);
  });
}
