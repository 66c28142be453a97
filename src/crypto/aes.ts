/**
 * AES-256 over node:crypto, without padding (I2P always encrypts whole 16-byte blocks):
 * CBC for NTCP2's ephemeral-key obfuscation (ntcp2.rst message 1/2 "X"/"Y") and tunnel layer
 * encryption; ECB single blocks for the tunnel IV encryption (tunnel-implementation).
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { DataFormatError } from '../util/errors.js';

const BLOCK = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`AES-256 key must be 32 bytes, got ${key.length}`);
}

function checkBlocks(data: Uint8Array, what: string): void {
  if (data.length % BLOCK !== 0) {
    throw new DataFormatError(`${what}: ${data.length} bytes is not a whole number of AES blocks`);
  }
}

function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  checkKey(key);
  if (iv.length !== BLOCK) throw new RangeError(`AES-CBC IV must be 16 bytes, got ${iv.length}`);
  checkBlocks(data, encrypt ? 'AES-CBC plaintext' : 'AES-CBC ciphertext');
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  // Without padding, and with whole blocks, update() returns everything and final() nothing.
  return c.update(data);
}

/** AES-256-CBC encryption, no padding: `data` must be a multiple of 16 bytes. */
export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return cbc(true, key, iv, data);
}

/** AES-256-CBC decryption, no padding: `data` must be a multiple of 16 bytes. */
export function aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return cbc(false, key, iv, data);
}

/**
 * A reusable AES-256-ECB context. ECB has no chaining state, so one long-lived OpenSSL context per
 * direction serves every block: update() on a whole block with padding off returns that block at
 * once and final() is never called. Measured ~4x faster than a fresh createCipheriv per block.
 */
export class Aes256Ecb {
  private readonly enc: Cipher;
  private readonly key: Buffer;
  private dec: Decipher | undefined;

  constructor(key: Uint8Array) {
    checkKey(key);
    this.key = Buffer.from(key);
    this.enc = createCipheriv('aes-256-ecb', this.key, null);
    this.enc.setAutoPadding(false);
  }

  /** Encrypts one 16-byte block; writes it into `out` when given (may be `input` itself). */
  encryptBlock(input: Uint8Array): Buffer;
  encryptBlock<T extends Uint8Array>(input: Uint8Array, out: T): T;
  encryptBlock(input: Uint8Array, out?: Uint8Array): Uint8Array {
    return Aes256Ecb.block(this.enc, input, out);
  }

  /** Decrypts one 16-byte block; writes it into `out` when given (may be `input` itself). */
  decryptBlock(input: Uint8Array): Buffer;
  decryptBlock<T extends Uint8Array>(input: Uint8Array, out: T): T;
  decryptBlock(input: Uint8Array, out?: Uint8Array): Uint8Array {
    if (this.dec === undefined) {
      this.dec = createDecipheriv('aes-256-ecb', this.key, null);
      this.dec.setAutoPadding(false);
    }
    return Aes256Ecb.block(this.dec, input, out);
  }

  private static block(ctx: Cipher | Decipher, input: Uint8Array, out: Uint8Array | undefined): Uint8Array {
    if (input.length !== BLOCK) throw new RangeError(`AES block must be 16 bytes, got ${input.length}`);
    const result = ctx.update(input);
    if (out === undefined) return result;
    if (out.length < BLOCK) throw new RangeError('AES output block too small');
    out.set(result);
    return out;
  }
}
