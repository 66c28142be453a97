import { sha256 } from '../crypto/index.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { CryptoType, signatureLength, signingPublicKeyLength } from './certificate.js';
import { Destination } from './destination.js';
import { MAX_LEASES, MAX_LEASE_SET_SIZE, type Lease } from './lease-set.js';
import { encodeMapping, readMapping, type Mapping } from './mapping.js';
import { isVerifiableSigType, verifySignature } from './verify-signature.js';

/**
 * The LeaseSet2 family (proposal 123, common-structures "LeaseSet2Header", "LeaseSet2",
 * "MetaLeaseSet", "EncryptedLeaseSet", "OfflineSignature"). A floodfill must be able to check
 * every variant it stores, so each class parses the full outer structure and verifies its
 * signature, including offline (transient-key) signatures. EncryptedLeaseSet contents are not
 * decrypted here: a floodfill never can (it lacks the Destination).
 *
 * All of them are signed over the DatabaseStore type byte followed by the bytes before the
 * signature ("The signature is over the data above, PREPENDED with the single byte containing
 * the DatabaseStore type").
 */

/** DatabaseStore types of this family (i2np.rst DatabaseStore "type"). */
export const LeaseSet2StoreType = { LeaseSet2: 3, EncryptedLeaseSet: 5, MetaLeaseSet: 7 } as const;

/** LeaseSet2Header / EncryptedLeaseSet flag bits. */
export const LeaseSet2Flags = {
  /** An OfflineSignature follows the header. */
  OFFLINE_KEYS: 1 << 0,
  /** Not to be flooded, published or served to lookups. */
  UNPUBLISHED: 1 << 1,
  /** (LeaseSet2Header only) will be blinded and encrypted when published. */
  BLINDED: 1 << 2,
} as const;

/** Lease2: as Lease, with the end date as 4-byte seconds (converted to ms here). */
export type Lease2 = Lease;
export const LEASE2_SIZE = 40;
/** MetaLease: gateway-or-LeaseSet hash, 3 flag bytes, cost, 4-byte end date. */
export const META_LEASE_SIZE = 40;

/** Known public key lengths; other types are carried with their stated length unchecked. */
const KNOWN_ENCRYPTION_KEY_LENGTHS: ReadonlyMap<number, number> = new Map([
  [CryptoType.ElGamal, 256],
  [CryptoType.ECIES_X25519, 32],
]);

export interface OfflineSignature {
  /** When the transient key stops being valid, ms since the epoch (4-byte seconds on the wire). */
  expires: number;
  transientSigType: number;
  transientPublicKey: Buffer;
  /** By the long-term (Destination or blinded) key over expires || sigtype || transient key. */
  signature: Buffer;
}

export interface LeaseSet2Header {
  destination: Destination;
  /** ms since the epoch (4-byte seconds on the wire). */
  published: number;
  /** ms since the epoch (a 2-byte offset in seconds from `published` on the wire). */
  expires: number;
  flags: number;
  offline?: OfflineSignature;
}

export interface MetaLease {
  /** A tunnel gateway's router hash, or the hash of another (Meta)LeaseSet. */
  hash: Buffer;
  /** 3 bytes; bits 3-0 give the entry type (1 LeaseSet, 3 LeaseSet2, 5 MetaLeaseSet). */
  flags: number;
  /** 0-255, lower is preferred. */
  cost: number;
  endDate: number;
}

export interface EncryptionKey {
  type: number;
  key: Buffer;
}

type Signer = { sign(m: Uint8Array): Buffer };

// ---------------------------------------------------------------------------------------------
// Shared pieces: seconds timestamps, offline signatures, signature verification.

function readSeconds(r: ByteReader, what: string): number {
  return r.u32(what) * 1000;
}

function toSeconds(ms: number, what: string): number {
  const s = Math.floor(ms / 1000);
  if (!Number.isSafeInteger(ms) || s < 0 || s > 0xffffffff) throw new RangeError(`${what} out of range`);
  return s;
}

/** published (4-byte s) || expires (2-byte s offset) || flags, as in the LS2 header and EncLS2. */
function readTimes(r: ByteReader): { published: number; expires: number; flags: number } {
  const published = readSeconds(r, 'published');
  const expires = published + r.u16('expires') * 1000;
  const flags = r.u16('flags');
  return { published, expires, flags };
}

function writeTimes(w: ByteWriter, published: number, expires: number, flags: number): void {
  const p = toSeconds(published, 'published');
  const offset = toSeconds(expires, 'expires') - p;
  if (offset < 0 || offset > 0xffff) throw new RangeError('expires must be 0..65535 s after published');
  w.u32(p).u16(offset).u16(flags);
}

/** Reads an OfflineSignature whose signature was made by a key of `signerSigType`. */
export function readOfflineSignature(r: ByteReader, signerSigType: number): OfflineSignature {
  const expires = readSeconds(r, 'OfflineSignature expires');
  const transientSigType = r.u16('OfflineSignature sigtype');
  const keyLen = signingPublicKeyLength(transientSigType);
  if (keyLen === undefined) throw new DataFormatError(`unknown transient signing key type ${transientSigType}`, 'sigtype');
  const transientPublicKey = r.bytes(keyLen, 'OfflineSignature transient key');
  const signature = r.bytes(signatureLength(signerSigType)!, 'OfflineSignature signature');
  return { expires, transientSigType, transientPublicKey, signature };
}

/** The bytes an OfflineSignature signs: expires (4-byte s) || sigtype (2) || transient key. */
function offlineSignedBytes(expires: number, transientSigType: number, transientPublicKey: Buffer): Buffer {
  return new ByteWriter().u32(toSeconds(expires, 'offline expires')).u16(transientSigType).bytes(transientPublicKey).toBuffer();
}

/** Makes the OfflineSignature block, signed by the long-term key (done offline in practice). */
export function createOfflineSignature(p: { signer: Signer; expires: number; transientSigType: number; transientPublicKey: Buffer }): OfflineSignature {
  if (p.transientPublicKey.length !== signingPublicKeyLength(p.transientSigType)) throw new RangeError('transient key length does not match its type');
  const expires = toSeconds(p.expires, 'offline expires') * 1000;
  return {
    expires,
    transientSigType: p.transientSigType,
    transientPublicKey: p.transientPublicKey,
    signature: p.signer.sign(offlineSignedBytes(expires, p.transientSigType, p.transientPublicKey)),
  };
}

function writeOfflineSignature(w: ByteWriter, o: OfflineSignature): void {
  w.bytes(offlineSignedBytes(o.expires, o.transientSigType, o.transientPublicKey)).bytes(o.signature);
}

/**
 * What signs a LeaseSet2-family structure: the long-term key (Destination or blinded key),
 * and, with offline keys, the transient key it certified.
 */
interface SigningChain {
  sigType: number;
  publicKey: Buffer;
  offline?: OfflineSignature;
}

function chainSupported(c: SigningChain): boolean {
  return isVerifiableSigType(c.sigType) && (!c.offline || isVerifiableSigType(c.offline.transientSigType));
}

function verifyChain(c: SigningChain, storeType: number, raw: Buffer, signature: Buffer): boolean {
  const signed = Buffer.concat([Buffer.of(storeType), raw.subarray(0, raw.length - signature.length)]);
  if (!c.offline) return verifySignature(c.sigType, c.publicKey, signed, signature);
  const o = c.offline;
  return (
    verifySignature(c.sigType, c.publicKey, offlineSignedBytes(o.expires, o.transientSigType, o.transientPublicKey), o.signature) &&
    verifySignature(o.transientSigType, o.transientPublicKey, signed, signature)
  );
}

/** Signs body as `storeType || body` and returns body || signature. */
function signBody(storeType: number, body: Buffer, signer: Signer): Buffer {
  return Buffer.concat([body, signer.sign(Buffer.concat([Buffer.of(storeType), body]))]);
}

function checkSize(buf: Buffer, what: string): Buffer {
  if (buf.length > MAX_LEASE_SET_SIZE) throw new DataFormatError(`${what} of ${buf.length} bytes`, 'oversize');
  return Buffer.from(buf);
}

// ---------------------------------------------------------------------------------------------
// LeaseSet2Header

export function readLeaseSet2Header(r: ByteReader): LeaseSet2Header {
  const destination = Destination.read(r);
  const t = readTimes(r);
  const h: LeaseSet2Header = { destination, ...t };
  if (t.flags & LeaseSet2Flags.OFFLINE_KEYS) h.offline = readOfflineSignature(r, destination.sigType);
  return h;
}

export function writeLeaseSet2Header(w: ByteWriter, h: LeaseSet2Header): void {
  if (!!(h.flags & LeaseSet2Flags.OFFLINE_KEYS) !== !!h.offline) throw new RangeError('offline-keys flag and offline signature disagree');
  w.bytes(h.destination.raw);
  writeTimes(w, h.published, h.expires, h.flags);
  if (h.offline) writeOfflineSignature(w, h.offline);
}

/** Header-level behaviour shared by LeaseSet2 and MetaLeaseSet. */
abstract class HeaderedLeaseSet {
  abstract readonly storeType: number;
  readonly header: LeaseSet2Header;
  readonly options: Mapping;
  readonly signature: Buffer;
  readonly raw: Buffer;

  protected constructor(header: LeaseSet2Header, options: Mapping, signature: Buffer, raw: Buffer) {
    this.header = header;
    this.options = options;
    this.signature = signature;
    this.raw = raw;
  }

  get destination(): Destination {
    return this.header.destination;
  }
  /** The netDb key: SHA-256 of the Destination. */
  get hash(): Buffer {
    return this.header.destination.hash;
  }
  get published(): number {
    return this.header.published;
  }
  get expires(): number {
    return this.header.expires;
  }
  get unpublished(): boolean {
    return (this.header.flags & LeaseSet2Flags.UNPUBLISHED) !== 0;
  }
  get offline(): OfflineSignature | undefined {
    return this.header.offline;
  }
  /** False when a key in the signing chain has a type we cannot verify. */
  get signatureSupported(): boolean {
    return chainSupported(this.chain());
  }
  verify(): boolean {
    return verifyChain(this.chain(), this.storeType, this.raw, this.signature);
  }
  protected chain(): SigningChain {
    const d = this.header.destination;
    return { sigType: d.sigType, publicKey: d.signingPublicKey, ...(this.header.offline ? { offline: this.header.offline } : {}) };
  }
}

function headerSignatureLength(h: LeaseSet2Header): number {
  return signatureLength(h.offline ? h.offline.transientSigType : h.destination.sigType)!;
}

function readLease2(r: ByteReader): Lease2 {
  const gateway = r.bytes(32, 'Lease2 gateway');
  const tunnelId = r.u32('Lease2 tunnel id');
  return { gateway, tunnelId, endDate: readSeconds(r, 'Lease2 end date') };
}

// ---------------------------------------------------------------------------------------------
// LeaseSet2 (type 3)

/**
 * common-structures "LeaseSet2": header, options Mapping, 1+ typed encryption keys, 0-16
 * Lease2s, signature by the Destination or the transient key.
 */
export class LeaseSet2 extends HeaderedLeaseSet {
  readonly storeType = LeaseSet2StoreType.LeaseSet2;
  readonly encryptionKeys: readonly EncryptionKey[];
  readonly leases: readonly Lease2[];

  private constructor(header: LeaseSet2Header, options: Mapping, keys: EncryptionKey[], leases: Lease2[], signature: Buffer, raw: Buffer) {
    super(header, options, signature, raw);
    this.encryptionKeys = keys;
    this.leases = leases;
  }

  /** Parses exactly one LeaseSet2. Throws DataFormatError. */
  static parse(buf: Buffer): LeaseSet2 {
    const raw = checkSize(buf, 'LeaseSet2');
    const r = new ByteReader(raw);
    const header = readLeaseSet2Header(r);
    const options = readMapping(r);
    const numk = r.u8('LeaseSet2 key count');
    if (numk === 0) throw new DataFormatError('LeaseSet2 without encryption keys', 'malformed');
    const keys: EncryptionKey[] = [];
    for (let i = 0; i < numk; i++) {
      const type = r.u16('LeaseSet2 key type');
      const len = r.u16('LeaseSet2 key length');
      const known = KNOWN_ENCRYPTION_KEY_LENGTHS.get(type);
      // "keylen ... Must match the specified length of the encryption type"; unknown types are
      // carried as stated so floodfills can store LeaseSets with keys they do not know.
      if ((known !== undefined && len !== known) || len === 0) throw new DataFormatError(`LeaseSet2 key type ${type} with length ${len}`, 'malformed');
      keys.push({ type, key: r.bytes(len, 'LeaseSet2 encryption key') });
    }
    const num = r.u8('LeaseSet2 lease count');
    if (num > MAX_LEASES) throw new DataFormatError(`LeaseSet2 with ${num} leases`, 'oversize');
    const leases: Lease2[] = [];
    for (let i = 0; i < num; i++) leases.push(readLease2(r));
    const signature = r.bytes(headerSignatureLength(header), 'LeaseSet2 signature');
    r.expectEnd('LeaseSet2');
    return new LeaseSet2(header, options, keys, leases, signature, raw);
  }

  /** Serialises and signs (with the transient key's signer when the header has offline keys). */
  static create(p: { header: LeaseSet2Header; signer: Signer; options?: Mapping; encryptionKeys: EncryptionKey[]; leases: Lease2[] }): LeaseSet2 {
    if (p.encryptionKeys.length === 0 || p.encryptionKeys.length > 255) throw new RangeError('LeaseSet2 needs 1..255 encryption keys');
    if (p.leases.length > MAX_LEASES) throw new RangeError('too many leases');
    const w = new ByteWriter();
    writeLeaseSet2Header(w, p.header);
    w.bytes(encodeMapping(p.options ?? new Map()));
    w.u8(p.encryptionKeys.length);
    for (const k of p.encryptionKeys) w.u16(k.type).u16(k.key.length).bytes(k.key);
    w.u8(p.leases.length);
    for (const l of p.leases) {
      if (l.gateway.length !== 32) throw new RangeError('Lease2 gateway must be 32 bytes');
      w.bytes(l.gateway).u32(l.tunnelId).u32(toSeconds(l.endDate, 'Lease2 end date'));
    }
    return LeaseSet2.parse(signBody(LeaseSet2StoreType.LeaseSet2, w.toBuffer(), p.signer));
  }
}

// ---------------------------------------------------------------------------------------------
// MetaLeaseSet (type 7)

/** common-structures "MetaLeaseSet": header, options, 1+ MetaLeases, revoked hashes, signature. */
export class MetaLeaseSet extends HeaderedLeaseSet {
  readonly storeType = LeaseSet2StoreType.MetaLeaseSet;
  readonly entries: readonly MetaLease[];
  readonly revocations: readonly Buffer[];

  private constructor(header: LeaseSet2Header, options: Mapping, entries: MetaLease[], revocations: Buffer[], signature: Buffer, raw: Buffer) {
    super(header, options, signature, raw);
    this.entries = entries;
    this.revocations = revocations;
  }

  static parse(buf: Buffer): MetaLeaseSet {
    const raw = checkSize(buf, 'MetaLeaseSet');
    const r = new ByteReader(raw);
    const header = readLeaseSet2Header(r);
    const options = readMapping(r);
    const num = r.u8('MetaLeaseSet entry count');
    if (num === 0) throw new DataFormatError('MetaLeaseSet without entries', 'malformed');
    const entries: MetaLease[] = [];
    for (let i = 0; i < num; i++) {
      const hash = r.bytes(32, 'MetaLease hash');
      const flags = (r.u16('MetaLease flags') << 8) | r.u8('MetaLease flags');
      const cost = r.u8('MetaLease cost');
      entries.push({ hash, flags, cost, endDate: readSeconds(r, 'MetaLease end date') });
    }
    const numr = r.u8('MetaLeaseSet revocation count');
    const revocations: Buffer[] = [];
    for (let i = 0; i < numr; i++) revocations.push(r.bytes(32, 'MetaLeaseSet revocation'));
    const signature = r.bytes(headerSignatureLength(header), 'MetaLeaseSet signature');
    r.expectEnd('MetaLeaseSet');
    return new MetaLeaseSet(header, options, entries, revocations, signature, raw);
  }

  static create(p: { header: LeaseSet2Header; signer: Signer; options?: Mapping; entries: MetaLease[]; revocations?: Buffer[] }): MetaLeaseSet {
    const revocations = p.revocations ?? [];
    if (p.entries.length === 0 || p.entries.length > 255 || revocations.length > 255) throw new RangeError('MetaLeaseSet entry/revocation count');
    const w = new ByteWriter();
    writeLeaseSet2Header(w, p.header);
    w.bytes(encodeMapping(p.options ?? new Map()));
    w.u8(p.entries.length);
    for (const e of p.entries) {
      w.bytes(e.hash).u16(e.flags >>> 8).u8(e.flags & 0xff).u8(e.cost).u32(toSeconds(e.endDate, 'MetaLease end date'));
    }
    w.u8(revocations.length);
    for (const h of revocations) w.bytes(h);
    return MetaLeaseSet.parse(signBody(LeaseSet2StoreType.MetaLeaseSet, w.toBuffer(), p.signer));
  }
}

// ---------------------------------------------------------------------------------------------
// EncryptedLeaseSet (type 5)

interface EncryptedLeaseSetFields {
  blindedSigType: number;
  blindedPublicKey: Buffer;
  published: number;
  expires: number;
  flags: number;
  offline: OfflineSignature | undefined;
  ciphertext: Buffer;
  signature: Buffer;
  raw: Buffer;
}

/**
 * common-structures / encryptedleaseset.rst "EncryptedLeaseSet": only the outer layer (blinded
 * key, times, flags, optional OfflineSignature, ciphertext, signature) is visible, and that is
 * all a floodfill checks. Stored under SHA-256(blinded sigtype (2 bytes) || blinded key).
 */
export class EncryptedLeaseSet {
  readonly storeType = LeaseSet2StoreType.EncryptedLeaseSet;
  readonly blindedSigType: number;
  readonly blindedPublicKey: Buffer;
  readonly published: number;
  readonly expires: number;
  readonly flags: number;
  readonly offline: OfflineSignature | undefined;
  readonly ciphertext: Buffer;
  readonly signature: Buffer;
  readonly raw: Buffer;
  private cachedHash: Buffer | undefined;

  private constructor(f: EncryptedLeaseSetFields) {
    this.blindedSigType = f.blindedSigType;
    this.blindedPublicKey = f.blindedPublicKey;
    this.published = f.published;
    this.expires = f.expires;
    this.flags = f.flags;
    this.offline = f.offline;
    this.ciphertext = f.ciphertext;
    this.signature = f.signature;
    this.raw = f.raw;
  }

  static parse(buf: Buffer): EncryptedLeaseSet {
    const raw = checkSize(buf, 'EncryptedLeaseSet');
    const r = new ByteReader(raw);
    const blindedSigType = r.u16('EncryptedLeaseSet sigtype');
    const keyLen = signingPublicKeyLength(blindedSigType);
    if (keyLen === undefined) throw new DataFormatError(`unknown blinded key type ${blindedSigType}`, 'sigtype');
    const blindedPublicKey = r.bytes(keyLen, 'EncryptedLeaseSet blinded key');
    const { published, expires, flags } = readTimes(r);
    const offline = flags & LeaseSet2Flags.OFFLINE_KEYS ? readOfflineSignature(r, blindedSigType) : undefined;
    const len = r.u16('EncryptedLeaseSet length');
    if (len === 0) throw new DataFormatError('EncryptedLeaseSet without encrypted data', 'malformed');
    const ciphertext = r.bytes(len, 'EncryptedLeaseSet encrypted data');
    const signature = r.bytes(signatureLength(offline ? offline.transientSigType : blindedSigType)!, 'EncryptedLeaseSet signature');
    r.expectEnd('EncryptedLeaseSet');
    return new EncryptedLeaseSet({ blindedSigType, blindedPublicKey, published, expires, flags, offline, ciphertext, signature, raw });
  }

  /** Builds and signs the outer layer around already-encrypted data (blinding is not done here). */
  static create(p: {
    blindedSigType: number;
    blindedPublicKey: Buffer;
    signer: Signer;
    published: number;
    expires: number;
    flags?: number;
    offline?: OfflineSignature;
    ciphertext: Buffer;
  }): EncryptedLeaseSet {
    const flags = (p.flags ?? 0) | (p.offline ? LeaseSet2Flags.OFFLINE_KEYS : 0);
    if (p.blindedPublicKey.length !== signingPublicKeyLength(p.blindedSigType)) throw new RangeError('blinded key length does not match its type');
    if (p.ciphertext.length === 0 || p.ciphertext.length > 0xffff) throw new RangeError('encrypted data length');
    const w = new ByteWriter().u16(p.blindedSigType).bytes(p.blindedPublicKey);
    writeTimes(w, p.published, p.expires, flags);
    if (p.offline) writeOfflineSignature(w, p.offline);
    w.u16(p.ciphertext.length).bytes(p.ciphertext);
    return EncryptedLeaseSet.parse(signBody(LeaseSet2StoreType.EncryptedLeaseSet, w.toBuffer(), p.signer));
  }

  /** The netDb key: SHA-256(blinded sigtype || blinded public key), i.e. of the first bytes. */
  get hash(): Buffer {
    return (this.cachedHash ??= sha256(this.raw.subarray(0, 2 + this.blindedPublicKey.length)));
  }
  get unpublished(): boolean {
    return (this.flags & LeaseSet2Flags.UNPUBLISHED) !== 0;
  }
  get signatureSupported(): boolean {
    return chainSupported(this.chain());
  }
  verify(): boolean {
    return verifyChain(this.chain(), this.storeType, this.raw, this.signature);
  }
  private chain(): SigningChain {
    return { sigType: this.blindedSigType, publicKey: this.blindedPublicKey, ...(this.offline ? { offline: this.offline } : {}) };
  }
}
