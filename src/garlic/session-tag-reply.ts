/**
 * AES-encrypted replies to DatabaseLookups from ElGamal requesters (i2np.rst DatabaseLookup
 * "Reply Encryption", flag bits 4,1 = 0,1, "ElG to ElG", as of 0.9.7): the requester puts a
 * 32-byte session key and 1-32 32-byte session tags in its lookup, and the reply comes back as
 * an ElGamal/AES+SessionTags "existing session" garlic message using the first tag:
 *
 *   Garlic body = length (4) || session tag (32) || AES-256-CBC(key, IV, AES block)
 *   IV          = first 16 bytes of SHA-256(session tag) (the tag is the "pre-IV")
 *   AES block   = tag count (2) = 0 || payload size (4) || SHA-256(payload) (32) || flag (1) = 0
 *                 || payload || padding to a multiple of 16 (at least 128 bytes in all)
 *   payload     = a Clove Set (i2np.rst "Garlic", decrypted form): count (1) || cloves ||
 *                 certificate (3, NULL) || message id (4) || expiration (Date, 8)
 *   clove       = delivery instructions || I2NP message (standard 16-byte header) ||
 *                 clove id (4) || expiration (Date, 8) || certificate (3, NULL)
 *
 * Source: the ElGamal/AES+SessionTag description (geti2p.net docs/how/elgamal-aes) for the AES
 * block and IV, i2np.rst "Garlic" and "GarlicClove" for the clove set. Not authenticated beyond
 * the SHA-256 of the payload (proposal 154 lists that as the reason for ECIES replies).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { aes256CbcDecrypt, aes256CbcEncrypt, sha256 } from '../crypto/index.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { AuthenticationError, DataFormatError } from '../util/errors.js';
import { readI2PDate, writeI2PDate } from '../data/date.js';
import { encodeStandard, readStandard, type I2NPMessage } from '../i2np/message.js';
import { LOCAL_DELIVERY, readDeliveryInstructions, writeDeliveryInstructions, type GarlicDeliveryInstructions } from './delivery-instructions.js';
import { frameGarlic, garlicData } from './garlic-message.js';

export const SESSION_TAG_LENGTH = 32;
const AES_BLOCK = 16;
/** i2np.rst Garlic notes: "The AES encrypted block is padded to a minimum of 128 bytes". */
const MIN_AES_BLOCK = 128;
const AES_HEADER = 2 + 4 + 32 + 1;
/** A session tag delivery block never carries more than this in practice (the lookup allows 32). */
const MAX_DELIVERED_TAGS = 200;
const FLAG_NEW_KEY = 0x01;

export interface ElGamalClove {
  delivery: GarlicDeliveryInstructions;
  message: I2NPMessage;
  cloveId: number;
  /** ms */
  expiration: number;
}

export interface CloveSet {
  cloves: ElGamalClove[];
  msgId: number;
  /** ms */
  expiration: number;
}

function writeNullCertificate(w: ByteWriter): void {
  w.u8(0).u16(0);
}

/** Reads a certificate and insists on NULL ("Always NULL in the current implementation"). */
function readNullCertificate(r: ByteReader, what: string): void {
  const type = r.u8(`${what} certificate type`);
  const length = r.u16(`${what} certificate length`);
  r.bytes(length, `${what} certificate`);
  if (type !== 0 || length !== 0) throw new DataFormatError(`${what} certificate is not NULL`, 'unsupported');
}

export function encodeCloveSet(s: CloveSet): Buffer {
  if (s.cloves.length > 255) throw new RangeError('at most 255 cloves');
  const w = new ByteWriter();
  w.u8(s.cloves.length);
  for (const c of s.cloves) {
    writeDeliveryInstructions(w, c.delivery);
    w.bytes(encodeStandard(c.message)).u32(c.cloveId);
    writeI2PDate(w, c.expiration);
    writeNullCertificate(w);
  }
  writeNullCertificate(w);
  w.u32(s.msgId);
  writeI2PDate(w, s.expiration);
  return w.toBuffer();
}

export function decodeCloveSet(payload: Buffer): CloveSet {
  const r = new ByteReader(payload);
  const count = r.u8('clove count');
  const cloves: ElGamalClove[] = [];
  for (let i = 0; i < count; i++) {
    const delivery = readDeliveryInstructions(r);
    const message = readStandard(r);
    const cloveId = r.u32('clove id');
    const expiration = readI2PDate(r);
    readNullCertificate(r, 'clove');
    cloves.push({ delivery, message, cloveId, expiration });
  }
  readNullCertificate(r, 'clove set');
  const msgId = r.u32('clove set message id');
  const expiration = readI2PDate(r);
  r.expectEnd('clove set');
  return { cloves, msgId, expiration };
}

function ivFor(tag: Uint8Array): Buffer {
  return sha256(tag).subarray(0, 16);
}

function checkKeyAndTag(key: Uint8Array, tag: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('session key must be 32 bytes');
  if (tag.length !== SESSION_TAG_LENGTH) throw new RangeError('session tag must be 32 bytes');
}

/** Encrypts a payload (a clove set) under key/tag; returns the Garlic message body. */
export function encryptSessionTagReply(key: Uint8Array, tag: Uint8Array, payload: Uint8Array): Buffer {
  checkKeyAndTag(key, tag);
  const unpadded = AES_HEADER + payload.length;
  const total = Math.max(MIN_AES_BLOCK, Math.ceil(unpadded / AES_BLOCK) * AES_BLOCK);
  const w = new ByteWriter();
  w.u16(0).u32(payload.length).bytes(sha256(payload)).u8(0).bytes(payload).bytes(randomBytes(total - unpadded));
  return frameGarlic(tag, aes256CbcEncrypt(key, ivFor(tag), w.toBuffer()));
}

/** The reply message as one LOCAL clove in a clove set, encrypted under key/tag. */
export function sealSessionTagReply(key: Uint8Array, tag: Uint8Array, message: I2NPMessage): Buffer {
  const ids = randomBytes(8);
  const set: CloveSet = {
    cloves: [{ delivery: LOCAL_DELIVERY, message, cloveId: ids.readUInt32BE(0), expiration: message.expiration }],
    msgId: ids.readUInt32BE(4) || randomInt(1, 0xffffffff),
    expiration: message.expiration,
  };
  return encryptSessionTagReply(key, tag, encodeCloveSet(set));
}

/**
 * Decrypts a body sealed for key/tag; returns the payload. DataFormatError for framing, a wrong
 * tag or an impossible AES block; AuthenticationError when the payload hash does not match
 * (the only integrity check this format has: tampering or another key).
 */
export function decryptSessionTagReply(key: Uint8Array, tag: Uint8Array, garlicBody: Buffer): Buffer {
  checkKeyAndTag(key, tag);
  const data = garlicData(garlicBody);
  if (data.length < SESSION_TAG_LENGTH + MIN_AES_BLOCK) throw new DataFormatError(`session-tag reply of ${data.length} bytes`, 'truncated');
  if (!data.subarray(0, SESSION_TAG_LENGTH).equals(tag)) throw new DataFormatError('session-tag reply with another tag', 'tag');
  const ct = data.subarray(SESSION_TAG_LENGTH);
  if (ct.length % AES_BLOCK !== 0) throw new DataFormatError('AES block not a multiple of 16 bytes', 'malformed');
  const r = new ByteReader(aes256CbcDecrypt(key, ivFor(tag), ct));
  try {
    const tags = r.u16('AES block tag count');
    if (tags > MAX_DELIVERED_TAGS) throw new DataFormatError(`AES block delivers ${tags} tags`, 'oversize');
    r.bytes(tags * SESSION_TAG_LENGTH, 'AES block tags');
    const size = r.u32('AES block payload size');
    const hash = r.bytes(32, 'AES block payload hash');
    const flag = r.u8('AES block flag');
    if (flag & FLAG_NEW_KEY) r.bytes(32, 'AES block new session key');
    const payload = r.bytes(size, 'AES block payload');
    if (r.remaining >= AES_BLOCK + MIN_AES_BLOCK) throw new DataFormatError('AES block padding too long', 'malformed');
    if (!sha256(payload).equals(hash)) throw new AuthenticationError('AES block payload hash mismatch', 'hash');
    return payload;
  } catch (e) {
    // With a wrong key every field is noise: report what it most likely is.
    if (e instanceof DataFormatError) throw new AuthenticationError(`AES block does not decode (${e.message})`, 'aes-block');
    throw e;
  }
}

/** decryptSessionTagReply, then the clove set decoded. */
export function openSessionTagReply(key: Uint8Array, tag: Uint8Array, garlicBody: Buffer): CloveSet {
  return decodeCloveSet(decryptSessionTagReply(key, tag, garlicBody));
}
