import assert from 'node:assert/strict';
import { constants, createHash, privateEncrypt, sign as rsaSign, type KeyObject } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { openReseedData } from '../../../src/netdb/reseed/reseed-source.js';
import {
  MAX_SU3_BYTES,
  SU3ContentType,
  SU3FileType,
  SU3SigType,
  openReseedSU3,
  parseSU3,
  signSU3,
  verifySU3Signature,
} from '../../../src/netdb/reseed/su3.js';
import { TrustStore } from '../../../src/netdb/reseed/trust-store.js';
import { DataFormatError } from '../../../src/util/errors.js';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { SIGNER_ID, certFileName, freshRouterInfos, refused, makeCertsDir, makeSigner, makeSu3, reseedZip, type TestSigner } from './helpers.js';

function malformed(code?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DataFormatError, `expected DataFormatError, got ${String(e)}`);
    if (code) assert.equal(e.code, code);
    return true;
  };
}

const NOW = Date.now();

describe('SU3 reseed files', () => {
  let signer: TestSigner;
  let other: TestSigner;
  let small: TestSigner;
  let store: TrustStore;
  let ris: RouterInfo[];
  let zip: Buffer;
  let su3: Buffer;

  before(async () => {
    [signer, other, small] = await Promise.all([makeSigner(SIGNER_ID), makeSigner('other@mail.i2p'), makeSigner('small@mail.i2p', 2048)]);
    store = await TrustStore.load(
      makeCertsDir([
        { name: certFileName(SIGNER_ID), pem: signer.certPem },
        { name: certFileName(small.signerId), pem: small.certPem },
      ]),
    );
    ris = freshRouterInfos(5);
    zip = await reseedZip(ris);
    su3 = makeSu3(zip, signer.privateKey);
  });

  it('verifies a valid RSA-4096 SU3 and yields its RouterInfos', async () => {
    const parsed = parseSU3(su3);
    assert.equal(parsed.sigType, SU3SigType.RSA_SHA512_4096);
    assert.equal(parsed.signerId, SIGNER_ID);
    assert.equal(parsed.signature.length, 512);
    assert.ok(parsed.content.equals(zip));
    assert.equal(parsed.signed.length + 512, su3.length);
    const data = await openReseedData(su3, 'su3', store, NOW, 'test');
    assert.equal(data.signer, SIGNER_ID);
    assert.deepEqual(data.routerInfos.map((r) => r.hash.toString('hex')).sort(), ris.map((r) => r.hash.toString('hex')).sort());
  });

  it('signs exactly as updates.rst says: raw PKCS#1 v1.5 type 1 over the bare SHA-512 hash (no DigestInfo)', () => {
    const parsed = parseSU3(su3);
    // Built by hand from the spec: EM = 00 01 FF..FF 00 || SHA-512(bytes 0..end of content).
    const h = createHash('sha512').update(parsed.signed).digest();
    const em = Buffer.alloc(512, 0xff);
    em[0] = 0;
    em[1] = 1;
    em[512 - 65] = 0;
    h.copy(em, 512 - 64);
    const manual = privateEncrypt({ key: signer.privateKey, padding: constants.RSA_NO_PADDING }, em);
    assert.ok(manual.equals(parsed.signature), 'PKCS#1 v1.5 is deterministic: signSU3 must produce the hand-built signature');
  });

  it('refuses a standard SHA512withRSA (DigestInfo) signature', () => {
    const parsed = parseSU3(su3);
    const std = rsaSign('sha512', parsed.signed, signer.privateKey);
    const forged = Buffer.concat([parsed.signed, std]);
    assert.throws(() => openReseedSU3(forged, store, NOW), refused('bad-signature'));
  });

  it('verifies RSA-2048/SHA-256 (type 4) and refuses a key of the wrong size for the type', () => {
    const f = makeSu3(zip, small.privateKey, { sigType: SU3SigType.RSA_SHA256_2048, signerId: small.signerId });
    assert.equal(openReseedSU3(f, store, NOW).signerId, small.signerId);
    // The same file checked against a 4096-bit key: wrong size for type 4, refused without throwing.
    assert.equal(verifySU3Signature(parseSU3(f), store.keyFor(SIGNER_ID, NOW)), false);
  });

  it('refuses any changed byte of the signed part: header, version, content', () => {
    // Unused header bytes 12, 14, 24, 26, 28-39 (signed though unused), version digits, content.
    for (const off of [12, 14, 24, 26, 28, 39, 40, 45, su3.length - 600, su3.length - 513]) {
      const t = Buffer.from(su3);
      t[off]! ^= 0x01;
      assert.throws(() => openReseedSU3(t, store, NOW), refused('bad-signature'), `byte ${off}`);
    }
  });

  it('refuses a tampered content byte and returns nothing from the file', async () => {
    const parsed = parseSU3(su3);
    const t = Buffer.from(su3);
    t[parsed.signed.length - 10]! ^= 0x80;
    await assert.rejects(openReseedData(t, 'su3', store, NOW, 'test'), refused('bad-signature'));
  });

  it('refuses a changed signature byte', () => {
    for (const off of [su3.length - 512, su3.length - 256, su3.length - 1]) {
      const t = Buffer.from(su3);
      t[off]! ^= 0x01;
      assert.throws(() => openReseedSU3(t, store, NOW), refused('bad-signature'));
    }
  });

  it('refuses a signer that is not in the trust store', () => {
    const f = makeSu3(zip, other.privateKey, { signerId: other.signerId });
    assert.throws(() => openReseedSU3(f, store, NOW), refused('unknown-signer'));
  });

  it('refuses a file signed by another key under a trusted signer ID', () => {
    const f = makeSu3(zip, other.privateKey, { signerId: SIGNER_ID });
    assert.throws(() => openReseedSU3(f, store, NOW), refused('bad-signature'));
  });

  it('refuses a signer whose certificate has expired', () => {
    const validTo = store.signer(SIGNER_ID)!.validTo;
    assert.equal(openReseedSU3(su3, store, validTo).signerId, SIGNER_ID);
    assert.throws(() => openReseedSU3(su3, store, validTo + 1), refused('signer-expired'));
  });

  it('refuses wrong content and file types even when validly signed', () => {
    assert.throws(() => openReseedSU3(makeSu3(zip, signer.privateKey, { contentType: SU3ContentType.ROUTER_UPDATE }), store, NOW), refused('wrong-content-type'));
    assert.throws(() => openReseedSU3(makeSu3(zip, signer.privateKey, { fileType: SU3FileType.XML }), store, NOW), refused('wrong-file-type'));
  });

  it('refuses unsupported signature types', () => {
    const parsed = parseSU3(su3);
    // Ed25519ph (type 8): well-formed header with a 64-byte signature.
    const t = Buffer.concat([parsed.signed, Buffer.alloc(64, 7)]);
    t.writeUInt16BE(8, 8);
    t.writeUInt16BE(64, 10);
    assert.equal(parseSU3(t).sigType, 8);
    assert.throws(() => openReseedSU3(t, store, NOW), refused('unsupported-signature-type'));
    // An undefined type with a plausible length parses, then is refused.
    const u = Buffer.from(t);
    u.writeUInt16BE(0x1234, 8);
    assert.throws(() => openReseedSU3(u, store, NOW), refused('unsupported-signature-type'));
  });

  it('refuses a stale SU3 (replayed old file) and a file of mostly stale RouterInfos', async () => {
    const old = makeSu3(zip, signer.privateKey, { version: String(Math.floor((NOW - 31 * 86_400_000) / 1000)) });
    await assert.rejects(openReseedData(old, 'su3', store, NOW, 'test'), refused('stale'));
    const oldRis = [...freshRouterInfos(3, NOW - 12 * 86_400_000), ...freshRouterInfos(2)];
    const staleZip = makeSu3(await reseedZip(oldRis), signer.privateKey);
    await assert.rejects(openReseedData(staleZip, 'su3', store, NOW, 'test'), refused('stale'));
    // A minority of stale ones is dropped and counted.
    const someStale = makeSu3(await reseedZip([...freshRouterInfos(1, NOW - 12 * 86_400_000), ...freshRouterInfos(3)]), signer.privateKey);
    const data = await openReseedData(someStale, 'su3', store, NOW, 'test');
    assert.equal(data.routerInfos.length, 3);
    assert.equal(data.rejected.stale, 1);
  });

  it('throws DataFormatError when truncated at any offset', () => {
    for (let len = 0; len < su3.length; len++) {
      assert.throws(() => parseSU3(su3.subarray(0, len)), malformed(), `length ${len}`);
    }
  });

  it('refuses bad magic, format version, and byte 6', () => {
    for (const [off, v, code] of [
      [0, 0x4a, 'bad-magic'],
      [5, 0x34, 'bad-magic'],
      [6, 1, 'bad-magic'],
      [7, 1, 'bad-version'],
    ] as const) {
      const t = Buffer.from(su3);
      t[off] = v;
      assert.throws(() => parseSU3(t), malformed(code));
    }
  });

  it('refuses oversized or inconsistent lengths', () => {
    const set = (f: (b: Buffer) => void): Buffer => {
      const t = Buffer.from(su3);
      f(t);
      return t;
    };
    // Content length beyond the file, up to 2^64-1.
    for (const cl of [BigInt(zip.length + 1), 1n << 32n, 1n << 63n, (1n << 64n) - 1n]) {
      assert.throws(() => parseSU3(set((t) => t.writeBigUInt64BE(cl, 16))), malformed('truncated'));
    }
    // Content length shorter than the file: trailing bytes.
    assert.throws(() => parseSU3(set((t) => t.writeBigUInt64BE(BigInt(zip.length - 1), 16))), malformed('trailing'));
    assert.throws(() => parseSU3(Buffer.concat([su3, Buffer.of(0)])), malformed('trailing'));
    // Signature length not matching the type, zero, huge.
    for (const sl of [0, 256, 511, 513, 0xffff]) assert.throws(() => parseSU3(set((t) => t.writeUInt16BE(sl, 10))), malformed('bad-length'));
    // Version length below the spec minimum; signer ID length zero.
    assert.throws(() => parseSU3(set((t) => (t[13] = 15))), malformed('bad-length'));
    assert.throws(() => parseSU3(set((t) => (t[15] = 0))), malformed('bad-length'));
    // Version and signer lengths that eat into the content (maximum 255 each).
    assert.throws(() => parseSU3(set((t) => (t[13] = 255))), malformed('truncated'));
    assert.throws(() => parseSU3(set((t) => (t[15] = 255))), malformed('truncated'));
    // The whole file over the bound.
    assert.throws(() => parseSU3(Buffer.alloc(MAX_SU3_BYTES + 1)), malformed('oversize'));
  });

  it('refuses control characters and invalid UTF-8 in the signer ID', () => {
    const parsed = parseSU3(su3);
    const idOffset = 40 + 16; // the version is 10 digits padded to 16
    assert.equal(su3.subarray(idOffset, idOffset + parsed.signerId.length).toString(), SIGNER_ID);
    const ctl = Buffer.from(su3);
    ctl[idOffset + 2] = 0x00;
    assert.throws(() => parseSU3(ctl), malformed('bad-text'));
    const bad = Buffer.from(su3);
    bad[idOffset + 2] = 0xff;
    assert.throws(() => parseSU3(bad), malformed('bad-text'));
  });

  it('never throws anything but DataFormatError on garbage', () => {
    for (let i = 0; i < 200; i++) {
      const g = Buffer.from(su3.subarray(0, 40 + (i % 100)));
      for (let j = 0; j < 8; j++) g[(i * 31 + j * 7) % g.length] = (i * 13 + j) & 0xff;
      try {
        parseSU3(g);
      } catch (e) {
        assert.ok(e instanceof DataFormatError, String(e));
      }
    }
  });

  it('signSU3 refuses a key that does not fit the signature type', () => {
    const fields = { sigType: SU3SigType.RSA_SHA512_4096, version: '1', signerId: 'x@y', fileType: 0, contentType: 3, content: zip };
    assert.throws(() => signSU3(fields, small.privateKey as KeyObject), /RSA-4096/);
  });
});
