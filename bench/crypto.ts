/**
 * Crypto micro-benchmarks: throughput of each primitive as used by NTCP2 and the netDb.
 * `benchCrypto()` is called by bench/run.ts; `node dist/bench/crypto.js` runs it alone and
 * prints the figures as JSON. Figures are ops/s unless the name ends in _MBps (10^6 bytes/s).
 */
import {
  Aes256Ecb,
  ChaCha20Poly1305,
  Ed25519Signer,
  SipHashLengthMask,
  X25519KeyPair,
  aes256CbcEncrypt,
  ed25519Verify,
  hkdf,
  hmacSha256,
  randomBytes,
  sha256,
  sipHash24,
} from '../src/crypto/index.js';
// A naive BigInt transcription of SipHash, kept with the tests; timed here only for comparison.
import { sipHash24BigInt } from '../test/unit/crypto/siphash-reference.js';
import { runIfMain } from './run-if-main.js';

const SAMPLE_MS = 200;
const SAMPLES = 3;

/**
 * Calls per second of `fn`: after a warm-up, SAMPLES runs of growing batches of at least
 * SAMPLE_MS each, keeping the best. The machine is shared (builds and tests run alongside), so
 * the best sample is the least disturbed estimate of what the code itself costs.
 */
function opsPerSecond(fn: () => unknown): number {
  for (let i = 0; i < 50; i++) fn(); // warm-up, lets the JIT settle
  let best = 0;
  for (let s = 0; s < SAMPLES; s++) {
    let calls = 0;
    let batch = 16;
    const start = process.hrtime.bigint();
    let elapsedNs = 0;
    while (elapsedNs < SAMPLE_MS * 1e6) {
      for (let i = 0; i < batch; i++) fn();
      calls += batch;
      batch *= 2;
      elapsedNs = Number(process.hrtime.bigint() - start);
    }
    best = Math.max(best, calls / (elapsedNs / 1e9));
  }
  return best;
}

const round = (x: number): number => Math.round(x);
const mbps = (opsPerSec: number, bytes: number): number => Math.round((opsPerSec * bytes) / 1e5) / 10;

export async function benchCrypto(): Promise<Record<string, number | string>> {
  const r: Record<string, number | string> = {};

  // X25519: one keygen and three DH per NTCP2 handshake side.
  const peer = X25519KeyPair.generate();
  const ours = X25519KeyPair.generate();
  r.x25519_keygen_ops = round(opsPerSecond(() => X25519KeyPair.generate()));
  r.x25519_agree_ops = round(opsPerSecond(() => ours.agree(peer.publicKey)));
  const rawPrivate = randomBytes(32);
  r.x25519_from_private_ops = round(opsPerSecond(() => X25519KeyPair.fromPrivate(rawPrivate)));

  // Ed25519 over a RouterInfo-sized message (~1 KiB).
  const signer = Ed25519Signer.generate();
  const msg = randomBytes(1024);
  const sig = signer.sign(msg);
  r.ed25519_sign_1k_ops = round(opsPerSecond(() => signer.sign(msg)));
  r.ed25519_verify_1k_ops = round(opsPerSecond(() => ed25519Verify(signer.publicKey, msg, sig)));
  r.ed25519_from_private_ops = round(opsPerSecond(() => Ed25519Signer.fromPrivate(rawPrivate)));

  // ChaCha20-Poly1305 data-phase frames.
  const aead = new ChaCha20Poly1305(randomBytes(32));
  for (const [label, size] of [['64', 64], ['1k', 1024], ['16k', 16384]] as const) {
    const pt = randomBytes(size);
    let n = 0;
    const encOps = opsPerSecond(() => aead.encrypt(n++, undefined, pt));
    const frame = aead.encrypt(0, undefined, pt);
    const decOps = opsPerSecond(() => aead.decrypt(0, undefined, frame));
    r[`chacha20poly1305_encrypt_${label}_ops`] = round(encOps);
    r[`chacha20poly1305_encrypt_${label}_MBps`] = mbps(encOps, size);
    r[`chacha20poly1305_decrypt_${label}_MBps`] = mbps(decOps, size);
  }

  // AES-256: CBC bulk (tunnel layer / NTCP2 X obfuscation), ECB single blocks (tunnel IVs).
  const aesKey = randomBytes(32);
  const iv = randomBytes(16);
  for (const [label, size] of [['1k', 1024], ['16k', 16384]] as const) {
    const data = randomBytes(size);
    r[`aes256cbc_encrypt_${label}_MBps`] = mbps(opsPerSecond(() => aes256CbcEncrypt(aesKey, iv, data)), size);
  }
  const ecb = new Aes256Ecb(aesKey);
  const block = randomBytes(16);
  r.aes256ecb_block_ops = round(opsPerSecond(() => ecb.encryptBlock(block, block)));

  // SipHash: the NTCP2 length mask (one per frame), the Buffer API, and the BigInt reference.
  const mask = new SipHashLengthMask(randomBytes(8), randomBytes(8), randomBytes(8));
  r.siphash_mask_ops = round(opsPerSecond(() => mask.next()));
  const sipKey = randomBytes(16);
  const sipIn = randomBytes(8);
  r.siphash24_8byte_buffer_ops = round(opsPerSecond(() => sipHash24(sipKey, sipIn)));
  r.siphash24_8byte_bigint_reference_ops = round(opsPerSecond(() => sipHash24BigInt(sipKey, sipIn)));
  const sip1k = randomBytes(1024);
  r.siphash24_1k_MBps = mbps(opsPerSecond(() => sipHash24(sipKey, sip1k)), 1024);

  // Hashes.
  const h1k = randomBytes(1024);
  const ops = opsPerSecond(() => sha256(h1k));
  r.sha256_1k_ops = round(ops);
  r.sha256_1k_MBps = mbps(ops, 1024);
  const k32 = randomBytes(32);
  r.hmac_sha256_32_ops = round(opsPerSecond(() => hmacSha256(k32, k32)));
  r.hkdf_noise_64_ops = round(opsPerSecond(() => hkdf(k32, k32, '', 64)));

  r.note = 'ops/s unless _MBps (10^6 bytes/s); best of 3 samples; single thread; ' + `${process.version} ${process.arch}`;
  return r;
}

runIfMain(import.meta.url, benchCrypto);
