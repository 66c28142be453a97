/** Real Destinations (Ed25519, as the router will create them) for address book tests. */
import { createHash } from 'node:crypto';
import { Destination } from '../../../src/data/destination.js';
import { Ed25519Signer } from '../../../src/crypto/ed25519.js';

/** A deterministic valid destination per seed. */
export function destination(seed: number): Destination {
  const priv = createHash('sha256').update(`dest-${seed}`).digest();
  return Destination.create(Ed25519Signer.fromPrivate(priv).publicKey, createHash('sha256').update(`pad-${seed}`).digest());
}

export function destinationB64(seed: number): string {
  return destination(seed).toBase64();
}
