import { gunzipSync, gzipSync } from 'node:zlib';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { MAX_ROUTER_INFO_SIZE } from '../data/router-info.js';

/** i2np.rst DatabaseStore "type" values (bit 0: LeaseSet family; bits 3-1: variant). */
export const DatabaseStoreType = {
  RouterInfo: 0,
  LeaseSet: 1,
  LeaseSet2: 3,
  EncryptedLeaseSet: 5,
  MetaLeaseSet: 7,
} as const;

const VALID_TYPES: ReadonlySet<number> = new Set(Object.values(DatabaseStoreType));

export interface DatabaseStore {
  /** The real (not routing) hash of the RouterIdentity or Destination. */
  key: Buffer;
  type: number;
  /** Non-zero asks for a DeliveryStatus with this message id (and flooding, at a floodfill). */
  replyToken: number;
  /** Present iff replyToken != 0; 0 means reply directly to replyGateway. */
  replyTunnelId?: number;
  replyGateway?: Buffer;
  /** Type 0 only: the uncompressed RouterInfo bytes (the codec applies/removes the gzip). */
  routerInfo?: Buffer;
  /** Types 1/3/5/7 only: the LeaseSet, LeaseSet2, EncryptedLeaseSet or MetaLeaseSet bytes, stored uncompressed. */
  leaseSet?: Buffer;
}

/** An inflated RouterInfo can never legitimately exceed this; it bounds gzip bombs. */
export const MAX_INFLATED_ROUTER_INFO = MAX_ROUTER_INFO_SIZE;

/**
 * gzip as the spec asks, to look like Java I2P: mtime 0, XFL 2, OS 0xFF, so the header is
 * 1F 8B 08 00 00 00 00 00 02 FF (i2np.rst DatabaseStore notes).
 */
export function gzipRouterInfo(ri: Uint8Array): Buffer {
  const z = gzipSync(ri, { level: 9 });
  z.fill(0, 4, 8);
  z[8] = 0x02;
  z[9] = 0xff;
  return z;
}

/** Inflates a gzip'd RouterInfo, refusing output over MAX_INFLATED_ROUTER_INFO. */
export function gunzipRouterInfo(z: Uint8Array): Buffer {
  try {
    return gunzipSync(z, { maxOutputLength: MAX_INFLATED_ROUTER_INFO });
  } catch (e) {
    throw new DataFormatError(`bad gzip'd RouterInfo: ${(e as Error).message}`, 'gzip');
  }
}

export function encodeDatabaseStore(m: DatabaseStore): Buffer {
  if (m.key.length !== 32) throw new RangeError('DatabaseStore key must be 32 bytes');
  if (!VALID_TYPES.has(m.type)) throw new RangeError(`invalid DatabaseStore type ${m.type}`);
  const w = new ByteWriter();
  w.bytes(m.key).u8(m.type).u32(m.replyToken);
  if (m.replyToken !== 0) {
    if (m.replyTunnelId === undefined || m.replyGateway?.length !== 32) {
      throw new RangeError('DatabaseStore with a reply token needs replyTunnelId and a 32-byte replyGateway');
    }
    w.u32(m.replyTunnelId).bytes(m.replyGateway);
  }
  if (m.type === DatabaseStoreType.RouterInfo) {
    if (!m.routerInfo || m.leaseSet) throw new RangeError('a RouterInfo store needs routerInfo (and no leaseSet)');
    const z = gzipRouterInfo(m.routerInfo);
    if (z.length > 0xffff) throw new RangeError('compressed RouterInfo too large');
    w.u16(z.length).bytes(z);
  } else {
    if (!m.leaseSet?.length || m.routerInfo) throw new RangeError('a LeaseSet store needs leaseSet (and no routerInfo)');
    w.bytes(m.leaseSet);
  }
  return w.toBuffer();
}

/**
 * Decodes a DatabaseStore payload. For RouterInfos the 2-byte length must match the remaining
 * bytes exactly and inflation is bounded. Bits 7-4 of the type byte are ignored, as the spec
 * says; unsupported variants are rejected.
 */
export function decodeDatabaseStore(payload: Buffer): DatabaseStore {
  const r = new ByteReader(payload);
  const key = r.bytes(32, 'DatabaseStore key');
  const type = r.u8('DatabaseStore type') & 0x0f;
  if (!VALID_TYPES.has(type)) throw new DataFormatError(`unsupported DatabaseStore type ${type}`, 'dbstore-type');
  const replyToken = r.u32('DatabaseStore reply token');
  const m: DatabaseStore = { key, type, replyToken };
  if (replyToken !== 0) {
    m.replyTunnelId = r.u32('DatabaseStore reply tunnel');
    m.replyGateway = r.bytes(32, 'DatabaseStore reply gateway');
  }
  if (type === DatabaseStoreType.RouterInfo) {
    const len = r.u16('DatabaseStore RouterInfo length');
    const z = r.bytes(len, 'DatabaseStore gzip data');
    r.expectEnd('DatabaseStore');
    m.routerInfo = gunzipRouterInfo(z);
  } else {
    m.leaseSet = r.rest();
    if (m.leaseSet.length === 0) throw new DataFormatError('DatabaseStore without data', 'truncated');
  }
  return m;
}
