/**
 * Pieces shared by the NTCP2 initiator (Alice) and responder (Bob) handshake cores:
 * option blocks of messages 1 and 2, failure events, and RouterInfo checks for message 3.
 * See ntcp2.rst "1) SessionRequest", "2) SessionCreated", "3) SessionConfirmed".
 */
import { randomBytes } from '../../crypto/index.js';
import type { NTCP2DataPhase } from './data-phase.js';
import type { OptionsBlock } from './blocks.js';
import { TerminationReason } from './blocks.js';
import { RouterInfo } from '../../data/router-info.js';
import { ProtocolError } from '../../util/errors.js';

/** X (or Y) obfuscated (32) + options ChaChaPoly frame (16 + 16 MAC). */
export const HANDSHAKE_FIXED_LENGTH = 64;
/** Message 3 part 1: Alice's static key (32) + MAC. */
export const MESSAGE3_PART1_LENGTH = 48;
/** "Total length of both Message 3 AEAD frames (parts 1 and 2) is 65535 bytes". */
export const MAX_MESSAGE3_PART2_LENGTH = 65535 - MESSAGE3_PART1_LENGTH;
/**
 * Smallest plausible message 3 part 2: MAC + RouterInfo block header + flag + the smallest
 * RouterInfo (387-byte identity, 8-byte date, address count, peer count, empty mapping, 40-byte
 * signature). Anything shorter cannot hold a RouterInfo, so it is rejected at message 1.
 */
export const MIN_MESSAGE3_PART2_LENGTH = 16 + 4 + 387 + 8 + 1 + 1 + 2 + 40;
/** Padding we send in messages 1 and 2: i2pd 2.45.1 rejects messages longer than 287 bytes. */
export const MAX_SENT_HANDSHAKE_PADDING = 287 - HANDSHAKE_FIXED_LENGTH;
/** Padding we accept in messages 1 and 2 (spec: "may reject connections with excessive padding"). */
export const DEFAULT_MAX_ACCEPTED_PADDING = 1024;
/** ntcp2.rst "Clock Skew Guidelines": more than +/- 60 s is fatal. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;
/** i2pd rejects a RouterInfo in message 3 older than 90 minutes or more than 2 minutes ahead. */
export const MAX_ROUTER_INFO_AGE_MS = 90 * 60_000;
export const MAX_ROUTER_INFO_FUTURE_MS = 2 * 60_000;

/** Router hash (AES key) and published IV of Bob's NTCP2 address. */
export interface NTCP2Remote {
  routerHash: Buffer;
  staticKey: Buffer;
  iv: Buffer;
}

/** What the shell does with the socket after a handshake failure. */
export interface FailAction {
  /** 'reset' = abnormal close (TCP RST), as the spec asks for handshake errors. */
  close: 'reset' | 'end';
  /** Probing resistance: keep reading (and discarding) this many more bytes before closing. */
  readMore: number;
  /** Probing resistance: close after this delay at the latest (0 = as soon as readMore is met). */
  delayMs: number;
  /** Bytes to write before closing (a Termination frame once data-phase keys exist). */
  send?: Buffer;
}

export interface SendEvent {
  type: 'send';
  data: Buffer;
}

export interface FailEvent {
  type: 'fail';
  /** Counter label, e.g. 'msg1-aead', 'clock-skew', 'ri-signature'. */
  reason: string;
  message: string;
  action: FailAction;
  /** reason 'clock-skew' at Alice: Bob's clock minus ours, in ms (Bob's tsB resolution: 1 s). */
  peerClockSkewMs?: number;
}

export interface EstablishedEvent {
  type: 'established';
  dataPhase: NTCP2DataPhase;
  /** The peer's X25519 static key (Bob's as published, or Alice's from message 3). */
  remoteStaticKey: Buffer;
  /** Responder only: Alice's RouterInfo from message 3 (parsed and verified). */
  routerInfo?: RouterInfo;
  /** Responder only: the Options block of message 3, if Alice sent one. */
  options?: OptionsBlock;
  /** Bytes received after the handshake; they belong to the data phase. */
  extra: Buffer;
  /**
   * The peer's clock minus ours, ms, from its handshake timestamp (tsB in SessionCreated at Alice,
   * tsA in SessionRequest at Bob): one sample of our clock skew (1 s resolution, plus transit time).
   */
  peerClockSkewMs: number;
}

export type HandshakeEvent = SendEvent | FailEvent | EstablishedEvent;

/** A handshake check failed; `reason` is the counter label, `termination` the wire code. */
export class HandshakeError extends ProtocolError {
  constructor(
    code: string,
    message: string,
    readonly termination: TerminationReason = TerminationReason.Normal,
  ) {
    super(code, message);
  }
}

/** Message 1 options block (16 bytes, big-endian). */
export interface SessionRequestOptions {
  netId: number;
  version: number;
  padLen: number;
  m3p2Len: number;
  /** Unix seconds. */
  tsA: number;
}

export function encodeSessionRequestOptions(o: SessionRequestOptions): Buffer {
  const b = Buffer.alloc(16);
  b[0] = o.netId;
  b[1] = o.version;
  b.writeUInt16BE(o.padLen, 2);
  b.writeUInt16BE(o.m3p2Len, 4);
  // bytes 6-7 reserved
  b.writeUInt32BE(o.tsA >>> 0, 8);
  // bytes 12-15 reserved
  return b;
}

export function decodeSessionRequestOptions(b: Buffer): SessionRequestOptions {
  return { netId: b[0]!, version: b[1]!, padLen: b.readUInt16BE(2), m3p2Len: b.readUInt16BE(4), tsA: b.readUInt32BE(8) };
}

/** Message 2 options block (16 bytes, big-endian). */
export interface SessionCreatedOptions {
  padLen: number;
  /** Unix seconds. */
  tsB: number;
}

export function encodeSessionCreatedOptions(o: SessionCreatedOptions): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(o.padLen, 2);
  b.writeUInt32BE(o.tsB >>> 0, 8);
  return b;
}

export function decodeSessionCreatedOptions(b: Buffer): SessionCreatedOptions {
  return { padLen: b.readUInt16BE(2), tsB: b.readUInt32BE(8) };
}

/** ntcp2.rst DateTime: "Implementations must round to the nearest second". */
export function unixSeconds(nowMs: number): number {
  return Math.floor((nowMs + 500) / 1000);
}

/** True if a peer's timestamp (seconds) is within maxSkewMs of our clock. */
export function withinSkew(peerSeconds: number, nowMs: number, maxSkewMs: number): boolean {
  return Math.abs(peerSeconds * 1000 - nowMs) <= maxSkewMs;
}

/** Uniform random integer in [0, n). n must be <= 2^32. */
export function randomBelow(n: number): number {
  if (n <= 1) return 0;
  return randomBytes(4).readUInt32BE(0) % n;
}

/** Probing-resistance parameters (ntcp2.rst "AEAD Error Handling": ranges are TBD). */
export interface ProbingResistance {
  /** Read up to this many extra bytes (random, exclusive) before closing. */
  maxReadMore: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** Like i2pd: read a random amount below one handshake message, with a random deadline. */
export const DEFAULT_PROBING: ProbingResistance = { maxReadMore: 287, minDelayMs: 2_000, maxDelayMs: 8_000 };

export function probingAction(p: ProbingResistance): FailAction {
  const span = Math.max(0, p.maxDelayMs - p.minDelayMs);
  return { close: 'reset', readMore: randomBelow(p.maxReadMore), delayMs: p.minDelayMs + randomBelow(span + 1) };
}

export const RESET_NOW: FailAction = Object.freeze({ close: 'reset', readMore: 0, delayMs: 0 }) as FailAction;

export function failEvent(reason: string, message: string, action: FailAction): FailEvent {
  return { type: 'fail', reason, message, action };
}

/** Signature type 7 (EdDSA_SHA512_Ed25519) and crypto type 4 (ECIES_X25519) only. */
const SIG_TYPE_ED25519 = 7;
const CRYPTO_TYPE_X25519 = 4;

export interface RouterInfoCheck {
  netId: number;
  nowMs: number;
  /** Alice's static key from message 3 part 1 (must equal the RouterInfo's NTCP2 `s`). */
  staticKey?: Buffer;
  /** Our own router hash: a peer claiming it is rejected. */
  localHash?: Buffer;
}

/**
 * Parses and validates a RouterInfo received from a peer (ntcp2.rst "3) SessionConfirmed" notes:
 * supported signature type, valid signature, timestamp within bounds, NTCP2 static key matches).
 * Throws HandshakeError with the termination reason to report.
 */
export function checkPeerRouterInfo(raw: Buffer, c: RouterInfoCheck): RouterInfo {
  let ri: RouterInfo;
  try {
    ri = RouterInfo.parse(raw);
  } catch (e) {
    throw new HandshakeError('ri-invalid', `RouterInfo does not parse: ${(e as Error).message}`, TerminationReason.Message3Error);
  }
  const id = ri.identity;
  if (id.sigType !== SIG_TYPE_ED25519 || id.cryptoType !== CRYPTO_TYPE_X25519) {
    throw new HandshakeError(
      'ri-sigtype',
      `unsupported identity: signature type ${id.sigType}, crypto type ${id.cryptoType}`,
      TerminationReason.IncompatibleSignatureType,
    );
  }
  if (!ri.verify()) throw new HandshakeError('ri-signature', 'RouterInfo signature does not verify', TerminationReason.RouterInfoSignatureVerificationFail);
  if (ri.netId !== c.netId) throw new HandshakeError('ri-netid', `RouterInfo netId ${ri.netId}, expected ${c.netId}`, TerminationReason.IncompatibleOptions);
  if (c.localHash && ri.hash.equals(c.localHash)) throw new HandshakeError('ri-self', 'peer presents our own RouterInfo', TerminationReason.Banned);
  if (ri.published < c.nowMs - MAX_ROUTER_INFO_AGE_MS || ri.published > c.nowMs + MAX_ROUTER_INFO_FUTURE_MS) {
    throw new HandshakeError('ri-published', `RouterInfo published ${ri.published} too far from now ${c.nowMs}`, TerminationReason.Message3Error);
  }
  if (c.staticKey) {
    let ntcp2: ReturnType<RouterInfo['ntcp2']>;
    try {
      ntcp2 = ri.ntcp2();
    } catch {
      ntcp2 = undefined;
    }
    if (!ntcp2 || !ntcp2.staticKey || ntcp2.staticKey.length !== 32) {
      throw new HandshakeError('ri-static-key', 'RouterInfo has no NTCP2 static key', TerminationReason.StaticKeyMismatch);
    }
    if (!ntcp2.staticKey.equals(c.staticKey)) {
      throw new HandshakeError('ri-static-key', 'RouterInfo NTCP2 static key differs from the handshake key', TerminationReason.StaticKeyMismatch);
    }
  }
  return ri;
}

/**
 * Accumulates TCP chunks for the fixed-size handshake reads. Bounded by construction: the
 * cores consume as soon as enough bytes are there, and reject surplus where the spec forbids it.
 */
export class HandshakeBuffer {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }
  /** Removes and returns the first n bytes (caller checks length first). */
  take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }
  takeAll(): Buffer {
    return this.take(this.length);
  }
}
