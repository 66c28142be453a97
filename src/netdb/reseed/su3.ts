/**
 * SU3 signed files (spec updates.rst, "SU3 File Specification"): a 40-byte header, a version
 * string, the signer's ID, the content and a signature over everything before it.
 *
 * The parser is hostile-input code: the file comes from a web server or a MITM. Every length in
 * the header is checked against the real file size before anything is sliced, the whole file
 * is bounded (MAX_SU3_BYTES), and the content length must account for the file exactly.
 *
 * Signatures (updates.rst "Signature Details"): "We use raw signatures. Take the hash of the
 * data [...] and pass that to a 'raw' sign or verify function (e.g. 'NONEwithRSA' in Java)."
 * For RSA that is PKCS#1 v1.5 block type 1 padding around the bare hash, WITHOUT the DigestInfo
 * that a normal SHA512withRSA signature carries:  EM = 00 01 FF..FF 00 || H(bytes 0..end of
 * content). We recover EM with the public key and compare it with the exact expected encoding,
 * so a standard (DigestInfo) signature or any other padding is refused. Real reseed servers
 * sign with RSA-4096/SHA-512 (type 6).
 */
import { constants, createHash, privateEncrypt, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { DataFormatError } from '../../util/errors.js';
import { ReseedFailure } from './reseed-failure.js';
import { SigType } from '../../data/certificate.js';

export const SU3_MAGIC = Buffer.from('I2Psu3', 'latin1');
/** Bytes 0-39: fixed header before the version string. */
export const SU3_HEADER_LENGTH = 40;
/** updates.rst: the version field "must be at least 16 (0x10) for compatibility". */
export const SU3_MIN_VERSION_LENGTH = 16;
/**
 * Bound on a whole SU3 file. Real reseed files are ~100 KiB–2 MiB (a zip of ~75–150
 * RouterInfos); 16 MiB leaves room for much larger networks while keeping a hostile server
 * from making us hash or hold arbitrary amounts of data.
 */
export const MAX_SU3_BYTES = 16 * 1024 * 1024;
/** No SU3 signature type has a signature longer than 512 bytes (RSA-4096). */
const MAX_SIGNATURE_LENGTH = 1024;

/**
 * updates.rst bytes 8-9: the codes of common-structures' signing key types (SigType); SU3 files use
 * these, without pure Ed25519 (7) and RedDSA (11).
 */
export const SU3SigType = {
  DSA_SHA1: SigType.DSA_SHA1,
  ECDSA_SHA256_P256: SigType.ECDSA_SHA256_P256,
  ECDSA_SHA384_P384: SigType.ECDSA_SHA384_P384,
  ECDSA_SHA512_P521: SigType.ECDSA_SHA512_P521,
  RSA_SHA256_2048: SigType.RSA_SHA256_2048,
  RSA_SHA384_3072: SigType.RSA_SHA384_3072,
  RSA_SHA512_4096: SigType.RSA_SHA512_4096,
  EdDSA_SHA512_Ed25519ph: SigType.EdDSA_SHA512_Ed25519ph,
} as const;

/** updates.rst byte 25. */
export const SU3FileType = { ZIP: 0, XML: 1, HTML: 2, XML_GZ: 3, TXT_GZ: 4, DMG: 5, EXE: 6 } as const;
/** updates.rst byte 27. */
export const SU3ContentType = { UNKNOWN: 0, ROUTER_UPDATE: 1, PLUGIN: 2, RESEED: 3, NEWS: 4, BLOCKLIST: 5 } as const;

/**
 * Signature lengths of every defined type (common-structures "Signature"); the header's
 * length field "Must match that specified for the Signature type".
 */
const SIGNATURE_LENGTHS: ReadonlyMap<number, number> = new Map([
  [0, 40],
  [1, 64],
  [2, 96],
  [3, 132],
  [4, 256],
  [5, 384],
  [6, 512],
  [8, 64],
]);

interface RsaSigParams {
  name: string;
  hash: 'sha256' | 'sha384' | 'sha512';
  modulusBits: number;
}

/**
 * The types we verify. ECDSA and Ed25519ph are defined but unused by reseed servers (their
 * signer certificates are "selfsigned X.509 certificates with RSA-4096 keys (signature type
 * 6)", updates.rst "SU3 Reseed File Specification"); they are refused as unsupported.
 */
const RSA_SIG_TYPES: ReadonlyMap<number, RsaSigParams> = new Map([
  [SU3SigType.RSA_SHA256_2048, { name: 'RSA_SHA256_2048', hash: 'sha256', modulusBits: 2048 }],
  [SU3SigType.RSA_SHA384_3072, { name: 'RSA_SHA384_3072', hash: 'sha384', modulusBits: 3072 }],
  [SU3SigType.RSA_SHA512_4096, { name: 'RSA_SHA512_4096', hash: 'sha512', modulusBits: 4096 }],
]);

export function isSupportedSU3SigType(sigType: number): boolean {
  return RSA_SIG_TYPES.has(sigType);
}

export interface SU3File {
  sigType: number;
  /** UTF-8 version string with its 0x00 padding removed (reseed: seconds since the epoch). */
  version: string;
  /** e.g. "foo@mail.i2p"; selects the signer certificate. */
  signerId: string;
  fileType: number;
  contentType: number;
  /** View into the parsed buffer. */
  content: Buffer;
  signature: Buffer;
  /** Bytes 0 to the end of the content: what the signature covers. View into the buffer. */
  signed: Buffer;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(b: Buffer, what: string, padded = false): string {
  let s: string;
  try {
    s = utf8.decode(b);
    // The version is "padded with trailing 0x00"; nothing else may contain NULs.
    if (padded) s = s.replace(/\u0000+$/, '');
  } catch {
    throw new DataFormatError(`SU3 ${what} is not valid UTF-8`, 'bad-text');
  }
  // Control characters have no business in a version or an e-mail-like ID, and would end up in logs.
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new DataFormatError(`SU3 ${what} contains control characters`, 'bad-text');
  return s;
}

/** Parses an SU3 file's structure. Throws DataFormatError; does NOT verify the signature. */
export function parseSU3(buf: Buffer): SU3File {
  if (buf.length > MAX_SU3_BYTES) throw new DataFormatError(`SU3 file of ${buf.length} bytes exceeds ${MAX_SU3_BYTES}`, 'oversize');
  const r = new ByteReader(buf);
  if (!r.bytes(6, 'SU3 magic').equals(SU3_MAGIC)) throw new DataFormatError('not an SU3 file (bad magic)', 'bad-magic');
  // Byte 6 is "unused = 0"; i2pd compares bytes 0-6 with the NUL-terminated magic, so do we.
  if (r.u8('SU3 byte 6') !== 0) throw new DataFormatError('not an SU3 file (byte 6 not zero)', 'bad-magic');
  const formatVersion = r.u8('SU3 format version');
  if (formatVersion !== 0) throw new DataFormatError(`unknown SU3 format version ${formatVersion}`, 'bad-version');
  const sigType = r.u16('SU3 signature type');
  const sigLength = r.u16('SU3 signature length');
  const expected = SIGNATURE_LENGTHS.get(sigType);
  if (expected !== undefined && sigLength !== expected) {
    throw new DataFormatError(`SU3 signature length ${sigLength} does not match type ${sigType} (${expected})`, 'bad-length');
  }
  if (sigLength === 0 || sigLength > MAX_SIGNATURE_LENGTH) throw new DataFormatError(`SU3 signature length ${sigLength} out of range`, 'bad-length');
  r.u8('SU3 byte 12');
  const versionLength = r.u8('SU3 version length');
  if (versionLength < SU3_MIN_VERSION_LENGTH) throw new DataFormatError(`SU3 version length ${versionLength} < ${SU3_MIN_VERSION_LENGTH}`, 'bad-length');
  r.u8('SU3 byte 14');
  const signerIdLength = r.u8('SU3 signer ID length');
  if (signerIdLength === 0) throw new DataFormatError('SU3 signer ID is empty', 'bad-length');
  const contentLength = r.u64('SU3 content length');
  r.u8('SU3 byte 24');
  const fileType = r.u8('SU3 file type');
  r.u8('SU3 byte 26');
  const contentType = r.u8('SU3 content type');
  r.bytes(12, 'SU3 bytes 28-39');
  // The content length is the one 64-bit field: check it against what is really there
  // before converting it to a number or slicing anything.
  const available = r.remaining - versionLength - signerIdLength - sigLength;
  if (available < 0 || contentLength > BigInt(available)) {
    throw new DataFormatError(`truncated SU3 file: content length ${contentLength}, ${Math.max(available, 0)} bytes available`, 'truncated');
  }
  if (contentLength < BigInt(available)) throw new DataFormatError(`${available - Number(contentLength)} trailing bytes after SU3 signature`, 'trailing');
  const version = decodeText(r.bytes(versionLength, 'SU3 version'), 'version', true);
  const signerId = decodeText(r.bytes(signerIdLength, 'SU3 signer ID'), 'signer ID');
  const content = r.bytes(available, 'SU3 content');
  const signedEnd = r.offset;
  const signature = r.bytes(sigLength, 'SU3 signature');
  r.expectEnd('SU3 signature');
  return { sigType, version, signerId, fileType, contentType, content, signature, signed: buf.subarray(0, signedEnd) };
}

/** EM = 00 01 FF..FF 00 || H for a k-byte modulus (RFC 8017 §9.2 step 5 minus the DigestInfo). */
function rawPkcs1Type1(hash: Buffer, k: number): Buffer {
  const em = Buffer.alloc(k, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - hash.length - 1] = 0x00;
  hash.copy(em, k - hash.length);
  return em;
}

function rsaParams(sigType: number): RsaSigParams {
  const p = RSA_SIG_TYPES.get(sigType);
  if (!p) throw new ReseedFailure('unsupported-signature-type', `SU3 signature type ${sigType} is not supported (only RSA types 4, 5, 6)`);
  return p;
}

function checkRsaKey(key: KeyObject, p: RsaSigParams): boolean {
  return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === p.modulusBits;
}

/**
 * Verifies an SU3 signature with the signer's public key. Returns false when the signature,
 * the key size or the padding is wrong; throws ReseedFailure only for unsupported types.
 */
export function verifySU3Signature(su3: SU3File, publicKey: KeyObject): boolean {
  const p = rsaParams(su3.sigType);
  if (!checkRsaKey(publicKey, p)) return false;
  const k = p.modulusBits / 8;
  if (su3.signature.length !== k) return false;
  let em: Buffer;
  try {
    // Raw RSA public operation s^e mod n; throws when s >= n.
    em = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, su3.signature);
  } catch {
    return false;
  }
  const expected = rawPkcs1Type1(createHash(p.hash).update(su3.signed).digest(), k);
  return em.length === k && timingSafeEqual(em, expected);
}

/** Where signer keys come from (the TrustStore); throws ReseedFailure for unknown or expired signers. */
export interface SignerKeyring {
  keyFor(signerId: string, now: number): KeyObject;
}

/**
 * Parses a reseed SU3 file and verifies it: zip file type, reseed content type, a signer we
 * trust, and a valid signature. Only then is the content returned. Throws DataFormatError
 * (malformed) or ReseedFailure (refused).
 */
export function openReseedSU3(buf: Buffer, keyring: SignerKeyring, now: number): SU3File {
  const su3 = parseSU3(buf);
  // updates.rst "Notes": "Clients must verify that the content type is that expected for the application."
  if (su3.contentType !== SU3ContentType.RESEED) throw new ReseedFailure('wrong-content-type', `SU3 content type ${su3.contentType} is not reseed (3)`);
  if (su3.fileType !== SU3FileType.ZIP) throw new ReseedFailure('wrong-file-type', `SU3 file type ${su3.fileType} is not zip (0)`);
  rsaParams(su3.sigType);
  const key = keyring.keyFor(su3.signerId, now);
  if (!verifySU3Signature(su3, key)) throw new ReseedFailure('bad-signature', `SU3 signature by ${su3.signerId} does not verify`);
  return su3;
}

export interface SU3Fields {
  sigType: number;
  version: string;
  signerId: string;
  fileType: number;
  contentType: number;
  content: Uint8Array;
}

/**
 * Writes and signs an SU3 file (the reseed-server side, for tests and tools that build reseed
 * files for private networks). Node's PKCS#1 "private encrypt" applies exactly the block
 * type 1 padding around the bare hash that updates.rst asks for.
 */
export function signSU3(fields: SU3Fields, privateKey: KeyObject): Buffer {
  const p = rsaParams(fields.sigType);
  if (!checkRsaKey(privateKey, p)) throw new Error(`signSU3: key is not an RSA-${p.modulusBits} key`);
  let version = Buffer.from(fields.version, 'utf8');
  if (version.length < SU3_MIN_VERSION_LENGTH) version = Buffer.concat([version, Buffer.alloc(SU3_MIN_VERSION_LENGTH - version.length)]);
  const signer = Buffer.from(fields.signerId, 'utf8');
  if (version.length > 255 || signer.length === 0 || signer.length > 255) throw new Error('signSU3: version or signer ID length out of range');
  const w = new ByteWriter()
    .bytes(SU3_MAGIC)
    .u8(0)
    .u8(0)
    .u16(fields.sigType)
    .u16(p.modulusBits / 8)
    .u8(0)
    .u8(version.length)
    .u8(0)
    .u8(signer.length)
    .u64(fields.content.length)
    .u8(0)
    .u8(fields.fileType)
    .u8(0)
    .u8(fields.contentType)
    .bytes(Buffer.alloc(12))
    .bytes(version)
    .bytes(signer)
    .bytes(fields.content);
  const signed = w.toBuffer();
  const sig = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, createHash(p.hash).update(signed).digest());
  return Buffer.concat([signed, sig]);
}
