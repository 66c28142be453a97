/**
 * Pure NTCP2 data-phase session state: frame encryption/decryption in both directions, packing
 * queued I2NP messages into frames, and decoding received frames into blocks. No I/O; the
 * transport shell feeds it bytes and writes what it returns.
 */
import { randomBytes } from '../../crypto/index.js';
import type { NTCP2DataPhaseKeys } from '../../crypto/noise.js';
import type { I2NPMessage } from '../../i2np/message.js';
import {
  BLOCK_HEADER,
  BlockType,
  I2NP_SHORT_HEADER,
  MAX_BLOCK_DATA,
  MAX_FRAME_PAYLOAD,
  TerminationReason,
  blockSize,
  decodeBlocks,
  writeBlock,
  type Block,
} from './blocks.js';
import { FrameDecoder, FrameEncoder } from './frames.js';
import { ProtocolError } from '../../util/errors.js';

/** Default frame payload budget when packing I2NP messages: small frames keep receive latency low. */
export const DEFAULT_MAX_FRAME_PAYLOAD = 16 * 1024;
/** Largest padding block we add to a data frame (random 0..this). */
export const DEFAULT_MAX_PADDING = 32;

/** Largest I2NP message body that fits in one I2NP block. */
export const MAX_I2NP_BODY = MAX_BLOCK_DATA - I2NP_SHORT_HEADER;

export type Role = 'initiator' | 'responder';

/** Small pool of random bytes so per-frame padding sizes do not cost a syscall each. */
class RandomPool {
  private pool = Buffer.alloc(0);
  private pos = 0;
  byte(): number {
    if (this.pos >= this.pool.length) {
      this.pool = randomBytes(256);
      this.pos = 0;
    }
    return this.pool[this.pos++]!;
  }
}
const rng = new RandomPool();

/** Random padding length in [0, max]. */
function paddingLength(max: number): number {
  if (max <= 0) return 0;
  return ((rng.byte() << 8) | rng.byte()) % (max + 1);
}

export interface PackOptions {
  /** Target payload size per frame (default 16 KiB, never above 65519). */
  maxFramePayload?: number;
  /** Max random padding per frame (default 32; 0 disables padding blocks). */
  maxPadding?: number;
  /** Extra blocks to put at the start of the first frame (e.g. DateTime, RouterInfo). */
  leading?: Block[];
}

export interface PackResult {
  /** Concatenated encrypted frames, ready for one socket write. */
  data: Buffer;
  frames: number;
  messages: number;
  /** Messages too large for any frame (body > 65507 bytes); they were not sent. */
  oversize: I2NPMessage[];
}

export class NTCP2DataPhase {
  readonly encoder: FrameEncoder;
  readonly decoder: FrameDecoder;

  constructor(keys: NTCP2DataPhaseKeys, readonly role: Role) {
    // ntcp2.rst: Alice sends with k_ab / sipkeys_ab and receives with k_ba / sipkeys_ba.
    const send = role === 'initiator' ? { k: keys.kAB, sip: keys.sipAB } : { k: keys.kBA, sip: keys.sipBA };
    const recv = role === 'initiator' ? { k: keys.kBA, sip: keys.sipBA } : { k: keys.kAB, sip: keys.sipAB };
    this.encoder = new FrameEncoder(send.k, send.sip);
    this.decoder = new FrameDecoder(recv.k, recv.sip);
  }

  /** Encrypts one frame made of `blocks` (plus random padding unless maxPadding = 0). */
  encodeFrame(blocks: readonly Block[], maxPadding = DEFAULT_MAX_PADDING): Buffer {
    let size = 0;
    for (const b of blocks) size += blockSize(b);
    const room = MAX_FRAME_PAYLOAD - size - BLOCK_HEADER;
    const pad = maxPadding > 0 && room >= 0 ? paddingLength(Math.min(maxPadding, room)) : -1;
    const payload = Buffer.allocUnsafe(size + (pad >= 0 ? BLOCK_HEADER + pad : 0));
    let off = 0;
    for (const b of blocks) off = writeBlock(payload, off, b);
    if (pad >= 0) writeBlock(payload, off, { type: BlockType.Padding, length: pad });
    return this.encoder.encrypt(payload);
  }

  /**
   * Packs messages, in order, into as few frames as fit `maxFramePayload` each (a message bigger
   * than that gets a frame of its own, up to the 65519-byte limit) and encrypts them.
   */
  packMessages(msgs: readonly I2NPMessage[], opts: PackOptions = {}): PackResult {
    const maxPad = opts.maxPadding ?? DEFAULT_MAX_PADDING;
    const budget = Math.min(opts.maxFramePayload ?? DEFAULT_MAX_FRAME_PAYLOAD, MAX_FRAME_PAYLOAD);
    const frames: Buffer[] = [];
    const oversize: I2NPMessage[] = [];
    let current: Block[] = opts.leading ? [...opts.leading] : [];
    let currentSize = 0;
    for (const b of current) currentSize += blockSize(b);
    let sent = 0;
    const flush = (): void => {
      if (current.length === 0) return;
      frames.push(this.encodeFrame(current, maxPad));
      current = [];
      currentSize = 0;
    };
    for (const m of msgs) {
      if (m.payload.length > MAX_I2NP_BODY) {
        oversize.push(m);
        continue;
      }
      const block: Block = { type: BlockType.I2NP, message: m };
      const sz = BLOCK_HEADER + I2NP_SHORT_HEADER + m.payload.length;
      // Leave room for the padding block header so padding never pushes us past the hard limit.
      if (current.length > 0 && (currentSize + sz > budget || currentSize + sz + BLOCK_HEADER > MAX_FRAME_PAYLOAD)) flush();
      current.push(block);
      currentSize += sz;
      sent++;
    }
    flush();
    return { data: frames.length === 1 ? frames[0]! : Buffer.concat(frames), frames: frames.length, messages: sent, oversize };
  }

  /** A frame carrying a Termination block (ntcp2.rst "Termination"). */
  terminationFrame(reason: TerminationReason, extra: Buffer = Buffer.alloc(0)): Buffer {
    return this.encodeFrame([{ type: BlockType.Termination, framesReceived: BigInt(this.decoder.nonce), reason, extra }]);
  }

  /**
   * Feeds received bytes; returns the blocks of every complete frame (one array per frame). On a
   * framing/AEAD error (FrameError, AuthenticationError) or a payload format error
   * (DataFormatError) the frames before it are still returned, with the error; the session must
   * then be terminated.
   */
  receive(data: Buffer): { frames: Block[][]; error?: ProtocolError } {
    const { payloads, error } = this.decoder.pushSome(data);
    const frames: Block[][] = [];
    for (const p of payloads) {
      try {
        frames.push(decodeBlocks(p, 'data'));
      } catch (e) {
        if (e instanceof ProtocolError) return { frames, error: e };
        throw e;
      }
    }
    return error ? { frames, error } : { frames };
  }
}
