import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { signatureLength, signingPublicKeyLength } from './certificate.js';
import { readI2PDate, writeI2PDate } from './date.js';
import { Destination } from './destination.js';
import { verifySignature } from './verify-signature.js';

/**
 * Upper bound on any LeaseSet variant we accept. A LeaseSet (1) is at most ~1.7 KiB (391-byte
 * Destination, 256 + 128 key bytes, 16 Leases, signature); LeaseSet2s with post-quantum keys
 * (ML-KEM-1024 public keys are 1568 bytes) stay under 4 KiB. 8 KiB leaves headroom while
 * keeping what a stranger can make a floodfill hold small.
 */
export const MAX_LEASE_SET_SIZE = 8192;

/** common-structures LeaseSet: "value: 0 <= num <= 16"; the same bound holds for LeaseSet2. */
export const MAX_LEASES = 16;

/** common-structures "Lease": 32-byte gateway hash, 4-byte TunnelId, 8-byte Date. */
export const LEASE_SIZE = 44;

/** The PublicKey field of a LeaseSet (1) is always a 256-byte ElGamal key. */
export const LEASE_SET_ENCRYPTION_KEY_SIZE = 256;

/** A tunnel authorised to receive messages for a Destination (common-structures "Lease"). */
export interface Lease {
  /** Hash of the tunnel gateway's RouterIdentity. */
  gateway: Buffer;
  tunnelId: number;
  /** End date, ms since the epoch (Lease: 8-byte Date; Lease2: 4-byte seconds, converted). */
  endDate: number;
}

export function readLease(r: ByteReader): Lease {
  const gateway = r.bytes(32, 'Lease gateway');
  const tunnelId = r.u32('Lease tunnel id');
  const endDate = readI2PDate(r);
  return { gateway, tunnelId, endDate };
}

export function writeLease(w: ByteWriter, l: Lease): void {
  if (l.gateway.length !== 32) throw new RangeError('Lease gateway must be 32 bytes');
  w.bytes(l.gateway).u32(l.tunnelId);
  writeI2PDate(w, l.endDate);
}

interface LeaseSetFields {
  destination: Destination;
  encryptionKey: Buffer;
  signingKey: Buffer;
  leases: Lease[];
  signature: Buffer;
  raw: Buffer;
}

/**
 * common-structures "LeaseSet" (DatabaseStore type 1): Destination, 256-byte ElGamal PublicKey,
 * an unused SigningPublicKey of the Destination's signing type, up to 16 Leases, and a
 * signature by the Destination over everything before it. Stored under SHA-256(Destination).
 * Parsing checks structure only; verify() checks the signature.
 */
export class LeaseSet {
  static readonly storeType = 1;
  readonly destination: Destination;
  readonly encryptionKey: Buffer;
  /** The revocation key: unused by the network, always the Destination's signing type. */
  readonly signingKey: Buffer;
  readonly leases: readonly Lease[];
  readonly signature: Buffer;
  /** The complete bytes (a private copy). */
  readonly raw: Buffer;

  private constructor(f: LeaseSetFields) {
    this.destination = f.destination;
    this.encryptionKey = f.encryptionKey;
    this.signingKey = f.signingKey;
    this.leases = f.leases;
    this.signature = f.signature;
    this.raw = f.raw;
  }

  /** Parses exactly one LeaseSet. Throws DataFormatError. */
  static parse(buf: Buffer): LeaseSet {
    if (buf.length > MAX_LEASE_SET_SIZE) throw new DataFormatError(`LeaseSet of ${buf.length} bytes`, 'oversize');
    const raw = Buffer.from(buf);
    const r = new ByteReader(raw);
    const destination = Destination.read(r);
    const encryptionKey = r.bytes(LEASE_SET_ENCRYPTION_KEY_SIZE, 'LeaseSet encryption key');
    // The Destination's certificate was parsed with known key types only, so both lengths exist.
    const signingKey = r.bytes(signingPublicKeyLength(destination.sigType)!, 'LeaseSet signing key');
    const num = r.u8('LeaseSet lease count');
    if (num > MAX_LEASES) throw new DataFormatError(`LeaseSet with ${num} leases`, 'oversize');
    const leases: Lease[] = [];
    for (let i = 0; i < num; i++) leases.push(readLease(r));
    const signature = r.bytes(signatureLength(destination.sigType)!, 'LeaseSet signature');
    r.expectEnd('LeaseSet');
    return new LeaseSet({ destination, encryptionKey, signingKey, leases, signature, raw });
  }

  /** Serialises and signs a LeaseSet with the Destination's signing key. */
  static create(params: {
    destination: Destination;
    signer: { sign(m: Uint8Array): Buffer };
    encryptionKey: Buffer;
    signingKey?: Buffer;
    leases: Lease[];
  }): LeaseSet {
    const { destination, encryptionKey, leases } = params;
    const signingKey = params.signingKey ?? Buffer.alloc(signingPublicKeyLength(destination.sigType)!);
    if (encryptionKey.length !== LEASE_SET_ENCRYPTION_KEY_SIZE) throw new RangeError('LeaseSet encryption key must be 256 bytes');
    if (signingKey.length !== signingPublicKeyLength(destination.sigType)) throw new RangeError('LeaseSet signing key length');
    if (leases.length > MAX_LEASES) throw new RangeError(`too many leases (${leases.length})`);
    const w = new ByteWriter();
    w.bytes(destination.raw).bytes(encryptionKey).bytes(signingKey).u8(leases.length);
    for (const l of leases) writeLease(w, l);
    const body = w.toBuffer();
    return LeaseSet.parse(Buffer.concat([body, params.signer.sign(body)]));
  }

  /** The netDb key: SHA-256 of the Destination. */
  get hash(): Buffer {
    return this.destination.hash;
  }

  /**
   * The version of a LeaseSet (1): it has no published date, so "the earliest expiration of all
   * the Leases is treated as the timestamp or version" (common-structures LeaseSet notes).
   * 0 for a LeaseSet without Leases.
   */
  get earliestLeaseEnd(): number {
    return this.leases.length ? Math.min(...this.leases.map((l) => l.endDate)) : 0;
  }

  /** When the whole LeaseSet is useless: its last Lease ends. 0 without Leases. */
  get latestLeaseEnd(): number {
    return this.leases.length ? Math.max(...this.leases.map((l) => l.endDate)) : 0;
  }

  /** Verifies the signature over all bytes before it with the Destination's signing key. */
  verify(): boolean {
    const d = this.destination;
    return verifySignature(d.sigType, d.signingPublicKey, this.raw.subarray(0, this.raw.length - this.signature.length), this.signature);
  }
}
