/**
 * Cleartext ECIES build request and reply records (tunnel-creation-ecies.rst "Request Record
 * Unencrypted", "Reply Record Unencrypted", "Short Request Record Unencrypted", "Short Reply
 * Record Unencrypted"). All fields big-endian.
 *
 * Long request (464 bytes): receive tunnel (4), next tunnel (4), next ident (32), layer key (32),
 * IV key (32), reply key (32), reply IV (16), flags (1), more flags (3), request time (4, minutes),
 * expiration (4, seconds), next message id (4), options Mapping, padding.
 * Short request (154 bytes): receive tunnel (4), next tunnel (4), next ident (32), flags (1), more
 * flags (2), layer encryption type (1), request time (4), expiration (4), next message id (4),
 * options Mapping, padding. Its keys come from the KDF (record-crypto.ts).
 * Reply (512 / 202 bytes): options Mapping, padding, reply byte last.
 */
import { randomBytes } from '../../crypto/index.js';
import { encodeMapping, readMapping, type Mapping } from '../../data/mapping.js';
import { ByteReader } from '../../util/bytes.js';
import { DataFormatError } from '../../util/errors.js';

export type BuildRecordFormat = 'long' | 'short';

export const LONG_REQUEST_CLEARTEXT_LENGTH = 464;
export const SHORT_REQUEST_CLEARTEXT_LENGTH = 154;
export const LONG_REPLY_CLEARTEXT_LENGTH = 512;
export const SHORT_REPLY_CLEARTEXT_LENGTH = 202;
/** Offset of the options Mapping in a long / short request. */
const LONG_OPTIONS_OFFSET = 168;
const SHORT_OPTIONS_OFFSET = 56;

/** tunnel-creation.rst flags: "bit 7: if set, allow messages from anyone" (inbound gateway). */
export const FLAG_INBOUND_GATEWAY = 0x80;
/** "bit 6: if set, allow messages to anyone, and send the reply to the specified next hop" (outbound endpoint). */
export const FLAG_OUTBOUND_ENDPOINT = 0x40;

/** tunnel-creation.rst "Reply Record Specification": 0 accepts, higher values are rejections. */
export const BuildReplyCode = {
  Accept: 0,
  ProbabilisticReject: 10,
  TransientOverload: 20,
  /** What routers send for almost every rejection, "to hide other causes". */
  Bandwidth: 30,
  Critical: 50,
} as const;

/** "For now, the only supported value is 600 (10 minutes)." */
export const DEFAULT_REQUEST_EXPIRATION_SECONDS = 600;

export type HopRole = 'participant' | 'inboundGateway' | 'outboundEndpoint';

export function roleFlags(role: HopRole): number {
  return role === 'inboundGateway' ? FLAG_INBOUND_GATEWAY : role === 'outboundEndpoint' ? FLAG_OUTBOUND_ENDPOINT : 0;
}

/** The hop's role from the flags byte; "Both cannot be set at once". Bits 5-0 are reserved and ignored. */
export function roleFromFlags(flags: number): HopRole {
  const ibgw = (flags & FLAG_INBOUND_GATEWAY) !== 0;
  const obep = (flags & FLAG_OUTBOUND_ENDPOINT) !== 0;
  if (ibgw && obep) throw new DataFormatError('build request is both inbound gateway and outbound endpoint', 'flags');
  return ibgw ? 'inboundGateway' : obep ? 'outboundEndpoint' : 'participant';
}

/** Fields common to long and short requests. */
export interface BuildRequestFields {
  /** Tunnel id the hop receives on; nonzero. */
  receiveTunnelId: number;
  /** Next hop's tunnel id, or (OBEP) the reply tunnel id at the reply gateway; nonzero. */
  nextTunnelId: number;
  /** Next hop's router hash, or (OBEP) the reply tunnel's gateway; 32 bytes. */
  nextIdent: Buffer;
  role: HopRole;
  /** ms since the epoch, rounded down to the minute on the wire. */
  requestTime: number;
  /** Seconds after the request time the tunnel lives. */
  expirationSeconds: number;
  /** Message id the hop forwards the build message (or sends the reply) with. */
  nextMessageId: number;
  /** Tunnel build options (proposal 168 bandwidth parameters m, r, l). */
  options: Mapping;
}

export interface LongBuildRequestFields extends BuildRequestFields {
  layerKey: Buffer;
  ivKey: Buffer;
  /** AES-256 key of the hop's layer over the other records. */
  replyKey: Buffer;
  /** 16-byte IV of that layer. */
  replyIv: Buffer;
}

export interface ShortBuildRequestFields extends BuildRequestFields {
  /** 0 = AES, the only one defined. */
  layerEncryption: number;
}

function checkTunnelId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`invalid ${what} ${id}`);
}

function checkLength(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${b.length}`);
}

function checkCommon(f: BuildRequestFields): void {
  checkTunnelId(f.receiveTunnelId, 'receive tunnel id');
  checkTunnelId(f.nextTunnelId, 'next tunnel id');
  checkLength(f.nextIdent, 32, 'next ident');
  if (!Number.isInteger(f.nextMessageId) || f.nextMessageId < 0 || f.nextMessageId > 0xffffffff) throw new RangeError(`invalid next message id ${f.nextMessageId}`);
  if (!Number.isInteger(f.expirationSeconds) || f.expirationSeconds < 0 || f.expirationSeconds > 0xffffffff) throw new RangeError(`invalid expiration ${f.expirationSeconds}`);
  if (!Number.isFinite(f.requestTime) || f.requestTime < 0) throw new RangeError(`invalid request time ${f.requestTime}`);
}

/** Writes the options Mapping at `offset` and random padding after it. */
function writeOptionsAndPadding(out: Buffer, offset: number, options: Mapping, what: string): void {
  const m = encodeMapping(options);
  if (offset + m.length > out.length) throw new RangeError(`${what} options of ${m.length} bytes do not fit (max ${out.length - offset})`);
  m.copy(out, offset);
  randomBytes(out.length - offset - m.length).copy(out, offset + m.length);
}

function minutes(ms: number): number {
  return Math.floor(ms / 60_000) >>> 0;
}

export function encodeLongBuildRequest(f: LongBuildRequestFields): Buffer {
  checkCommon(f);
  checkLength(f.layerKey, 32, 'layer key');
  checkLength(f.ivKey, 32, 'IV key');
  checkLength(f.replyKey, 32, 'reply key');
  checkLength(f.replyIv, 16, 'reply IV');
  const b = Buffer.alloc(LONG_REQUEST_CLEARTEXT_LENGTH);
  b.writeUInt32BE(f.receiveTunnelId, 0);
  b.writeUInt32BE(f.nextTunnelId, 4);
  f.nextIdent.copy(b, 8);
  f.layerKey.copy(b, 40);
  f.ivKey.copy(b, 72);
  f.replyKey.copy(b, 104);
  f.replyIv.copy(b, 136);
  b[152] = roleFlags(f.role); // bytes 153-155: more flags, 0
  b.writeUInt32BE(minutes(f.requestTime), 156);
  b.writeUInt32BE(f.expirationSeconds, 160);
  b.writeUInt32BE(f.nextMessageId, 164);
  writeOptionsAndPadding(b, LONG_OPTIONS_OFFSET, f.options, 'long build request');
  return b;
}

export function encodeShortBuildRequest(f: ShortBuildRequestFields): Buffer {
  checkCommon(f);
  if (!Number.isInteger(f.layerEncryption) || f.layerEncryption < 0 || f.layerEncryption > 255) throw new RangeError(`invalid layer encryption ${f.layerEncryption}`);
  const b = Buffer.alloc(SHORT_REQUEST_CLEARTEXT_LENGTH);
  b.writeUInt32BE(f.receiveTunnelId, 0);
  b.writeUInt32BE(f.nextTunnelId, 4);
  f.nextIdent.copy(b, 8);
  b[40] = roleFlags(f.role); // bytes 41-42: more flags, 0
  b[43] = f.layerEncryption;
  b.writeUInt32BE(minutes(f.requestTime), 44);
  b.writeUInt32BE(f.expirationSeconds, 48);
  b.writeUInt32BE(f.nextMessageId, 52);
  writeOptionsAndPadding(b, SHORT_OPTIONS_OFFSET, f.options, 'short build request');
  return b;
}

function readTunnelId(r: ByteReader, what: string): number {
  const id = r.u32(what);
  if (id === 0) throw new DataFormatError(`build request ${what} is 0`, 'tunnel-id');
  return id;
}

/** Parses a 464-byte long request cleartext. Copies every key out of the (reusable) input. */
export function decodeLongBuildRequest(clear: Buffer): LongBuildRequestFields {
  if (clear.length !== LONG_REQUEST_CLEARTEXT_LENGTH) throw new DataFormatError(`long build request of ${clear.length} bytes`, 'length');
  const r = new ByteReader(clear);
  const receiveTunnelId = readTunnelId(r, 'receive tunnel id');
  const nextTunnelId = readTunnelId(r, 'next tunnel id');
  const nextIdent = Buffer.from(r.bytes(32));
  const layerKey = Buffer.from(r.bytes(32));
  const ivKey = Buffer.from(r.bytes(32));
  const replyKey = Buffer.from(r.bytes(32));
  const replyIv = Buffer.from(r.bytes(16));
  const role = roleFromFlags(r.u8('flags'));
  r.bytes(3, 'more flags'); // unused
  const requestTime = r.u32('request time') * 60_000;
  const expirationSeconds = r.u32('expiration');
  const nextMessageId = r.u32('next message id');
  // The Mapping's size field is bounded by the record (294 / 96 bytes at most, as the spec says).
  const options = readMapping(r);
  return { receiveTunnelId, nextTunnelId, nextIdent, layerKey, ivKey, replyKey, replyIv, role, requestTime, expirationSeconds, nextMessageId, options };
}

/** Parses a 154-byte short request cleartext. */
export function decodeShortBuildRequest(clear: Buffer): ShortBuildRequestFields {
  if (clear.length !== SHORT_REQUEST_CLEARTEXT_LENGTH) throw new DataFormatError(`short build request of ${clear.length} bytes`, 'length');
  const r = new ByteReader(clear);
  const receiveTunnelId = readTunnelId(r, 'receive tunnel id');
  const nextTunnelId = readTunnelId(r, 'next tunnel id');
  const nextIdent = Buffer.from(r.bytes(32));
  const role = roleFromFlags(r.u8('flags'));
  r.bytes(2, 'more flags'); // unused
  const layerEncryption = r.u8('layer encryption type');
  const requestTime = r.u32('request time') * 60_000;
  const expirationSeconds = r.u32('expiration');
  const nextMessageId = r.u32('next message id');
  // The Mapping's size field is bounded by the record (294 / 96 bytes at most, as the spec says).
  const options = readMapping(r);
  return { receiveTunnelId, nextTunnelId, nextIdent, role, layerEncryption, requestTime, expirationSeconds, nextMessageId, options };
}

export function replyCleartextLength(format: BuildRecordFormat): number {
  return format === 'long' ? LONG_REPLY_CLEARTEXT_LENGTH : SHORT_REPLY_CLEARTEXT_LENGTH;
}

export function requestCleartextLength(format: BuildRecordFormat): number {
  return format === 'long' ? LONG_REQUEST_CLEARTEXT_LENGTH : SHORT_REQUEST_CLEARTEXT_LENGTH;
}

export interface BuildReply {
  /** 0 = accepted; otherwise a BuildReplyCode (or any other byte a hop sent). */
  code: number;
  /** Reply options (proposal 168: "b", bandwidth available). */
  options: Mapping;
}

/** Reply cleartext: options Mapping, random padding, the reply byte last. */
export function encodeBuildReply(format: BuildRecordFormat, reply: BuildReply): Buffer {
  if (!Number.isInteger(reply.code) || reply.code < 0 || reply.code > 255) throw new RangeError(`invalid build reply code ${reply.code}`);
  const b = Buffer.alloc(replyCleartextLength(format));
  const last = b.length - 1;
  writeOptionsAndPadding(b.subarray(0, last), 0, reply.options, `${format} build reply`);
  b[last] = reply.code;
  return b;
}

export function decodeBuildReply(format: BuildRecordFormat, clear: Buffer): BuildReply {
  const length = replyCleartextLength(format);
  if (clear.length !== length) throw new DataFormatError(`${format} build reply of ${clear.length} bytes`, 'length');
  const options = readMapping(new ByteReader(clear, 0, length - 1));
  return { code: clear[length - 1]!, options };
}
