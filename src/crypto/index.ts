/** The crypto layer: one module per primitive, all over node:crypto except SipHash. */
export { sha256, hmacSha256, hkdf } from './hash.js';
export { ChaCha20Poly1305, chacha20Poly1305Encrypt, chacha20Poly1305Decrypt } from './chacha20-poly1305.js';
export { aes256CbcEncrypt, aes256CbcDecrypt, Aes256Ecb } from './aes.js';
export { X25519KeyPair, x25519 } from './x25519.js';
export { Ed25519Signer, ed25519Verify } from './ed25519.js';
export { sipHash24, SipHashLengthMask } from './siphash.js';
export { randomBytes } from './random.js';
