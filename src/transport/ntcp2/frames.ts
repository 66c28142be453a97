/**
 * NTCP2 data-phase framing (ntcp2.rst "Data Phase", "SipHash obfuscated length", "Raw contents"):
 *   obfuscated 2-byte big-endian length || ChaCha20-Poly1305(k, n, ad = empty, payload)
 * The length counts the ciphertext including the 16-byte MAC (16..65535). Each direction has its
 * own key, nonce counter (starting at 0) and SipHash mask chain.
 */
import { ChaCha20Poly1305, SipHashLengthMask } from '../../crypto/index.js';
import type { SipHashParams } from '../../crypto/noise.js';
import { AuthenticationError, ProtocolError } from '../../util/errors.js';
import { MAX_FRAME_PAYLOAD } from './blocks.js';

export const MAC_LENGTH = 16;
/** Smallest valid frame length (an empty payload plus MAC). */
export const MIN_FRAME_LENGTH = MAC_LENGTH;
export const MAX_FRAME_LENGTH = MAX_FRAME_PAYLOAD + MAC_LENGTH;

/** The nonce 2^64-1 must never be used; we stop far earlier (2^53), which no session reaches. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

/** A data-phase framing error: bad length field or AEAD failure. The session must end. */
export class FrameError extends ProtocolError {}

function lengthMask(sip: SipHashParams): SipHashLengthMask {
  return new SipHashLengthMask(sip.k1, sip.k2, sip.iv);
}

/** Sending half of the data phase. */
export class FrameEncoder {
  private readonly cipher: ChaCha20Poly1305;
  private readonly mask: SipHashLengthMask;
  /** Next nonce == number of frames sent. */
  nonce = 0;

  constructor(key: Uint8Array, sip: SipHashParams) {
    this.cipher = new ChaCha20Poly1305(key);
    this.mask = lengthMask(sip);
  }

  /** Encrypts one frame payload (concatenated blocks) and returns length field + ciphertext + MAC. */
  encrypt(payload: Uint8Array): Buffer {
    if (payload.length > MAX_FRAME_PAYLOAD) throw new FrameError('frame-too-large', `frame payload ${payload.length} > ${MAX_FRAME_PAYLOAD}`);
    if (this.nonce >= MAX_NONCE) throw new FrameError('nonce-exhausted', 'send nonce exhausted');
    const ct = this.cipher.encrypt(this.nonce++, undefined, payload);
    const out = Buffer.allocUnsafe(2 + ct.length);
    out.writeUInt16BE(ct.length ^ this.mask.next(), 0);
    ct.copy(out, 2);
    return out;
  }
}

/**
 * Receiving half: accepts arbitrary TCP chunks, returns the decrypted payloads of every complete
 * frame. Throws FrameError('frame-length') for a de-obfuscated length below 16 and
 * AuthenticationError('aead') for a bad MAC; after any error the decoder stays failed.
 */
export class FrameDecoder {
  private readonly cipher: ChaCha20Poly1305;
  private readonly mask: SipHashLengthMask;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being received, or -1 while waiting for the length field. */
  private pending = -1;
  private failed: ProtocolError | undefined;
  /** Number of valid frames received == the next receive nonce. */
  nonce = 0;

  constructor(key: Uint8Array, sip: SipHashParams) {
    this.cipher = new ChaCha20Poly1305(key);
    this.mask = lengthMask(sip);
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True while part of a frame (length field or body) has been received. */
  get midFrame(): boolean {
    return this.buffered > 0 || this.pending >= 0;
  }

  /**
   * Feeds bytes; returns the payloads of all complete frames. Throws on the first framing or
   * AEAD error (frames completed before it in the same call are lost; use pushSome to keep them).
   */
  push(data: Buffer): Buffer[] {
    const { payloads, error } = this.pushSome(data);
    if (error) throw error;
    return payloads;
  }

  /** Like push, but returns the frames decoded before an error together with the error. */
  pushSome(data: Buffer): { payloads: Buffer[]; error?: ProtocolError } {
    if (this.failed) return { payloads: [], error: this.failed };
    if (data.length > 0) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    const payloads: Buffer[] = [];
    try {
      for (;;) {
        if (this.pending < 0) {
          if (this.buffered < 2) break;
          const lenField = this.take(2);
          const len = lenField.readUInt16BE(0) ^ this.mask.next();
          if (len < MIN_FRAME_LENGTH) throw new FrameError('frame-length', `frame length ${len} below ${MIN_FRAME_LENGTH}`);
          this.pending = len;
        }
        if (this.buffered < this.pending) break;
        const frame = this.take(this.pending);
        this.pending = -1;
        if (this.nonce >= MAX_NONCE) throw new FrameError('nonce-exhausted', 'receive nonce exhausted');
        let payload: Buffer;
        try {
          payload = this.cipher.decrypt(this.nonce, undefined, frame);
        } catch (e) {
          throw e instanceof AuthenticationError ? new AuthenticationError('data phase frame AEAD failure', 'aead') : e;
        }
        this.nonce++;
        payloads.push(payload);
      }
    } catch (e) {
      this.failed = e instanceof ProtocolError ? e : new FrameError('frame-error', String(e));
      this.chunks = [];
      this.buffered = 0;
      return { payloads, error: this.failed };
    }
    return { payloads };
  }

  /** Removes and returns the first n buffered bytes (copying only when they span chunks). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let result: Buffer;
    if (first.length >= n) {
      result = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      result = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(result, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return result;
  }
}
