/**
 * What may be handed to the SAM bridge as a name or destination. Names come from the LAN (DNS
 * queries, proxied connections): they are checked here, before they reach a SAM command line, so a
 * space, quote or newline can never smuggle options or commands to the bridge.
 *
 * Rules: naming.html "Naming Rules" (hostnames: [a-z0-9.-], must end in .i2p, at most 67 characters,
 * no `..`, `.-`, `-.`, no leading `.`/`-`) and "Base32 Names" (`{52 chars}.b32.i2p` is the hash of a
 * Destination; `{56+ chars}.b32.i2p` is the "b33" form for encrypted LeaseSets, b32encrypted.rst).
 */
import { Destination } from '../../data/destination.js';
import { ProtocolError } from '../../util/errors.js';

/** naming.html: "67 characters maximum, including the '.i2p'". */
export const MAX_HOSTNAME_LENGTH = 67;
/**
 * b33 addresses are 35+ bytes (56+ base32 characters): 32-byte key, flags, sig types, optional
 * extras. Nothing in use is longer than a few bytes past 35; 100 characters bounds it generously.
 */
const MAX_B32_CHARS = 100;
/** A Destination is 387+ bytes (516+ base64 characters); certificates are short in practice. */
const MIN_DESTINATION_B64 = 516;
const MAX_DESTINATION_B64 = 1400;

export type I2PNameKind = 'b32' | 'b33' | 'hostname';

/**
 * The canonical (lower-case) form of an `.i2p` name and its kind, or undefined when it is not a
 * name SAM should ever be asked about.
 */
export function parseI2PName(raw: string): { name: string; kind: I2PNameKind } | undefined {
  if (raw.length === 0 || raw.length > MAX_B32_CHARS + 8) return undefined;
  // DNS names are case-insensitive and may carry the root dot.
  const name = raw.toLowerCase().replace(/\.$/, '');
  const b32 = /^([a-z2-7]+)\.b32\.i2p$/.exec(name);
  if (b32) {
    const n = b32[1]!.length;
    if (n === 52) return { name, kind: 'b32' };
    if (n >= 56 && n <= MAX_B32_CHARS) return { name, kind: 'b33' };
    return undefined;
  }
  // naming.html: *.b32.i2p is reserved for base32, never a hostname.
  if (name.endsWith('.b32.i2p')) return undefined;
  if (name.length > MAX_HOSTNAME_LENGTH || !name.endsWith('.i2p')) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]*\.i2p$/.test(name)) return undefined;
  if (/\.\.|\.-|-\./.test(name)) return undefined;
  return { name, kind: 'hostname' };
}

/**
 * True when `s` is the I2P-base64 of one well-formed Destination (the SAM bridge's answer to a
 * lookup, or a target given by the caller).
 */
export function isDestinationBase64(s: string): boolean {
  if (s.length < MIN_DESTINATION_B64 || s.length > MAX_DESTINATION_B64) return false;
  try {
    Destination.fromBase64(s);
    return true;
  } catch (e) {
    if (e instanceof ProtocolError) return false;
    throw e;
  }
}

/** `<base32 of the Destination's hash>.b32.i2p` for an I2P-base64 Destination. */
export function b32OfDestination(destinationBase64: string): string {
  return Destination.fromBase64(destinationBase64).b32Address();
}
