import { ByteReader, ByteWriter } from '../util/bytes.js';
import { DataFormatError } from '../util/errors.js';
import { i2pBase64Decode } from './base64.js';
import { readI2PDate, writeI2PDate } from './date.js';
import { encodeMapping, readMapping, type Mapping } from './mapping.js';
import { RouterAddress } from './router-address.js';
import { RouterIdentity } from './router-identity.js';

/**
 * Upper bound on a RouterInfo we accept. Real ones are about 1 KiB (i2pd's are ~800 bytes with
 * two addresses); NTCP2 RouterInfo blocks and the 2-byte DatabaseStore length cannot carry more
 * than 65535 bytes anyway.
 */
export const MAX_ROUTER_INFO_SIZE = 65535;

/**
 * Upper bound on the address count. The field allows 255; real routers publish at most a
 * handful (NTCP2 and SSU2, IPv4 and IPv6). 32 leaves ample room while refusing absurd input.
 */
export const MAX_ROUTER_ADDRESSES = 32;

/** NTCP2 parameters from a RouterInfo's "NTCP2" address (ntcp2.rst "Published Router Info"). */
export interface NTCP2AddressInfo {
  host?: string;
  port?: number;
  /** Static X25519 public key, option `s`. */
  staticKey: Buffer;
  /** AES obfuscation IV, option `i`; present only on published (connectable) addresses. */
  iv?: Buffer;
  /** Option `v`, a comma-separated list of versions that includes "2". */
  version: string;
}

interface RouterInfoFields {
  identity: RouterIdentity;
  published: number;
  addresses: RouterAddress[];
  peerHashes: Buffer[];
  options: Mapping;
  signature: Buffer;
  raw: Buffer;
}

/**
 * common-structures "RouterInfo": identity, published Date, addresses, peer hashes (unused,
 * normally none), options Mapping, signature over everything before it.
 * Parsing checks structure only; call verify() for the signature.
 */
export class RouterInfo {
  readonly identity: RouterIdentity;
  /** ms since the epoch. */
  readonly published: number;
  readonly addresses: readonly RouterAddress[];
  /** The unused peer list (peer_size must be 0 per spec; kept so the bytes re-encode exactly). */
  readonly peerHashes: readonly Buffer[];
  readonly options: Mapping;
  readonly signature: Buffer;
  /** The complete RouterInfo bytes as received (a private copy). */
  readonly raw: Buffer;

  private constructor(f: RouterInfoFields) {
    this.identity = f.identity;
    this.published = f.published;
    this.addresses = f.addresses;
    this.peerHashes = f.peerHashes;
    this.options = f.options;
    this.signature = f.signature;
    this.raw = f.raw;
  }

  /** Parses one complete RouterInfo (no trailing bytes). Throws DataFormatError. */
  static parse(buf: Buffer): RouterInfo {
    if (buf.length > MAX_ROUTER_INFO_SIZE) throw new DataFormatError(`RouterInfo of ${buf.length} bytes`, 'oversize');
    const raw = Buffer.from(buf);
    const r = new ByteReader(raw);
    const identity = RouterIdentity.read(r);
    const published = readI2PDate(r);
    const count = r.u8('RouterInfo address count');
    if (count > MAX_ROUTER_ADDRESSES) throw new DataFormatError(`RouterInfo with ${count} addresses`, 'oversize');
    const addresses: RouterAddress[] = [];
    for (let i = 0; i < count; i++) addresses.push(RouterAddress.read(r));
    const peerCount = r.u8('RouterInfo peer_size');
    const peerHashes: Buffer[] = [];
    for (let i = 0; i < peerCount; i++) peerHashes.push(r.bytes(32, 'RouterInfo peer hash'));
    const options = readMapping(r);
    const signature = r.bytes(identity.signatureLength, 'RouterInfo signature');
    r.expectEnd('RouterInfo');
    return new RouterInfo({ identity, published, addresses, peerHashes, options, signature, raw });
  }

  /** Serialises and signs a RouterInfo (options and address options are written key-sorted). */
  static create(params: {
    identity: RouterIdentity;
    signer: { sign(m: Uint8Array): Buffer };
    published: number;
    addresses: RouterAddress[];
    options: Mapping;
  }): RouterInfo {
    const body = encodeBody(params.identity, params.published, params.addresses, [], params.options);
    const signature = params.signer.sign(body);
    if (signature.length !== params.identity.signatureLength) {
      throw new RangeError(`signer produced ${signature.length} bytes, identity needs ${params.identity.signatureLength}`);
    }
    return RouterInfo.parse(Buffer.concat([body, signature]));
  }

  /** Re-serialises from the parsed fields; equals `raw` for any canonically encoded input. */
  encode(): Buffer {
    return Buffer.concat([encodeBody(this.identity, this.published, [...this.addresses], [...this.peerHashes], this.options), this.signature]);
  }

  /** Verifies the signature over all bytes before it with the identity's signing key. */
  verify(): boolean {
    return this.identity.verify(this.raw.subarray(0, this.raw.length - this.signature.length), this.signature);
  }

  /** The router hash (SHA-256 of the RouterIdentity): the netDb key. */
  get hash(): Buffer {
    return this.identity.hash;
  }

  /** Capability letters (option `caps`), '' if absent. */
  get caps(): string {
    return this.options.get('caps') ?? '';
  }

  get floodfill(): boolean {
    return this.caps.includes('f');
  }

  /** Option `netId`; 2 (the main network) when missing, NaN when not a decimal number. */
  get netId(): number {
    const v = this.options.get('netId');
    if (v === undefined) return 2;
    return /^[0-9]{1,9}$/.test(v) ? Number(v) : NaN;
  }

  /** Option `router.version`, e.g. "0.9.57". */
  get version(): string | undefined {
    return this.options.get('router.version');
  }

  /**
   * Every usable NTCP2 address: style "NTCP2", a valid 32-byte `s`, `v` listing "2", and if
   * present a valid 16-byte `i`. Malformed ones are skipped, not fatal: a peer's other
   * addresses may still be good.
   */
  ntcp2Addresses(): NTCP2AddressInfo[] {
    const out: NTCP2AddressInfo[] = [];
    for (const a of this.addresses) {
      if (a.transportStyle !== 'NTCP2') continue;
      const version = a.options.get('v');
      if (version === undefined || !version.split(',').includes('2')) continue;
      const staticKey = decodeKey(a.options.get('s'), 32);
      if (!staticKey) continue;
      const ivText = a.options.get('i');
      const iv = ivText === undefined ? undefined : decodeKey(ivText, 16);
      if (ivText !== undefined && !iv) continue;
      const info: NTCP2AddressInfo = { staticKey, version };
      if (a.host !== undefined) info.host = a.host;
      if (a.port !== undefined) info.port = a.port;
      if (iv) info.iv = iv;
      out.push(info);
    }
    return out;
  }

  /**
   * The NTCP2 address to use: the first published one (host, port and iv all present), else
   * the first usable one (which at least gives the static key), else undefined.
   */
  ntcp2(): NTCP2AddressInfo | undefined {
    const all = this.ntcp2Addresses();
    return all.find((a) => a.host !== undefined && a.port !== undefined && a.iv !== undefined) ?? all[0];
  }
}

function encodeBody(identity: RouterIdentity, published: number, addresses: RouterAddress[], peerHashes: Buffer[], options: Mapping): Buffer {
  if (addresses.length > MAX_ROUTER_ADDRESSES) throw new RangeError(`too many addresses (${addresses.length})`);
  if (peerHashes.length > 255) throw new RangeError('too many peer hashes');
  const w = new ByteWriter();
  w.bytes(identity.raw);
  writeI2PDate(w, published);
  w.u8(addresses.length);
  for (const a of addresses) a.write(w);
  w.u8(peerHashes.length);
  for (const p of peerHashes) w.bytes(p);
  w.bytes(encodeMapping(options));
  return w.toBuffer();
}

function decodeKey(text: string | undefined, length: number): Buffer | undefined {
  if (text === undefined) return undefined;
  try {
    const b = i2pBase64Decode(text);
    return b.length === length ? b : undefined;
  } catch {
    return undefined;
  }
}
