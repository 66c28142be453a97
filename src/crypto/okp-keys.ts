/**
 * Raw 32-byte X25519 / Ed25519 keys <-> node:crypto KeyObjects, through JWK (RFC 8037 "OKP"
 * keys: `d` is the raw private key / Ed25519 seed, `x` the raw public key, both base64url).
 * Internal to src/crypto: x25519.ts and ed25519.ts build on it.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

export type OkpCurve = 'X25519' | 'Ed25519';

export interface OkpPrivateKey {
  readonly key: KeyObject;
  readonly privateKey: Buffer;
  readonly publicKey: Buffer;
}

function checkRaw32(raw: Uint8Array, what: string): void {
  if (raw.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${raw.length}`);
}

/** base64url of raw bytes without copying them first. */
function b64u(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
}

/**
 * Imports a raw private key whose public half is unknown, and derives that public half.
 *
 * Why this way (measured on Node 20.20, 2-core dev machine, ops/s for import + public key):
 *   - JWK with `d` and a placeholder `x`, then export({format:'jwk'}).x  ~22,000 (X25519) / ~27,000 (Ed25519)
 *   - PKCS#8 DER import, then export jwk                                  ~2,700
 *   - @noble/curves getPublicKey, then JWK import                         ~2,700 (X25519) / ~3,300 (Ed25519)
 * Node builds an OKP private KeyObject from `d` alone (EVP_PKEY_new_raw_private_key, which
 * computes the public key itself); `x` is only checked to be a string. So the public key we
 * read back is the one OpenSSL derived from `d`, never the placeholder. Should a future Node
 * start checking `x`, the import throws and we fall back to deriving `x` with @noble/curves
 * (loaded lazily: it costs ~35 ms to load and is not needed otherwise).
 */
export function importOkpPrivateKey(crv: OkpCurve, raw: Uint8Array): OkpPrivateKey {
  checkRaw32(raw, `${crv} private key`);
  const d = b64u(raw);
  let key: KeyObject | undefined;
  let x: string | undefined;
  try {
    key = createPrivateKey({ key: { kty: 'OKP', crv, d, x: '' }, format: 'jwk' });
    x = key.export({ format: 'jwk' }).x;
  } catch {
    key = undefined;
  }
  if (key === undefined || x === undefined) {
    x = derivePublicKeyNoble(crv, raw).toString('base64url');
    key = createPrivateKey({ key: { kty: 'OKP', crv, d, x }, format: 'jwk' });
  }
  return { key, privateKey: Buffer.from(raw), publicKey: Buffer.from(x, 'base64url') };
}

/**
 * Generates a key pair from 32 random bytes imported through JWK (~24,000/s for X25519, the
 * same as generateKeyPairSync + JWK export).
 *
 * Not generateKeyPairSync: on Node 20.20.2, exporting a freshly generated key as JWK can
 * deadlock the process when garbage collection finalises the key-generation job during the
 * export (gdb: main thread stuck in ~KeyGenJob inside ExportJWKEdKey). A plain loop of
 * generate + export hung within 10,000 keys here; NTCP2 makes one X25519 key per handshake.
 * For X25519 any 32 bytes are a valid private key (clamping happens in the scalar
 * multiplication); for Ed25519 the private key is a 32-byte seed.
 */
export function generateOkpPrivateKey(crv: OkpCurve): OkpPrivateKey {
  return importOkpPrivateKey(crv, randomBytes(32));
}

/** Common shape of X25519KeyPair and Ed25519Signer: raw halves plus the cached private KeyObject. */
export abstract class OkpKeyPair {
  /** Raw 32-byte private key (X25519 scalar as stored, unclamped / Ed25519 seed). */
  readonly privateKey: Buffer;
  /** Raw 32-byte public key. */
  readonly publicKey: Buffer;
  protected readonly key: KeyObject;

  protected constructor(k: OkpPrivateKey) {
    this.key = k.key;
    this.privateKey = k.privateKey;
    this.publicKey = k.publicKey;
  }
}

/** Imports a raw 32-byte public key. Any 32 bytes are accepted by OpenSSL for both curves. */
export function importOkpPublicKey(crv: OkpCurve, raw: Uint8Array): KeyObject {
  checkRaw32(raw, `${crv} public key`);
  return createPublicKey({ key: { kty: 'OKP', crv, x: b64u(raw) }, format: 'jwk' });
}

/** Same as importOkpPublicKey when the caller already holds the base64url form (e.g. as a cache key). */
export function importOkpPublicKeyB64(crv: OkpCurve, x: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
}

type NobleEd25519Module = typeof import('@noble/curves/ed25519.js');
let noble: NobleEd25519Module | undefined;

/** Slow path (see importOkpPrivateKey); exported for the test that keeps it honest. */
export function derivePublicKeyNoble(crv: OkpCurve, raw: Uint8Array): Buffer {
  checkRaw32(raw, `${crv} private key`);
  // @noble/curves v2 is ESM-only; require(esm) is enabled by default since Node 20.19 (our minimum).
  noble ??= createRequire(import.meta.url)('@noble/curves/ed25519.js') as NobleEd25519Module;
  const pub = crv === 'X25519' ? noble.x25519.getPublicKey(raw) : noble.ed25519.getPublicKey(raw);
  return Buffer.from(pub);
}
