import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';

/** i2np.rst DatabaseLookup flags bits 3-2. */
export const LookupType = {
  /** Deprecated: RouterInfo or LeaseSet. */
  Any: 0,
  LeaseSet: 1,
  RouterInfo: 2,
  /** Non-floodfill RouterInfo hashes only. */
  Exploration: 3,
} as const;

const FLAG_DELIVERY = 0x01;
const FLAG_ENCRYPTION = 0x02;
const FLAG_ECIES = 0x10;

/** i2np.rst: "size ... valid range: 0-512". */
export const MAX_EXCLUDED_PEERS = 512;
/** i2np.rst: ElGamal/AES reply tags "valid range: 1-32". */
export const MAX_REPLY_TAGS = 32;

/**
 * Reply encryption, from flag bits 4 and 1 (i2np.rst "Reply Encryption"):
 * - 'aes' (bits 4,1 = 0,1; ElGamal requester): 32-byte session key + 1-32 32-byte session tags.
 * - 'ecies' (bits 4,1 = 1,0): 32-byte ChaCha20/Poly1305 key + exactly one 8-byte tag.
 * Bits 4,1 = 1,1 ("DH yes") is not defined by the spec yet and is rejected.
 */
export type LookupReplyEncryption = { kind: 'aes'; key: Buffer; tags: Buffer[] } | { kind: 'ecies'; key: Buffer; tags: Buffer[] };

export interface DatabaseLookup {
  /** Real hash of what is looked up. */
  key: Buffer;
  /** Requesting router, or the reply tunnel's gateway when replyTunnelId is set. */
  from: Buffer;
  /** Present iff the delivery flag (bit 0) is set: reply to this tunnel at `from`. */
  replyTunnelId?: number;
  lookupType: number;
  excludedPeers: Buffer[];
  replyEncryption?: LookupReplyEncryption;
}

export function encodeDatabaseLookup(m: DatabaseLookup): Buffer {
  if (m.key.length !== 32 || m.from.length !== 32) throw new RangeError('DatabaseLookup key/from must be 32 bytes');
  if (!Number.isInteger(m.lookupType) || m.lookupType < 0 || m.lookupType > 3) throw new RangeError(`invalid lookup type ${m.lookupType}`);
  if (m.excludedPeers.length > MAX_EXCLUDED_PEERS) throw new RangeError('too many excluded peers');
  let flags = m.lookupType << 2;
  if (m.replyTunnelId !== undefined) flags |= FLAG_DELIVERY;
  const enc = m.replyEncryption;
  if (enc) {
    flags |= enc.kind === 'aes' ? FLAG_ENCRYPTION : FLAG_ECIES;
    const tagLen = enc.kind === 'aes' ? 32 : 8;
    const maxTags = enc.kind === 'aes' ? MAX_REPLY_TAGS : 1;
    if (enc.key.length !== 32) throw new RangeError('reply key must be 32 bytes');
    if (enc.tags.length < 1 || enc.tags.length > maxTags || enc.tags.some((t) => t.length !== tagLen)) {
      throw new RangeError(`${enc.kind} reply needs 1-${maxTags} tags of ${tagLen} bytes`);
    }
  }
  const w = new ByteWriter();
  w.bytes(m.key).bytes(m.from).u8(flags);
  if (m.replyTunnelId !== undefined) w.u32(m.replyTunnelId);
  w.u16(m.excludedPeers.length);
  for (const p of m.excludedPeers) {
    if (p.length !== 32) throw new RangeError('excluded peer hash must be 32 bytes');
    w.bytes(p);
  }
  if (enc) {
    w.bytes(enc.key).u8(enc.tags.length);
    for (const t of enc.tags) w.bytes(t);
  }
  return w.toBuffer();
}

/** Decodes a DatabaseLookup payload; bits 7-5 of the flags are ignored as the spec says. */
export function decodeDatabaseLookup(payload: Buffer): DatabaseLookup {
  const r = new ByteReader(payload);
  const key = r.bytes(32, 'DatabaseLookup key');
  const from = r.bytes(32, 'DatabaseLookup from');
  const flags = r.u8('DatabaseLookup flags');
  const m: DatabaseLookup = { key, from, lookupType: (flags >> 2) & 3, excludedPeers: [] };
  if (flags & FLAG_DELIVERY) m.replyTunnelId = r.u32('DatabaseLookup reply tunnel');
  const size = r.u16('DatabaseLookup excluded count');
  if (size > MAX_EXCLUDED_PEERS) throw new DataFormatError(`DatabaseLookup excludes ${size} peers`, 'oversize');
  for (let i = 0; i < size; i++) m.excludedPeers.push(r.bytes(32, 'DatabaseLookup excluded peer'));
  const aes = (flags & FLAG_ENCRYPTION) !== 0;
  const ecies = (flags & FLAG_ECIES) !== 0;
  if (aes && ecies) throw new DataFormatError('DatabaseLookup reply encryption mode 1,1 is not defined', 'unsupported');
  if (aes || ecies) {
    const replyKey = r.bytes(32, 'DatabaseLookup reply key');
    const count = r.u8('DatabaseLookup tag count');
    const max = aes ? MAX_REPLY_TAGS : 1;
    if (count < 1 || count > max) throw new DataFormatError(`DatabaseLookup with ${count} reply tags`, 'malformed');
    const tags: Buffer[] = [];
    for (let i = 0; i < count; i++) tags.push(r.bytes(aes ? 32 : 8, 'DatabaseLookup reply tag'));
    m.replyEncryption = { kind: aes ? 'aes' : 'ecies', key: replyKey, tags };
  }
  r.expectEnd('DatabaseLookup');
  return m;
}
