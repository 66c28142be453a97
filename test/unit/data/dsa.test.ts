// DSA_SHA1 (sig type 0) verification: keys from the openssl CLI in I2P's group, signatures
// from node:crypto, from `openssl dgst` and from a BigInt transcription of FIPS 186 signing;
// hostile keys and signatures; LeaseSets (1) of DSA Destinations through NetDbStore.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, sha256 } from '../../../src/crypto/index.js';
import { CryptoType, KeyCertificate, SigType } from '../../../src/data/certificate.js';
import { Destination } from '../../../src/data/destination.js';
import { buildKeysAndCert } from '../../../src/data/keys-and-cert.js';
import { LeaseSet } from '../../../src/data/lease-set.js';
import { dsaPublicKeyCacheSize, isVerifiableSigType, verifySignature } from '../../../src/data/verify-signature.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { T0, lease } from '../netdb/make-lease-sets.js';

// cryptography.rst "DSA", as printed there (a second, independent copy of the constants).
const hexBig = (s: string): bigint => BigInt('0x' + s.replace(/\s+/g, ''));
const P = hexBig(`9C05B2AA 960D9B97 B8931963 C9CC9E8C 3026E9B8 ED92FAD0
    A69CC886 D5BF8015 FCADAE31 A0AD18FA B3F01B00 A358DE23
    7655C496 4AFAA2B3 37E96AD3 16B9FB1C C564B5AE C5B69A9F
    F6C3E454 8707FEF8 503D91DD 8602E867 E6D35D22 35C1869C
    E2479C3B 9D5401DE 04E0727F B33D6511 285D4CF2 9538D9E3
    B6051F5B 22CC1C93`);
const Q = hexBig('A5DFC28F EF4CA1E2 86744CD8 EED9D29D 684046B7');
const G = hexBig(`0C1F4D27 D40093B4 29E962D7 223824E0 BBC47E7C 832A3923
    6FC683AF 84889581 075FF908 2ED32353 D4374D73 01CDA1D2
    3C431F46 98599DDA 02451824 FF369752 593647CC 3DDC197D
    E985E43D 136CDCFC 6BD5409C D2F45082 1142A5E6 F8EB1C3A
    B5D0484B 8129FCF1 7BCE4F7F 33321C3C B3DBB14A 905E7B2B
    3E93BE47 08CBCC82`);

const DSA = SigType.DSA_SHA1;
const MIN = 60_000;

// ---- BigInt arithmetic and a minimal DER codec, independent of the code under test ----------

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}

function modInv(a: bigint, m: bigint): bigint {
  return modPow(a, m - 2n, m); // q is prime
}

function toBytes(n: bigint, len: number): Buffer {
  return Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex');
}

const toBig = (b: Uint8Array): bigint => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));

function derInt(n: bigint): Buffer {
  let h = n.toString(16);
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = '00' + h;
  const v = Buffer.from(h, 'hex');
  return derTlv(0x02, v);
}

function derTlv(tag: number, v: Buffer): Buffer {
  const len = v.length < 0x80 ? Buffer.of(v.length) : v.length < 0x100 ? Buffer.of(0x81, v.length) : Buffer.of(0x82, v.length >> 8, v.length & 0xff);
  return Buffer.concat([Buffer.of(tag), len, v]);
}

/** The INTEGERs of a DER SEQUENCE of INTEGERs (Dss-Parms, DSA private keys, Dss-Sig-Value). */
function derIntegers(der: Buffer): bigint[] {
  const read = (at: number): { tag: number; start: number; end: number } => {
    let len = der[at + 1]!;
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | der[start + i]!;
      start += n;
    }
    return { tag: der[at]!, start, end: start + len };
  };
  const seq = read(0);
  assert.equal(seq.tag, 0x30);
  assert.equal(seq.end, der.length);
  const out: bigint[] = [];
  for (let at = seq.start; at < seq.end; ) {
    const t = read(at);
    assert.equal(t.tag, 0x02);
    out.push(toBig(der.subarray(t.start, t.end)));
    at = t.end;
  }
  return out;
}

/** FIPS 186 DSA signing over SHA-1, as r||s (20 bytes each). */
function bigIntSign(x: bigint, k: bigint, message: Uint8Array): Buffer {
  const h = toBig(createHash('sha1').update(message).digest());
  const r = modPow(G, k, P) % Q;
  const s = (modInv(k, Q) * (h + x * r)) % Q;
  assert.ok(r !== 0n && s !== 0n);
  return Buffer.concat([toBytes(r, 20), toBytes(s, 20)]);
}

const flip = (b: Buffer, at: number, bit = 0x01): Buffer => {
  const c = Buffer.from(b);
  c[at]! ^= bit;
  return c;
};

// ---- A key pair made by the openssl CLI in I2P's group --------------------------------------

let dir: string;
let keyPem: string;
let privateKey: KeyObject;
let y: Buffer;
let x: bigint;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gg-dsa-'));
  const params = Buffer.concat([derInt(P), derInt(Q), derInt(G)]);
  const pem = `-----BEGIN DSA PARAMETERS-----\n${derTlv(0x30, params).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END DSA PARAMETERS-----\n`;
  writeFileSync(join(dir, 'params.pem'), pem);
  keyPem = join(dir, 'key.pem');
  execFileSync('openssl', ['gendsa', '-out', keyPem, join(dir, 'params.pem')], { stdio: 'pipe' });
  // Traditional DSAPrivateKey: SEQUENCE { version, p, q, g, y, x }.
  const der = execFileSync('openssl', ['dsa', '-in', keyPem, '-outform', 'DER'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [version, p, q, g, yBig, xBig] = derIntegers(der);
  assert.deepEqual([version, p, q, g], [0n, P, Q, G], 'openssl made the key in I2P group');
  y = toBytes(yBig!, 128);
  x = xBig!;
  privateKey = createPrivateKey(readFileSync(keyPem));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const p1363Sign = (m: Uint8Array): Buffer => nodeSign('sha1', m, { key: privateKey, dsaEncoding: 'ieee-p1363' });

test('DSA_SHA1: the I2P group constants hold together (q | p-1, g of order q)', () => {
  assert.equal(P.toString(2).length, 1024);
  assert.equal(Q.toString(2).length, 160);
  assert.equal((P - 1n) % Q, 0n);
  assert.equal(modPow(G, Q, P), 1n);
  assert.ok(isVerifiableSigType(DSA));
});

test('DSA_SHA1: node:crypto signatures by an openssl gendsa key verify; any flipped bit does not', () => {
  for (let i = 0; i < 20; i++) {
    const m = randomBytes(1 + i * 37);
    const sig = p1363Sign(m);
    assert.equal(sig.length, 40);
    assert.equal(verifySignature(DSA, y, m, sig), true);
    assert.equal(verifySignature(DSA, y, flip(m, i % m.length), sig), false);
    assert.equal(verifySignature(DSA, y, m, flip(sig, i % 40, 1 << i % 8)), false);
    assert.equal(verifySignature(DSA, flip(y, 127 - i), m, sig), false);
  }
  // The empty message too.
  assert.equal(verifySignature(DSA, y, Buffer.alloc(0), p1363Sign(Buffer.alloc(0))), true);
});

test('DSA_SHA1: an `openssl dgst -sha1 -sign` signature (DER, converted to r||s) verifies', () => {
  for (let i = 0; i < 4; i++) {
    const m = randomBytes(100 + i);
    const msgPath = join(dir, `m${i}`);
    writeFileSync(msgPath, m);
    const der = execFileSync('openssl', ['dgst', '-sha1', '-sign', keyPem, msgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [r, s] = derIntegers(der);
    const sig = Buffer.concat([toBytes(r!, 20), toBytes(s!, 20)]);
    assert.equal(verifySignature(DSA, y, m, sig), true);
    assert.equal(verifySignature(DSA, y, flip(m, 0), sig), false);
    // r||s swapped is no signature.
    assert.equal(verifySignature(DSA, y, m, Buffer.concat([sig.subarray(20), sig.subarray(0, 20)])), false);
  }
});

test('DSA_SHA1: known answer from a BigInt FIPS 186 signer, itself checked against OpenSSL', () => {
  // The BigInt signer with the openssl key: OpenSSL (node's own import of key.pem) accepts it.
  const m = Buffer.from('GarlicGate DSA cross-check');
  const sig = bigIntSign(x, 0x1234567890abcdef1234567890abcdefn, m);
  assert.equal(nodeVerify('sha1', m, { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' }, sig), true);
  assert.equal(verifySignature(DSA, y, m, sig), true);

  // A fixed vector: x, k and message chosen here, y/r/s computed from the spec's group.
  const fx = 0x0123456789abcdef0123456789abcdef01234567n;
  const fy = toBytes(modPow(G, fx, P), 128);
  const msg = Buffer.from('I2P DSA_SHA1 known answer');
  const fixed = bigIntSign(fx, 0x76543210fedcba9876543210fedcba9876543210n, msg);
  assert.equal(verifySignature(DSA, fy, msg, fixed), true);
  assert.equal(verifySignature(DSA, fy, Buffer.from('I2P DSA_SHA1 known answeR'), fixed), false);
});

test('DSA_SHA1: hostile keys and signatures return false and never throw', () => {
  const m = randomBytes(64);
  const sig = p1363Sign(m);
  // Wrong lengths.
  assert.equal(verifySignature(DSA, y.subarray(1), m, sig), false);
  assert.equal(verifySignature(DSA, Buffer.concat([Buffer.of(0), y]), m, sig), false);
  assert.equal(verifySignature(DSA, y, m, sig.subarray(1)), false);
  assert.equal(verifySignature(DSA, y, m, Buffer.concat([sig, Buffer.of(0)])), false);
  assert.equal(verifySignature(DSA, y, m, Buffer.alloc(0)), false);
  // Keys outside 2..p-1.
  for (const bad of [0n, 1n, P, P + 1n, (1n << 1024n) - 1n]) {
    assert.equal(verifySignature(DSA, toBytes(bad, 128), m, sig), false, `y = ${bad.toString(16).slice(0, 8)}`);
  }
  // r or s outside 1..q-1.
  const r = sig.subarray(0, 20);
  const s = sig.subarray(20);
  const z = Buffer.alloc(20);
  const q = toBytes(Q, 20);
  const ff = Buffer.alloc(20, 0xff);
  for (const [rr, ss] of [[z, s], [r, z], [z, z], [q, s], [r, q], [ff, s], [r, ff]] as const) {
    assert.equal(verifySignature(DSA, y, m, Buffer.concat([rr, ss])), false);
  }
  // With y = 1 anyone can make a "signature" that satisfies the DSA equation (v = g^(H/s) = r
  // when s = H/k): the key check refuses it.
  const k = 0xdeadbeefn;
  const h = toBig(createHash('sha1').update(m).digest());
  const forged = Buffer.concat([toBytes(modPow(G, k, P) % Q, 20), toBytes((h * modInv(k, Q)) % Q, 20)]);
  assert.equal(verifySignature(DSA, toBytes(1n, 128), m, forged), false);
  // y + p is the same key mod p (OpenSSL would accept its signatures) but another
  // Destination hash: refused, so one key has one encoding.
  let ax = 0x0123456789abcdef0123456789abcdef01234567n;
  while (modPow(G, ax, P) + P >= 1n << 1024n) ax++;
  const ay = modPow(G, ax, P);
  const aliased = bigIntSign(ax, 0x42424242n, m);
  assert.equal(verifySignature(DSA, toBytes(ay, 128), m, aliased), true);
  assert.equal(verifySignature(DSA, toBytes(ay + P, 128), m, aliased), false);
  // Garbage: random keys (most above p, some below) and random signatures.
  for (let i = 0; i < 300; i++) {
    const key = randomBytes(128);
    if (i % 2) key[0] = key[0]! % 0x9c;
    assert.equal(verifySignature(DSA, key, m, randomBytes(40)), false);
  }
  // A 40-byte signature and 128-byte key under another sig type, and vice versa.
  assert.equal(verifySignature(SigType.EdDSA_SHA512_Ed25519, y, m, sig), false);
  assert.equal(verifySignature(DSA, randomBytes(32), m, randomBytes(64)), false);
});

test('DSA_SHA1: the KeyObject cache stays bounded', () => {
  for (let i = 0; i < 1100; i++) {
    const key = randomBytes(128);
    key[0] = key[0]! % 0x9c; // below p: imported and cached
    verifySignature(DSA, key, Buffer.of(i), randomBytes(40));
  }
  assert.ok(dsaPublicKeyCacheSize() <= 1024, `${dsaPublicKeyCacheSize()}`);
  assert.ok(dsaPublicKeyCacheSize() >= 1000);
  // The real key still verifies after being evicted.
  const m = randomBytes(10);
  assert.equal(verifySignature(DSA, y, m, p1363Sign(m)), true);
});

// ---- LeaseSets (1) of DSA Destinations ------------------------------------------------------

function dsaDestination(keyCert: boolean): Destination {
  // Without a certificate the 384 key bytes are ElGamal (256, unused in a Destination) + DSA y;
  // a KEY certificate (0, 0) is "allowed but discouraged" (common-structures Key Certificates).
  if (keyCert) return Destination.parse(buildKeysAndCert(randomBytes(256), y, KeyCertificate.create(DSA, CryptoType.ElGamal)));
  return Destination.parse(Buffer.concat([randomBytes(256), y, Buffer.of(0, 0, 0)]));
}

function dsaLeaseSet(destination: Destination, sign = p1363Sign, ends = [T0 + 9 * MIN, T0 + 10 * MIN]): LeaseSet {
  return LeaseSet.create({ destination, signer: { sign }, encryptionKey: randomBytes(256), signingKey: randomBytes(128), leases: ends.map(lease) });
}

test('DSA_SHA1: a LeaseSet (1) of a DSA Destination verifies and is stored by NetDbStore', () => {
  for (const keyCert of [false, true]) {
    const dest = dsaDestination(keyCert);
    assert.equal(dest.sigType, DSA);
    assert.equal(dest.raw.length, keyCert ? 391 : 387);
    const ls = dsaLeaseSet(dest);
    assert.equal(ls.signature.length, 40);
    assert.equal(ls.raw.length, dest.raw.length + 256 + 128 + 1 + 2 * 44 + 40);
    assert.equal(LeaseSet.parse(ls.raw).verify(), true);

    const store = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), now: () => T0 });
    let stored = 0;
    store.on('leaseSet', () => stored++);
    assert.equal(store.addLeaseSet(1, sha256(dest.raw), ls.raw), true);
    assert.equal(stored, 1);
    assert.equal(store.counts.leaseSets, 1);
    // A later LeaseSet of the same Destination replaces it.
    const next = dsaLeaseSet(dest, p1363Sign, [T0 + 10 * MIN, T0 + 11 * MIN]);
    assert.equal(store.addLeaseSet(1, dest.hash, next.raw), true);
    assert.equal(store.counts.leaseSets, 1);
    assert.equal(store.rejected['unsupported-sigtype'], 0);
  }
});

test('DSA_SHA1: forged or altered LeaseSets (1) of a DSA Destination are refused as bad-signature', () => {
  const dest = dsaDestination(false);
  const store = new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), now: () => T0 });
  // Signed by another DSA key (the fixed one of the known-answer test).
  const other = (m: Uint8Array): Buffer => bigIntSign(0x0123456789abcdef0123456789abcdef01234567n, 0x1111111111111111111111n, m);
  assert.equal(store.addLeaseSet(1, dest.hash, dsaLeaseSet(dest, other).raw), 'bad-signature');
  // A Lease's tunnel id changed after signing.
  const ls = dsaLeaseSet(dest);
  const tunnelIdAt = dest.raw.length + 256 + 128 + 1 + 32;
  assert.equal(store.addLeaseSet(1, dest.hash, flip(ls.raw, tunnelIdAt)), 'bad-signature');
  // A signature made over SHA-256 instead of SHA-1.
  const sha256Signed = dsaLeaseSet(dest, (m) => nodeSign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  assert.equal(store.addLeaseSet(1, dest.hash, sha256Signed.raw), 'bad-signature');
  assert.equal(store.rejected['bad-signature'], 3);
  assert.equal(store.counts.leaseSets, 0);
  // The genuine one is still welcome.
  assert.equal(store.addLeaseSet(1, dest.hash, ls.raw), true);
});
