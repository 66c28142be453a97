/**
 * Random bytes for the tunnel data path (IVs, padding, message ids) drawn from a pooled
 * node:crypto randomBytes buffer: one CSPRNG call per few KiB instead of three per tunnel
 * message. A refill allocates a new pool and never overwrites handed-out bytes, so a returned
 * view stays valid for as long as the caller keeps it.
 */
import { randomBytes } from '../crypto/index.js';

export type RandomSource = (n: number) => Buffer;

export function pooledRandom(poolSize = 16 * 1024): RandomSource {
  let pool = Buffer.alloc(0);
  let off = 0;
  return (n: number): Buffer => {
    if (n > poolSize) return randomBytes(n);
    if (off + n > pool.length) {
      pool = randomBytes(poolSize);
      off = 0;
    }
    const out = pool.subarray(off, off + n);
    off += n;
    return out;
  };
}

/** A process-wide pooled source: the default for gateways and transit tunnels. */
export const defaultTunnelRandom: RandomSource = pooledRandom();

/** A random unsigned 32-bit I2NP message id. */
export function randomMsgId(random: RandomSource): number {
  return random(4).readUInt32BE(0);
}
