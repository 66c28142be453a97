/**
 * The cryptography of ECIES tunnel build records (tunnel-creation-ecies.rst), shared by the hop
 * (build-request.ts) and the creator (build-creator.ts):
 *
 * - Request records: Noise "N" (Noise_N_25519_ChaChaPoly_SHA256) from the creator's per-record
 *   ephemeral key to the hop's X25519 router key ("KDF for Initial ck and h", "KDF for Request
 *   Record"). Encrypted record = hop's truncated hash (16) || sepk (32) || ENCRYPT(k, 0, h, clear).
 * - The short-record KDF ("KDF" under "Short Record Specification") that derives the reply key,
 *   the tunnel layer key and IV key, and (OBEP) the garlic reply key and tag from the final ck.
 * - The symmetric layer each hop puts over the records that are not its own ("Symmetric
 *   Encryption of Records", "Record Encryption"): AES-256-CBC with the record's reply key and IV
 *   for long records, ChaCha20 (no MAC) keyed by the reply key with the record number in the
 *   nonce for short ones. The creator runs the inverse of both: to pre-"decrypt" request records
 *   and to peel replies.
 */
import { createCipheriv } from 'node:crypto';
import { aes256CbcDecrypt, aes256CbcEncrypt, hkdf, X25519KeyPair } from '../../crypto/index.js';
import { SymmetricState } from '../../crypto/noise.js';
import { NOISE_N_PROTOCOL_NAME } from '../../garlic/router-garlic.js';

export const TRUNCATED_HASH_LENGTH = 16;
export const EPHEMERAL_KEY_OFFSET = 16;
export const ENCRYPTED_PART_OFFSET = 48;
export const MAC_LENGTH = 16;
const KEY_LENGTH = 32;
const EMPTY = Buffer.alloc(0);

let prefix: SymmetricState | undefined;

/**
 * h and ck after InitializeSymmetric("Noise_N_25519_ChaChaPoly_SHA256") and MixHash(hepk): "up
 * until here, can all be precalculated by each router for all incoming build requests". Callers
 * get their own state (clone it before each record).
 */
export function buildRecordInitialState(hopPublicKey: Uint8Array): SymmetricState {
  if (hopPublicKey.length !== KEY_LENGTH) throw new RangeError('hop encryption key must be 32 bytes');
  if (!prefix) {
    const s = SymmetricState.initialize(NOISE_N_PROTOCOL_NAME);
    s.mixHash(EMPTY); // MixHash(null prologue)
    prefix = s;
  }
  const s = prefix.clone();
  s.mixHash(hopPublicKey);
  return s;
}

/** The Noise state a record leaves behind: ck for the reply keys, h as the reply's AEAD ad. */
export interface RecordNoiseResult {
  /** Chaining key after MixKey(DH): the long reply AEAD key, the short KDF's input. */
  ck: Buffer;
  /** h after MixHash(ciphertext): the associated data of the reply record. */
  h: Buffer;
}

/**
 * Encrypts a request record cleartext (464 or 154 bytes) to a hop: returns the whole encrypted
 * record (528 or 218 bytes) and the state both sides derive reply keys from. `ephemeral` must be
 * unique per record ("Ephemeral keys must be unique per ECIES hop, and per build record").
 */
export function sealRequestRecord(
  hopIdentHash: Uint8Array,
  hopPublicKey: Uint8Array,
  cleartext: Uint8Array,
  ephemeral: X25519KeyPair = X25519KeyPair.generate(),
): RecordNoiseResult & { record: Buffer } {
  const s = buildRecordInitialState(hopPublicKey);
  s.mixHash(ephemeral.publicKey); // e
  s.mixKey(ephemeral.agree(hopPublicKey)); // es
  const ct = s.encryptAndHash(cleartext); // ad = h, n = 0; then MixHash(ciphertext)
  const record = Buffer.concat([hopIdentHash.subarray(0, TRUNCATED_HASH_LENGTH), ephemeral.publicKey, ct]);
  return { record, ck: s.ck, h: s.h };
}

/**
 * The hop's side of sealRequestRecord: DH with our router key, AEAD-decrypt. Throws
 * AuthenticationError on a bad MAC or a low-order ephemeral key.
 */
export function openRequestRecord(initial: SymmetricState, key: X25519KeyPair, record: Buffer): RecordNoiseResult & { cleartext: Buffer } {
  const epk = record.subarray(EPHEMERAL_KEY_OFFSET, ENCRYPTED_PART_OFFSET);
  const s = initial.clone();
  s.mixHash(epk);
  s.mixKey(key.agree(epk));
  const cleartext = s.decryptAndHash(record.subarray(ENCRYPTED_PART_OFFSET));
  return { cleartext, ck: s.ck, h: s.h };
}

/** Keys a short record's chaining key yields. */
export interface ShortRecordKeys {
  /** ChaCha20-Poly1305 key of the hop's reply record and ChaCha20 key of its layer over the others. */
  replyKey: Buffer;
  /** AES-256 tunnel layer key. */
  layerKey: Buffer;
  /** AES-256 tunnel IV key. */
  ivKey: Buffer;
  /** OBEP only: the Existing Session key and 8-byte tag the OutboundTunnelBuildReply is garlic-wrapped with. */
  garlicReplyKey?: Buffer;
  garlicReplyTag?: Buffer;
}

/**
 * tunnel-creation-ecies.rst "KDF" (short records):
 *   keydata = HKDF(ck, ZEROLEN, "SMTunnelReplyKey", 64); replyKey = keydata[32:63]; ck = keydata[0:31]
 *   keydata = HKDF(ck, ZEROLEN, "SMTunnelLayerKey", 64); layerKey = keydata[32:63]
 *   non-OBEP: ivKey = keydata[0:31]
 *   OBEP:     ck = keydata[0:31]; keydata = HKDF(ck, ZEROLEN, "TunnelLayerIVKey", 64); ivKey = keydata[32:63]
 *             ck = keydata[0:31]; keydata = HKDF(ck, ZEROLEN, "RGarlicKeyAndTag", 64)
 *             garlicReplyKey = keydata[32:63]; garlicReplyTag = keydata[0:7]
 */
export function deriveShortRecordKeys(ck: Uint8Array, outboundEndpoint: boolean): ShortRecordKeys {
  const reply = hkdf(ck, EMPTY, 'SMTunnelReplyKey', 64);
  const layer = hkdf(reply.subarray(0, 32), EMPTY, 'SMTunnelLayerKey', 64);
  const keys: ShortRecordKeys = { replyKey: reply.subarray(32, 64), layerKey: layer.subarray(32, 64), ivKey: layer.subarray(0, 32) };
  if (outboundEndpoint) {
    const iv = hkdf(layer.subarray(0, 32), EMPTY, 'TunnelLayerIVKey', 64);
    keys.ivKey = iv.subarray(32, 64);
    const garlic = hkdf(iv.subarray(0, 32), EMPTY, 'RGarlicKeyAndTag', 64);
    keys.garlicReplyKey = garlic.subarray(32, 64);
    keys.garlicReplyTag = garlic.subarray(0, 8);
  }
  return keys;
}

/**
 * "STREAM ChaCha20" of the spec (encryptedleaseset.rst: RFC 7539 §2.4 with the initial block
 * counter set to 1) with "iv = 12 bytes, all zeros except iv[4] = n". OpenSSL's chacha20 takes a
 * 16-byte IV: block counter (4, little-endian) || nonce (12). Encrypts `data` in place.
 */
export function chacha20RecordInPlace(key: Uint8Array, recordIndex: number, data: Buffer): void {
  const iv = Buffer.alloc(16);
  iv[0] = 1; // counter = 1
  iv[4 + 4] = recordIndex; // nonce[4] = n
  const c = createCipheriv('chacha20', key, iv);
  const out = c.update(data);
  data.set(out);
}

/** How one hop layers the records that are not its own, and how the creator removes that layer. */
export type ReplyLayer =
  | { format: 'long'; replyKey: Buffer; replyIv: Buffer }
  | { format: 'short'; replyKey: Buffer };

/**
 * What a hop does to every other record ("decryption: cipher run in encryption mode"): AES-256-CBC
 * encryption with its reply key and IV, not chained across records (long); ChaCha20 with the
 * record number as nonce (short). In place.
 */
export function applyReplyLayer(layer: ReplyLayer, recordIndex: number, record: Buffer): void {
  if (layer.format === 'long') record.set(aes256CbcEncrypt(layer.replyKey, layer.replyIv, record));
  else chacha20RecordInPlace(layer.replyKey, recordIndex, record);
}

/** The inverse of applyReplyLayer, run by the creator ("encryption: cipher run in decryption mode"). */
export function removeReplyLayer(layer: ReplyLayer, recordIndex: number, record: Buffer): void {
  if (layer.format === 'long') record.set(aes256CbcDecrypt(layer.replyKey, layer.replyIv, record));
  else chacha20RecordInPlace(layer.replyKey, recordIndex, record); // a stream cipher is its own inverse
}
