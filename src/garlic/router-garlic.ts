/**
 * Garlic messages to ECIES-X25519 routers (ecies-routers.rst, proposal 156): the one-way Noise
 * "N" pattern, Noise_N_25519_ChaChaPoly_SHA256, with a plain (not Elligator2-encoded) ephemeral
 * key, no sessions and no tag sets. This is how an anonymous sender (i2pd's netDb code, a client
 * destination) hands a DatabaseLookup or DatabaseStore to a floodfill through a tunnel:
 *
 *   Garlic body = length (4) || sepk (32) || ENCRYPT(k, n = 0, ad = h, payload) (payload + 16)
 *
 *   h  = SHA256(SHA256(protocol_name padded to 32) || hepk || sepk)       (prologue is empty)
 *   ck = protocol_name padded to 32
 *   k  = HKDF(ck, DH(sesk, hepk), "", 64)[32:64]                          (Noise MixKey)
 *
 * hepk is the receiving router's X25519 encryption key from its RouterIdentity. The payload is
 * ratchet blocks (ecies.rst "Payload"); ecies-routers.rst asks for a DateTime block in every
 * message "for replay prevention".
 *
 * Replay protection here: a DateTime block, when present, must be within `maxSkewMs` of now
 * (RouterGarlicReceiver can also insist on one); and every ephemeral key seen is remembered for
 * twice that window (bounded), so the same message cannot be accepted twice while its DateTime is
 * still acceptable.
 */
import { X25519KeyPair } from '../crypto/index.js';
import { SymmetricState } from '../crypto/noise.js';
import { DataFormatError, ProtocolError } from '../util/errors.js';
import type { I2NPMessage } from '../i2np/message.js';
import { LOCAL_DELIVERY, type GarlicDeliveryInstructions } from './delivery-instructions.js';
import { frameGarlic, garlicData } from './garlic-message.js';
import { decodeRatchetPayload, encodeRatchetPayload, type RatchetBlock } from './ratchet-payload.js';

export const NOISE_N_PROTOCOL_NAME = 'Noise_N_25519_ChaChaPoly_SHA256';
const KEY_LENGTH = 32;
const MAC_LENGTH = 16;

let prefix: SymmetricState | undefined;

/** InitializeSymmetric + MixHash(empty prologue): the same for every router and message. */
function prefixState(): SymmetricState {
  if (!prefix) {
    const s = SymmetricState.initialize(NOISE_N_PROTOCOL_NAME);
    s.mixHash(Buffer.alloc(0));
    prefix = s;
  }
  return prefix.clone();
}

/** The state after MixHash(hepk), which the receiving router can compute once. */
function routerState(routerPublicKey: Uint8Array): SymmetricState {
  if (routerPublicKey.length !== KEY_LENGTH) throw new RangeError('router encryption key must be 32 bytes');
  const s = prefixState();
  s.mixHash(routerPublicKey);
  return s;
}

/**
 * Encrypts an encoded ratchet payload to a router's X25519 key; returns the Garlic body.
 * `ephemeral` is for known-answer tests; a fresh key is generated per message otherwise
 * ("Ephemeral keys must be unique per message").
 */
export function encryptGarlicForRouter(routerPublicKey: Uint8Array, plaintext: Uint8Array, ephemeral: X25519KeyPair = X25519KeyPair.generate()): Buffer {
  const s = routerState(routerPublicKey);
  s.mixHash(ephemeral.publicKey);
  s.mixKey(ephemeral.agree(routerPublicKey));
  return frameGarlic(ephemeral.publicKey, s.encryptAndHash(plaintext));
}

export interface RouterGarlicClove {
  message: I2NPMessage;
  /** Default LOCAL: for the receiving router itself. */
  delivery?: GarlicDeliveryInstructions;
}

/** A DateTime block (now), the cloves, and `padding` bytes of padding, encrypted to the router. */
export function sealGarlicForRouter(routerPublicKey: Uint8Array, items: readonly RouterGarlicClove[], now: number, padding = 0): Buffer {
  const blocks: RatchetBlock[] = [{ type: 'datetime', timestamp: now }];
  for (const c of items) blocks.push({ type: 'clove', clove: { delivery: c.delivery ?? LOCAL_DELIVERY, message: c.message } });
  if (padding > 0) blocks.push({ type: 'padding', length: padding });
  return encryptGarlicForRouter(routerPublicKey, encodeRatchetPayload(blocks));
}

export interface RouterGarlicReceiverOptions {
  /** Our router's X25519 encryption key pair (the one in our RouterIdentity). */
  key: X25519KeyPair;
  /** A DateTime block further than this from now is refused; default 5 minutes. */
  maxSkewMs?: number;
  /** Refuse messages without a DateTime block; default false (see the module comment). */
  requireDateTime?: boolean;
  /** Ephemeral keys remembered for replay detection; default 20,000. */
  maxReplayEntries?: number;
}

export type RouterGarlicCounters = Record<'opened' | 'malformed' | 'authFailed' | 'replayed' | 'stale' | 'noDateTime' | 'replayEvicted', number>;

/**
 * Opens Garlic messages addressed to our router. Pure apart from the replay memory: time comes
 * in with each call. Throws DataFormatError (framing, payload), AuthenticationError (AEAD or a
 * low-order ephemeral key), or ProtocolError with code 'replay' / 'stale' / 'no-datetime'.
 */
export class RouterGarlicReceiver {
  readonly counters: RouterGarlicCounters = { opened: 0, malformed: 0, authFailed: 0, replayed: 0, stale: 0, noDateTime: 0, replayEvicted: 0 };
  private readonly key: X25519KeyPair;
  private readonly initial: SymmetricState;
  private readonly maxSkewMs: number;
  private readonly requireDateTime: boolean;
  private readonly maxReplayEntries: number;
  /** hex ephemeral key -> time it may be forgotten; insertion order is arrival order. */
  private readonly seen = new Map<string, number>();

  constructor(opts: RouterGarlicReceiverOptions) {
    this.key = opts.key;
    this.initial = routerState(opts.key.publicKey);
    this.maxSkewMs = opts.maxSkewMs ?? 5 * 60_000;
    this.requireDateTime = opts.requireDateTime ?? false;
    this.maxReplayEntries = opts.maxReplayEntries ?? 20_000;
  }

  /** Whether a Garlic body could be for us in this format (length framing, room for key and MAC). */
  static looksLikeRouterGarlic(garlicBody: Buffer): boolean {
    return garlicBody.length >= 4 + KEY_LENGTH + MAC_LENGTH && garlicBody.readUInt32BE(0) === garlicBody.length - 4;
  }

  open(garlicBody: Buffer, now: number): RatchetBlock[] {
    let data: Buffer;
    try {
      data = garlicData(garlicBody);
      if (data.length < KEY_LENGTH + MAC_LENGTH) throw new DataFormatError(`router garlic of ${data.length} bytes`, 'truncated');
    } catch (e) {
      this.counters.malformed++;
      throw e;
    }
    const epk = data.subarray(0, KEY_LENGTH);
    const id = epk.toString('hex');
    this.forget(now);
    if (this.seen.has(id)) {
      this.counters.replayed++;
      throw new ProtocolError('replay', 'router garlic: ephemeral key seen before');
    }
    let plaintext: Buffer;
    try {
      const s = this.initial.clone();
      s.mixHash(epk);
      s.mixKey(this.key.agree(epk));
      plaintext = s.decryptAndHash(data.subarray(KEY_LENGTH));
    } catch (e) {
      if (e instanceof ProtocolError) this.counters.authFailed++;
      throw e;
    }
    let blocks: RatchetBlock[];
    try {
      blocks = decodeRatchetPayload(plaintext);
    } catch (e) {
      this.counters.malformed++;
      throw e;
    }
    const dt = blocks.find((b): b is Extract<RatchetBlock, { type: 'datetime' }> => b.type === 'datetime');
    if (!dt) {
      this.counters.noDateTime++;
      if (this.requireDateTime) throw new ProtocolError('no-datetime', 'router garlic without a DateTime block');
    } else if (Math.abs(dt.timestamp - now) > this.maxSkewMs) {
      this.counters.stale++;
      throw new ProtocolError('stale', `router garlic DateTime ${dt.timestamp} is ${Math.round((now - dt.timestamp) / 1000)} s from now`);
    }
    this.remember(id, now);
    this.counters.opened++;
    return blocks;
  }

  private remember(id: string, now: number): void {
    while (this.seen.size >= this.maxReplayEntries) {
      this.seen.delete(this.seen.keys().next().value!);
      this.counters.replayEvicted++;
    }
    this.seen.set(id, now + 2 * this.maxSkewMs);
  }

  /** Entries are in arrival order, so expired ones are at the front. */
  private forget(now: number): void {
    for (const [id, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(id);
    }
  }
}
