/**
 * A deliberately naive SipHash-2-4 over BigInt, transcribed from the paper's pseudocode
 * (Aumasson & Bernstein 2012, §2). It shares no code with src/crypto/siphash.ts, so the two can
 * check each other; bench/crypto.ts also times it to show what the 32-bit-limb version buys.
 */
const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;

export function sipHash24BigInt(key: Uint8Array, m: Uint8Array): bigint {
  const kb = Buffer.from(key);
  const k0 = kb.readBigUInt64LE(0);
  const k1 = kb.readBigUInt64LE(8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const words: bigint[] = [];
  let i = 0;
  for (; i + 8 <= m.length; i += 8) words.push(Buffer.from(m.subarray(i, i + 8)).readBigUInt64LE(0));
  let last = BigInt(m.length & 0xff) << 56n;
  for (let j = 0; i + j < m.length; j++) last |= BigInt(m[i + j]!) << BigInt(8 * j);
  words.push(last);
  for (const w of words) {
    v3 ^= w;
    round();
    round();
    v0 ^= w;
  }
  v2 ^= 0xffn;
  for (let r = 0; r < 4; r++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}
