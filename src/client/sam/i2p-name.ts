/**
 * What may be handed to the SAM bridge as a name or destination. Names come from the LAN (DNS
 * queries, proxied connections): they are checked here, before they reach a SAM command line, so a
 * space, quote or newline can never smuggle options or commands to the bridge. The rules are I2P's
 * naming rules (src/data/naming.ts).
 */
import { Destination } from '../../data/destination.js';
import { b32Kind, hostNameProblem, MAX_DESTINATION_BASE64, MIN_DESTINATION_BASE64, NamingError, parseDestinationBase64 } from '../../data/naming.js';

export type I2PNameKind = 'b32' | 'b33' | 'hostname';

/**
 * The canonical (lower-case) form of an `.i2p` name and its kind, or undefined when it is not a
 * name SAM should ever be asked about.
 */
export function parseI2PName(raw: string): { name: string; kind: I2PNameKind } | undefined {
  if (raw.length === 0 || raw.length > 128) return undefined;
  // DNS names are case-insensitive and may carry the root dot.
  const name = raw.toLowerCase().replace(/\.$/, '');
  const b32 = /^([a-z2-7]+)\.b32\.i2p$/.exec(name);
  if (b32) {
    const kind = b32Kind(b32[1]!);
    return kind ? { name, kind } : undefined;
  }
  return hostNameProblem(name) === undefined ? { name, kind: 'hostname' } : undefined;
}

/**
 * True when `s` is the I2P-base64 of one well-formed Destination (the SAM bridge's answer to a
 * lookup, or a target given by the caller).
 */
export function isDestinationBase64(s: string): boolean {
  if (s.length < MIN_DESTINATION_BASE64 || s.length > MAX_DESTINATION_BASE64) return false;
  try {
    parseDestinationBase64(s);
    return true;
  } catch (e) {
    if (e instanceof NamingError) return false;
    throw e;
  }
}

/** `<base32 of the Destination's hash>.b32.i2p` for an I2P-base64 Destination. */
export function b32OfDestination(destinationBase64: string): string {
  return Destination.fromBase64(destinationBase64).b32Address();
}
