/**
 * NTCP2 payload block codec (ntcp2.rst "Unencrypted data" and the block sections after it).
 * A frame payload is a sequence of blocks: 1-byte type, 2-byte big-endian size, data.
 * Used for message 3 part 2 and for every data-phase frame.
 */
import { ByteReader } from '../../util/bytes.js';
import { DataFormatError } from '../../util/errors.js';
import { decodeShort, type I2NPMessage } from '../../i2np/message.js';

export enum BlockType {
  DateTime = 0,
  Options = 1,
  RouterInfo = 2,
  I2NP = 3,
  Termination = 4,
  Padding = 254,
}

/** ntcp2.rst "Termination" reason codes. */
export enum TerminationReason {
  Normal = 0,
  TerminationReceived = 1,
  IdleTimeout = 2,
  RouterShutdown = 3,
  DataPhaseAEADFailure = 4,
  IncompatibleOptions = 5,
  IncompatibleSignatureType = 6,
  ClockSkew = 7,
  PaddingViolation = 8,
  AEADFramingError = 9,
  PayloadFormatError = 10,
  Message1Error = 11,
  Message2Error = 12,
  Message3Error = 13,
  IntraFrameReadTimeout = 14,
  RouterInfoSignatureVerificationFail = 15,
  StaticKeyMismatch = 16,
  Banned = 17,
}

/** Human-readable name of a termination reason (for logs and counters). */
export function terminationReasonName(code: number): string {
  return TerminationReason[code] ?? `unknown-${code}`;
}

/** Encrypted data is at most 65535 bytes including the 16-byte MAC. */
export const MAX_FRAME_PAYLOAD = 65519;
/** 3 bytes of block header inside the 65519-byte payload. */
export const MAX_BLOCK_DATA = 65516;
/** I2NP block: 9-byte short header + body. */
export const I2NP_SHORT_HEADER = 9;
export const BLOCK_HEADER = 3;

export interface DateTimeBlock {
  type: BlockType.DateTime;
  /** Unix time, seconds. */
  timestamp: number;
}
export interface OptionsBlock {
  type: BlockType.Options;
  /** 4.4 fixed-point padding ratios, raw bytes 0..255. */
  tmin: number;
  tmax: number;
  rmin: number;
  rmax: number;
  tdmy: number;
  rdmy: number;
  tdelay: number;
  rdelay: number;
  more: Buffer;
}
export interface RouterInfoBlock {
  type: BlockType.RouterInfo;
  /** Flag bit 0: flood request. */
  flood: boolean;
  /** Unparsed RouterInfo bytes (not gzipped); the receiver parses and verifies. */
  routerInfo: Buffer;
}
export interface I2NPBlock {
  type: BlockType.I2NP;
  message: I2NPMessage;
}
export interface TerminationBlock {
  type: BlockType.Termination;
  /** Number of valid data-phase frames the sender received. */
  framesReceived: bigint;
  reason: number;
  extra: Buffer;
}
export interface PaddingBlock {
  type: BlockType.Padding;
  /** Padding size; the content is random and ignored. */
  length: number;
  /** Explicit content for encoding (defaults to zeros). */
  data?: Buffer;
}
export interface UnknownBlock {
  type: 'unknown';
  blockType: number;
  data: Buffer;
}

export type Block = DateTimeBlock | OptionsBlock | RouterInfoBlock | I2NPBlock | TerminationBlock | PaddingBlock | UnknownBlock;

/** Size of a block on the wire, header included. */
export function blockSize(b: Block): number {
  switch (b.type) {
    case BlockType.DateTime:
      return BLOCK_HEADER + 4;
    case BlockType.Options:
      return BLOCK_HEADER + 12 + b.more.length;
    case BlockType.RouterInfo:
      return BLOCK_HEADER + 1 + b.routerInfo.length;
    case BlockType.I2NP:
      return BLOCK_HEADER + I2NP_SHORT_HEADER + b.message.payload.length;
    case BlockType.Termination:
      return BLOCK_HEADER + 9 + b.extra.length;
    case BlockType.Padding:
      return BLOCK_HEADER + b.length;
    case 'unknown':
      return BLOCK_HEADER + b.data.length;
  }
}

/** Writes one block at `off`, returns the new offset. `out` must be large enough. */
export function writeBlock(out: Buffer, off: number, b: Block): number {
  const dataLen = blockSize(b) - BLOCK_HEADER;
  if (dataLen > MAX_BLOCK_DATA) throw new DataFormatError(`block data of ${dataLen} bytes exceeds ${MAX_BLOCK_DATA}`, 'oversize');
  out[off] = b.type === 'unknown' ? b.blockType : b.type;
  out.writeUInt16BE(dataLen, off + 1);
  let p = off + BLOCK_HEADER;
  switch (b.type) {
    case BlockType.DateTime:
      out.writeUInt32BE(b.timestamp >>> 0, p);
      p += 4;
      break;
    case BlockType.Options:
      out[p++] = b.tmin;
      out[p++] = b.tmax;
      out[p++] = b.rmin;
      out[p++] = b.rmax;
      out.writeUInt16BE(b.tdmy, p);
      out.writeUInt16BE(b.rdmy, p + 2);
      out.writeUInt16BE(b.tdelay, p + 4);
      out.writeUInt16BE(b.rdelay, p + 6);
      p += 8;
      p += b.more.copy(out, p);
      break;
    case BlockType.RouterInfo:
      out[p++] = b.flood ? 1 : 0;
      p += b.routerInfo.copy(out, p);
      break;
    case BlockType.I2NP: {
      // ntcp2.rst "I2NP Message": type, msg id, expiration in seconds, body (size - 9).
      const m = b.message;
      out[p] = m.type;
      out.writeUInt32BE(m.msgId >>> 0, p + 1);
      out.writeUInt32BE(Math.floor(m.expiration / 1000) >>> 0, p + 5);
      p += I2NP_SHORT_HEADER;
      p += m.payload.copy(out, p);
      break;
    }
    case BlockType.Termination:
      out.writeBigUInt64BE(b.framesReceived, p);
      out[p + 8] = b.reason;
      p += 9;
      p += b.extra.copy(out, p);
      break;
    case BlockType.Padding:
      if (b.data) {
        if (b.data.length !== b.length) throw new DataFormatError('padding data length mismatch');
        p += b.data.copy(out, p);
      } else {
        out.fill(0, p, p + b.length);
        p += b.length;
      }
      break;
    case 'unknown':
      p += b.data.copy(out, p);
      break;
  }
  return p;
}

/** Encodes blocks into one frame payload (max 65519 bytes). */
export function encodeBlocks(blocks: readonly Block[]): Buffer {
  let total = 0;
  for (const b of blocks) total += blockSize(b);
  if (total > MAX_FRAME_PAYLOAD) throw new DataFormatError(`frame payload of ${total} bytes exceeds ${MAX_FRAME_PAYLOAD}`, 'oversize');
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const b of blocks) off = writeBlock(out, off, b);
  return out;
}

/** Where the payload came from: message 3 part 2 has stricter rules than the data phase. */
export type PayloadContext = 'message3' | 'data';

function decodeBlock(type: number, data: Buffer): Block {
  switch (type) {
    case BlockType.DateTime:
      if (data.length !== 4) throw new DataFormatError(`DateTime block of size ${data.length}, expected 4`, 'bad-block');
      return { type: BlockType.DateTime, timestamp: data.readUInt32BE(0) };
    case BlockType.Options: {
      if (data.length < 12) throw new DataFormatError(`Options block of size ${data.length}, minimum 12`, 'bad-block');
      return {
        type: BlockType.Options,
        tmin: data[0]!,
        tmax: data[1]!,
        rmin: data[2]!,
        rmax: data[3]!,
        tdmy: data.readUInt16BE(4),
        rdmy: data.readUInt16BE(6),
        tdelay: data.readUInt16BE(8),
        rdelay: data.readUInt16BE(10),
        more: data.subarray(12),
      };
    }
    case BlockType.RouterInfo:
      if (data.length < 2) throw new DataFormatError('RouterInfo block too short', 'bad-block');
      return { type: BlockType.RouterInfo, flood: (data[0]! & 1) === 1, routerInfo: data.subarray(1) };
    case BlockType.I2NP:
      if (data.length < I2NP_SHORT_HEADER) throw new DataFormatError(`I2NP block of size ${data.length}, minimum 9`, 'bad-block');
      return { type: BlockType.I2NP, message: decodeShort(data) };
    case BlockType.Termination:
      if (data.length < 9) throw new DataFormatError(`Termination block of size ${data.length}, minimum 9`, 'bad-block');
      return { type: BlockType.Termination, framesReceived: data.readBigUInt64BE(0), reason: data[8]!, extra: data.subarray(9) };
    case BlockType.Padding:
      return { type: BlockType.Padding, length: data.length };
    default:
      return { type: 'unknown', blockType: type, data };
  }
}

/**
 * Decodes a decrypted frame payload into blocks and enforces ntcp2.rst "Block Ordering Rules":
 * - data phase: at most one Padding block and it is last; Termination is last except for
 *   Padding; unknown block types are kept as 'unknown' (callers treat them as padding).
 * - message 3 part 2: RouterInfo first, then optional Options, then optional Padding; nothing
 *   else (unknown blocks are not allowed there).
 * Returned buffers are views into `payload`. Throws DataFormatError on any violation.
 */
export function decodeBlocks(payload: Buffer, context: PayloadContext = 'data'): Block[] {
  const r = new ByteReader(payload);
  const blocks: Block[] = [];
  let sawPadding = false;
  let sawTermination = false;
  while (r.remaining > 0) {
    const type = r.u8('block type');
    const size = r.u16('block size');
    const data = r.bytes(size, `block ${type} data`);
    if (sawPadding) throw new DataFormatError('block after Padding block', 'block-order');
    if (sawTermination && type !== BlockType.Padding) throw new DataFormatError('block after Termination block', 'block-order');
    const block = decodeBlock(type, data);
    if (block.type === BlockType.Padding) sawPadding = true;
    if (block.type === BlockType.Termination) sawTermination = true;
    blocks.push(block);
  }
  if (context === 'message3') checkMessage3Order(blocks);
  return blocks;
}

function checkMessage3Order(blocks: Block[]): void {
  // Allowed sequence: RouterInfo, [Options], [Padding] — each at most once, in this order.
  const allowed: Array<Block['type']> = [BlockType.RouterInfo, BlockType.Options, BlockType.Padding];
  let prev = -1;
  for (const b of blocks) {
    const at = allowed.indexOf(b.type);
    if (at < 0) throw new DataFormatError(`block type ${b.type === 'unknown' ? b.blockType : b.type} not allowed in message 3 part 2`, 'block-order');
    if (at <= prev || (prev === -1 && at !== 0)) throw new DataFormatError('message 3 part 2 blocks out of order or repeated', 'block-order');
    prev = at;
  }
  if (prev === -1) throw new DataFormatError('message 3 part 2 must start with a RouterInfo block', 'block-order');
}
