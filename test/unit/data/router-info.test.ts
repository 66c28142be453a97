import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ed25519Signer, randomBytes } from '../../../src/crypto/index.js';
import { ByteReader, ByteWriter } from '../../../src/util/bytes.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { encodeMapping } from '../../../src/data/mapping.js';
import { RouterAddress } from '../../../src/data/router-address.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { MAX_ROUTER_ADDRESSES, MAX_ROUTER_INFO_SIZE, RouterInfo } from '../../../src/data/router-info.js';
import { makeRouterInfo } from './make-router-info.js';

test('RouterInfo.create signs; parse, verify and re-encode round-trip', () => {
  const { ri, ntcp2Static, ntcp2Iv } = makeRouterInfo();
  assert.equal(ri.verify(), true);
  const again = RouterInfo.parse(ri.raw);
  assert.equal(again.verify(), true);
  assert.deepEqual(again.encode(), ri.raw);
  assert.deepEqual(ri.hash, ri.identity.hash);
  assert.equal(ri.published, 1_764_000_000_000);
  assert.equal(ri.signature.length, 64);
  assert.equal(ri.caps, 'XfR');
  assert.equal(ri.floodfill, true);
  assert.equal(ri.netId, 99);
  assert.equal(ri.version, '0.9.57');
  assert.equal(ri.addresses.length, 1);
  assert.equal(ri.peerHashes.length, 0);
  const n = ri.ntcp2();
  assert.ok(n);
  assert.equal(n.host, '198.18.0.7');
  assert.equal(n.port, 23456);
  assert.deepEqual(n.staticKey, ntcp2Static.publicKey);
  assert.deepEqual(n.iv, ntcp2Iv);
  assert.equal(n.version, '2');
  // Layout: identity | published | count | address | peer_size | options | signature.
  const w = new ByteWriter();
  ri.addresses[0]!.write(w);
  const addr = w.toBuffer();
  assert.equal(ri.raw.length, 391 + 8 + 1 + addr.length + 1 + encodeMapping(ri.options).length + 64);
  assert.equal(ri.raw[391 + 8], 1);
  assert.equal(ri.raw[391 + 8 + 1 + addr.length], 0);
});

test('RouterInfo verify() fails when any single byte is changed', () => {
  const { ri } = makeRouterInfo();
  // Every position: a flip either breaks parsing or breaks the signature, never passes.
  for (let i = 0; i < ri.raw.length; i++) {
    const t = Buffer.from(ri.raw);
    t[i]! ^= 0x01;
    let parsed: RouterInfo | undefined;
    try {
      parsed = RouterInfo.parse(t);
    } catch (e) {
      assert.ok(e instanceof DataFormatError, `offset ${i}: ${String(e)}`);
      continue;
    }
    assert.equal(parsed.verify(), false, `offset ${i}`);
  }
});

test('RouterInfo signed by another key does not verify', () => {
  const { ri } = makeRouterInfo();
  const other = Ed25519Signer.generate();
  const forged = RouterInfo.create({ identity: ri.identity, signer: other, published: ri.published, addresses: [...ri.addresses], options: ri.options });
  assert.equal(forged.verify(), false);
  assert.throws(() => RouterInfo.create({ identity: ri.identity, signer: { sign: () => Buffer.alloc(40) }, published: 0, addresses: [], options: new Map() }), RangeError);
});

test('RouterInfo parse rejects every truncation and trailing bytes', () => {
  const { ri } = makeRouterInfo();
  for (let i = 0; i < ri.raw.length; i++) assert.throws(() => RouterInfo.parse(ri.raw.subarray(0, i)), DataFormatError, `len ${i}`);
  assert.throws(() => RouterInfo.parse(Buffer.concat([ri.raw, Buffer.of(0)])), DataFormatError);
});

test('RouterInfo parse rejects oversized input and counts', () => {
  assert.throws(() => RouterInfo.parse(Buffer.alloc(MAX_ROUTER_INFO_SIZE + 1)), (e: unknown) => e instanceof DataFormatError && e.code === 'oversize');
  const { ri } = makeRouterInfo({ addresses: [] });
  // Patch the address count to MAX+1 (rest of the structure is then garbage, but the bound fires first).
  const t = Buffer.from(ri.raw);
  t[391 + 8] = MAX_ROUTER_ADDRESSES + 1;
  assert.throws(() => RouterInfo.parse(t), (e: unknown) => e instanceof DataFormatError && e.code === 'oversize');
  const ok = Buffer.from(ri.raw);
  ok[391 + 8] = 0;
  assert.ok(RouterInfo.parse(ok));
});

test('RouterInfo parse survives garbage', () => {
  for (let i = 0; i < 300; i++) {
    const len = i < 100 ? i * 10 : 391 + ((i * 37) % 1200);
    const g = randomBytes(len);
    if (i >= 100) {
      // Make the identity plausible so the fuzzing reaches deeper fields.
      RouterIdentity.create(randomBytes(32), randomBytes(32)).raw.copy(g);
    }
    try {
      const ri = RouterInfo.parse(g);
      assert.equal(ri.verify(), false);
    } catch (e) {
      assert.ok(e instanceof DataFormatError, String(e));
    }
  }
});

test('RouterInfo keeps and re-encodes a non-zero peer list and address expiration', () => {
  const { ri, signer } = makeRouterInfo();
  // Build by hand: same body but with two peer hashes and an address with expiration set.
  const peers = [randomBytes(32), randomBytes(32)];
  const a = new RouterAddress(10, 1234, 'SSU2', new Map([['caps', 'BC']]));
  const w = new ByteWriter();
  w.bytes(ri.identity.raw).u64(ri.published).u8(1);
  a.write(w);
  w.u8(2).bytes(peers[0]!).bytes(peers[1]!).bytes(encodeMapping(ri.options));
  const body = w.toBuffer();
  const parsed = RouterInfo.parse(Buffer.concat([body, signer.sign(body)]));
  assert.equal(parsed.verify(), true);
  assert.deepEqual(parsed.peerHashes, peers);
  assert.equal(parsed.addresses[0]!.expiration, 1234);
  assert.deepEqual(parsed.encode(), parsed.raw);
  assert.equal(parsed.ntcp2(), undefined);
});

test('RouterInfo helpers: netId default and garbage, caps missing', () => {
  assert.equal(makeRouterInfo({ options: new Map() }).ri.netId, 2);
  assert.equal(makeRouterInfo({ options: new Map() }).ri.caps, '');
  assert.equal(makeRouterInfo({ options: new Map() }).ri.version, undefined);
  assert.ok(Number.isNaN(makeRouterInfo({ options: new Map([['netId', '9x']]) }).ri.netId));
  assert.ok(Number.isNaN(makeRouterInfo({ options: new Map([['netId', '']]) }).ri.netId));
});

test('RouterAddress host/port parsing', () => {
  const mk = (o: [string, string][]) => new RouterAddress(1, 0, 'NTCP2', new Map(o));
  assert.equal(mk([['port', '0']]).port, undefined);
  assert.equal(mk([['port', '65536']]).port, undefined);
  assert.equal(mk([['port', '-1']]).port, undefined);
  assert.equal(mk([['port', ' 80']]).port, undefined);
  assert.equal(mk([['port', '65535']]).port, 65535);
  assert.equal(mk([['host', '']]).host, undefined);
  assert.equal(mk([['host', '::1']]).host, '::1');
  assert.throws(() => new RouterAddress(256, 0, 'x', new Map()), RangeError);
  const r = new ByteReader(Buffer.from([5, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0x53, 0x53, 0x55, 0, 0]));
  const a = RouterAddress.read(r);
  assert.equal(a.cost, 5);
  assert.equal(a.transportStyle, 'SSU');
  assert.equal(a.options.size, 0);
});

test('ntcp2(): picks a published address and skips malformed ones', () => {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const ntcp2 = (o: [string, string][]) => new RouterAddress(3, 0, 'NTCP2', new Map(o));
  const s = i2pBase64Encode(key);
  const addresses = [
    new RouterAddress(5, 0, 'SSU2', new Map([['s', s], ['v', '2']])),
    ntcp2([['s', i2pBase64Encode(randomBytes(31))], ['v', '2'], ['host', '198.18.0.9'], ['port', '1'], ['i', i2pBase64Encode(iv)]]),
    ntcp2([['s', s], ['v', '1'], ['host', '198.18.0.9'], ['port', '1'], ['i', i2pBase64Encode(iv)]]),
    ntcp2([['s', s], ['v', '2'], ['host', '198.18.0.9'], ['port', '1'], ['i', 'not base64!']]),
    ntcp2([['s', s], ['v', '2']]),
    ntcp2([['s', s], ['v', '2,3'], ['host', '198.18.0.10'], ['port', '4567'], ['i', i2pBase64Encode(iv)]]),
  ];
  const { ri } = makeRouterInfo({ addresses });
  assert.equal(ri.ntcp2Addresses().length, 2);
  const n = ri.ntcp2();
  assert.ok(n);
  assert.equal(n.host, '198.18.0.10');
  assert.equal(n.port, 4567);
  assert.deepEqual(n.staticKey, key);
  assert.deepEqual(n.iv, iv);
  assert.equal(n.version, '2,3');
  // Unpublished only: still gives the static key.
  const unpublished = makeRouterInfo({ addresses: [addresses[4]!] }).ri.ntcp2();
  assert.ok(unpublished);
  assert.equal(unpublished.host, undefined);
  assert.equal(unpublished.iv, undefined);
  assert.deepEqual(unpublished.staticKey, key);
});
