/**
 * ECIES-encrypted replies to DatabaseLookups (proposal 154; i2np.rst DatabaseLookup "Reply
 * Encryption", "ECIES to ElG" and "ECIES to ECIES (0.9.49)"; ecies-routers.rst "Reply
 * encryption"). The requester puts a random 32-byte key and one random 8-byte tag in its lookup
 * (flag bits 4,1 = 1,0); the reply (DatabaseStore or DatabaseSearchReply) comes back as an
 * ECIES Existing Session message (ecies.rst "1h) Existing session format") inside a Garlic
 * message:
 *
 *   Garlic body = length (4) || tag (8) || ENCRYPT(k = reply key, n = 0, ad = tag, payload)
 *
 * where payload is ratchet blocks: one Garlic Clove with LOCAL delivery instructions carrying
 * the reply I2NP message (short 9-byte header), then optional Padding. No tag set is created:
 * the key and tag serve exactly one message, so the nonce is always 0.
 */
import { randomInt } from 'node:crypto';
import { chacha20Poly1305Decrypt, chacha20Poly1305Encrypt } from '../crypto/index.js';
import { DataFormatError } from '../util/errors.js';
import type { I2NPMessage } from '../i2np/message.js';
import { LOCAL_DELIVERY } from './delivery-instructions.js';
import { frameGarlic, garlicData } from './garlic-message.js';
import { cloves, decodeRatchetPayload, encodeRatchetPayload, type RatchetBlock } from './ratchet-payload.js';

export const REPLY_KEY_LENGTH = 32;
export const REPLY_TAG_LENGTH = 8;
const MAC_LENGTH = 16;
/** n = 0: "n :: 0" in the spec's AEAD parameters; the nonce is 4 zero bytes || 0 as uint64 LE. */
const ZERO_NONCE = Buffer.alloc(12);

function checkKeyAndTag(key: Uint8Array, tag: Uint8Array): void {
  if (key.length !== REPLY_KEY_LENGTH) throw new RangeError('reply key must be 32 bytes');
  if (tag.length !== REPLY_TAG_LENGTH) throw new RangeError('reply tag must be 8 bytes');
}

/** Encrypts an already encoded ratchet payload; returns the Garlic message body. */
export function encryptOneTimeReply(key: Uint8Array, tag: Uint8Array, plaintext: Uint8Array): Buffer {
  checkKeyAndTag(key, tag);
  return frameGarlic(tag, chacha20Poly1305Encrypt(key, ZERO_NONCE, tag, plaintext));
}

export interface SealOptions {
  /** Padding block length; default random 0-15 ("Padding default is 0-15 bytes", ecies.rst). */
  padding?: number;
}

/**
 * The Garlic message body carrying `message` (e.g. a DatabaseStore or DatabaseSearchReply) to
 * whoever holds `key`/`tag`, as a LOCAL clove followed by a padding block.
 */
export function sealOneTimeReply(key: Uint8Array, tag: Uint8Array, message: I2NPMessage, opts: SealOptions = {}): Buffer {
  const blocks: RatchetBlock[] = [{ type: 'clove', clove: { delivery: LOCAL_DELIVERY, message } }];
  const padding = opts.padding ?? randomInt(0, 16);
  if (padding > 0) blocks.push({ type: 'padding', length: padding });
  return encryptOneTimeReply(key, tag, encodeRatchetPayload(blocks));
}

/** The 8-byte tag a Garlic body would be decrypted with (a view), or undefined if too short. */
export function oneTimeReplyTag(garlicBody: Buffer): Buffer | undefined {
  try {
    const data = garlicData(garlicBody);
    return data.length >= REPLY_TAG_LENGTH + MAC_LENGTH ? data.subarray(0, REPLY_TAG_LENGTH) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decrypts a Garlic body sealed for `key`/`tag` and returns the plaintext ratchet payload.
 * Throws DataFormatError if the framing is wrong or the tag is not `tag`, AuthenticationError if
 * the AEAD does not verify (tampering, or another key).
 */
export function decryptOneTimeReply(key: Uint8Array, tag: Uint8Array, garlicBody: Buffer): Buffer {
  checkKeyAndTag(key, tag);
  const data = garlicData(garlicBody);
  if (data.length < REPLY_TAG_LENGTH + MAC_LENGTH) throw new DataFormatError(`one-time reply of ${data.length} bytes`, 'truncated');
  if (!data.subarray(0, REPLY_TAG_LENGTH).equals(tag)) throw new DataFormatError('one-time reply with another tag', 'tag');
  return chacha20Poly1305Decrypt(key, ZERO_NONCE, tag, data.subarray(REPLY_TAG_LENGTH));
}

/** decryptOneTimeReply, then the payload's blocks decoded (hostile-input checked). */
export function openOneTimeReply(key: Uint8Array, tag: Uint8Array, garlicBody: Buffer): RatchetBlock[] {
  return decodeRatchetPayload(decryptOneTimeReply(key, tag, garlicBody));
}

export interface ReplyKeysOptions {
  /** Most (tag, key) pairs kept; the oldest are dropped beyond it. Default 1024. */
  maxEntries?: number;
}

/**
 * The (tag -> key) pairs a requester has put in its own lookups and is waiting to see replies
 * for. Each pair opens exactly one message and is then forgotten (it is one-time by design, and
 * a replayed reply must not be accepted twice). Bounded: expired pairs go first, then the oldest.
 * A pair may carry a context `C` for the caller (e.g. which floodfill was asked: a reply through
 * a tunnel says nothing about who sent it, but only that floodfill was given the key).
 */
export class OneTimeReplyKeys<C = undefined> {
  readonly counters = { expected: 0, opened: 0, unknownTag: 0, failed: 0, expired: 0, evicted: 0 };
  private readonly byTag = new Map<string, { key: Buffer; expires: number; context: C | undefined }>();
  private readonly maxEntries: number;

  constructor(opts: ReplyKeysOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 1024;
  }

  get size(): number {
    return this.byTag.size;
  }

  /** Remembers a pair until `expires` (ms). */
  expect(tag: Uint8Array, key: Uint8Array, expires: number, now: number, context?: C): void {
    checkKeyAndTag(key, tag);
    if (this.byTag.size >= this.maxEntries) this.expire(now);
    while (this.byTag.size >= this.maxEntries) {
      this.byTag.delete(this.byTag.keys().next().value!);
      this.counters.evicted++;
    }
    this.byTag.set(Buffer.from(tag).toString('hex'), { key: Buffer.from(key), expires, context });
    this.counters.expected++;
  }

  /** Whether this Garlic body carries one of our tags (without consuming it). */
  has(garlicBody: Buffer): boolean {
    const tag = oneTimeReplyTag(garlicBody);
    return tag !== undefined && this.byTag.has(tag.toString('hex'));
  }

  /**
   * Opens a Garlic body with the pair its tag names, consuming the pair whatever the outcome
   * (a failed decryption means the reply was tampered with; a second try cannot help).
   * undefined when the tag is not ours (or expired). Throws the errors of openOneTimeReply.
   */
  open(garlicBody: Buffer, now: number): RatchetBlock[] | undefined {
    return this.openReply(garlicBody, now)?.blocks;
  }

  /** open(), also returning the context the pair was registered with. */
  openReply(garlicBody: Buffer, now: number): { blocks: RatchetBlock[]; context: C | undefined } | undefined {
    const tag = oneTimeReplyTag(garlicBody);
    const id = tag?.toString('hex');
    const entry = id === undefined ? undefined : this.byTag.get(id);
    if (!tag || !entry || id === undefined) {
      this.counters.unknownTag++;
      return undefined;
    }
    this.byTag.delete(id);
    if (entry.expires <= now) {
      this.counters.expired++;
      return undefined;
    }
    try {
      const blocks = openOneTimeReply(entry.key, tag, garlicBody);
      this.counters.opened++;
      return { blocks, context: entry.context };
    } catch (e) {
      this.counters.failed++;
      throw e;
    }
  }

  /** Drops expired pairs; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [id, e] of this.byTag) {
      if (e.expires > now) continue;
      this.byTag.delete(id);
      n++;
    }
    this.counters.expired += n;
    return n;
  }
}

/** The I2NP messages of the LOCAL cloves in a decoded reply (what a requester acts on). */
export function localMessages(blocks: readonly RatchetBlock[]): I2NPMessage[] {
  return cloves(blocks)
    .filter((c) => c.delivery.kind === 'local')
    .map((c) => c.message);
}
