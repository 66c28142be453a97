/**
 * Noise symmetric state (Noise revision 33, §5.2) as used by NTCP2, plus the NTCP2-specific
 * key derivations from ntcp2.rst ("KDF for handshake message 1", "... message 2 and message 3
 * part 1", "... message 3 part 2", "KDF for data phase").
 *
 * Only the symmetric half of Noise lives here; the DH operations and the message layouts are
 * done by the NTCP2 handshake cores, which call mixHash/mixKey/encryptAndHash in the order the
 * spec gives.
 */
import { ChaCha20Poly1305, hkdf, sha256 } from './index.js';

/** ntcp2.rst "KDF for handshake message 1": 48 bytes, US-ASCII, no NUL. */
export const NTCP2_PROTOCOL_NAME = 'Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256';

const EMPTY = Buffer.alloc(0);

/**
 * Noise SymmetricState with its embedded CipherState (k, n).
 * `n` is the 64-bit nonce counter; NTCP2 never gets close to 2^53 in a handshake.
 */
export class SymmetricState {
  /** Chaining key. */
  ck: Buffer;
  /** Handshake hash. */
  h: Buffer;
  private k: Buffer | undefined;
  private cipher: ChaCha20Poly1305 | undefined;
  /** Nonce of the embedded CipherState; reset to 0 by every MixKey. */
  n = 0;

  private constructor(ck: Buffer, h: Buffer) {
    this.ck = ck;
    this.h = h;
  }

  /**
   * InitializeSymmetric(protocol_name): h = name padded to 32 bytes if it fits, else
   * SHA256(name); ck = h. (The NTCP2 name is 48 bytes, so h = SHA256(name).)
   */
  static initialize(protocolName: string): SymmetricState {
    const name = Buffer.from(protocolName, 'ascii');
    let h: Buffer;
    if (name.length <= 32) {
      h = Buffer.alloc(32);
      name.copy(h);
    } else {
      h = sha256(name);
    }
    return new SymmetricState(Buffer.from(h), h);
  }

  /** An independent copy (used to cache the precomputable prefix of the handshake). */
  clone(): SymmetricState {
    const s = new SymmetricState(Buffer.from(this.ck), Buffer.from(this.h));
    if (this.k) s.setKey(this.k);
    s.n = this.n;
    return s;
  }

  get hasKey(): boolean {
    return this.k !== undefined;
  }

  /** MixHash(data): h = SHA256(h || data). */
  mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }

  /**
   * MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); k = temp_k; n = 0.
   * HKDF here is Noise's: temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01);
   * out2 = HMAC(temp, out1 || 0x02) — identical to RFC 5869 with salt = ck and empty info.
   */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const out = hkdf(this.ck, inputKeyMaterial, EMPTY, 64);
    this.ck = out.subarray(0, 32);
    this.setKey(out.subarray(32, 64));
  }

  /** EncryptAndHash(plaintext): c = ENCRYPT(k, n++, h, plaintext); MixHash(c). */
  encryptAndHash(plaintext: Uint8Array): Buffer {
    const c = this.requireCipher().encrypt(this.n, this.h, plaintext);
    this.n++;
    this.mixHash(c);
    return c;
  }

  /**
   * DecryptAndHash(ciphertext): p = DECRYPT(k, n++, h, c); MixHash(c).
   * Throws AuthenticationError (from the AEAD) on a bad tag; the state is then unusable,
   * which is fine because every NTCP2 AEAD failure aborts the handshake.
   */
  decryptAndHash(ciphertext: Uint8Array): Buffer {
    const p = this.requireCipher().decrypt(this.n, this.h, ciphertext);
    this.n++;
    this.mixHash(ciphertext);
    return p;
  }

  /**
   * Split(): temp_k1, temp_k2 = HKDF(ck, zerolen, 2). NTCP2 "KDF for data phase":
   * the first output is k_ab (Alice to Bob), the second k_ba.
   */
  split(): [Buffer, Buffer] {
    const out = hkdf(this.ck, EMPTY, EMPTY, 64);
    return [out.subarray(0, 32), out.subarray(32, 64)];
  }

  private setKey(k: Uint8Array): void {
    this.k = Buffer.from(k);
    this.cipher = new ChaCha20Poly1305(this.k);
    this.n = 0;
  }

  private requireCipher(): ChaCha20Poly1305 {
    if (!this.cipher) throw new Error('Noise CipherState has no key yet');
    return this.cipher;
  }
}

/** Per-direction SipHash parameters for the data-phase length obfuscation. */
export interface SipHashParams {
  k1: Buffer;
  k2: Buffer;
  iv: Buffer;
}

/** Everything the NTCP2 data phase needs, derived from the final handshake state. */
export interface NTCP2DataPhaseKeys {
  /** ChaChaPoly key for frames Alice sends to Bob. */
  kAB: Buffer;
  /** ChaChaPoly key for frames Bob sends to Alice. */
  kBA: Buffer;
  sipAB: SipHashParams;
  sipBA: SipHashParams;
}

let ntcp2Prefix: SymmetricState | undefined;

/**
 * The handshake state up to and including MixHash(null prologue); identical for every NTCP2
 * connection ("up until here, can all be precalculated by Alice for all outgoing connections").
 */
function ntcp2PrefixState(): SymmetricState {
  if (!ntcp2Prefix) {
    const s = SymmetricState.initialize(NTCP2_PROTOCOL_NAME);
    s.mixHash(EMPTY); // MixHash(null prologue): h = SHA256(h)
    ntcp2Prefix = s;
  }
  return ntcp2Prefix.clone();
}

/**
 * InitializeSymmetric + MixHash(prologue) + MixHash(rs), where rs is Bob's NTCP2 static key
 * (the "<- s" pre-message of XK). Bob can cache the result per static key; callers get a
 * fresh clone each time.
 */
export function ntcp2InitialState(bobStaticKey: Uint8Array): SymmetricState {
  if (bobStaticKey.length !== 32) throw new Error('NTCP2 static key must be 32 bytes');
  const s = ntcp2PrefixState();
  s.mixHash(bobStaticKey);
  return s;
}

function sipParams(b: Buffer): SipHashParams {
  // ntcp2.rst: sipk1 = [0:7], sipk2 = [8:15], sipiv = [16:23]; the remaining 8 bytes are unused.
  return { k1: b.subarray(0, 8), k2: b.subarray(8, 16), iv: b.subarray(16, 24) };
}

/**
 * ntcp2.rst "KDF for data phase", from the chaining key and the handshake hash h after
 * MixHash(message 3 part 2 ciphertext):
 *   k_ab, k_ba      = HKDF(ck, zerolen)                  (Split)
 *   ask_master      = HKDF(ck, zerolen, info="ask")      = HMAC(temp_key, "ask" || 0x01)
 *   sip_master      = HKDF(ask_master, h || "siphash")   (first output)
 *   sipkeys_ab, _ba = HKDF(sip_master, zerolen)
 */
export function ntcp2DataPhaseKeys(state: SymmetricState): NTCP2DataPhaseKeys {
  const [kAB, kBA] = state.split();
  const askMaster = hkdf(state.ck, EMPTY, 'ask', 32);
  const sipMaster = hkdf(askMaster, Buffer.concat([state.h, Buffer.from('siphash', 'ascii')]), EMPTY, 32);
  const sipKeys = hkdf(sipMaster, EMPTY, EMPTY, 64);
  return { kAB, kBA, sipAB: sipParams(sipKeys.subarray(0, 32)), sipBA: sipParams(sipKeys.subarray(32, 64)) };
}
