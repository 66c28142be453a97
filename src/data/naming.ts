/**
 * I2P's naming rules (docs/naming.html, "Naming Rules" and "Base32 Names"; b32encrypted.rst), in
 * one place for everything that judges a name or a destination: the LAN DNS server (what a client
 * asked for), the SAM client (what may reach a bridge's command line) and the address book (what
 * may be stored, with the reason for a refusal).
 */
import { base32Decode } from './base32.js';
import { Destination } from './destination.js';
import { ProtocolError } from '../util/errors.js';

/** naming.html: "67 characters maximum, including the '.i2p'". */
export const MAX_HOSTNAME_LENGTH = 67;
/** naming.html: "Certain hostnames reserved for project use are not allowed". */
export const RESERVED_HOSTNAMES = ['proxy.i2p', 'router.i2p', 'console.i2p', 'mail.i2p'] as const;

/**
 * Why `name` (lower case, no trailing dot) is not a valid I2P host name; undefined when it is.
 * `.b32.i2p` names are not host names (see b32Kind).
 */
export function hostNameProblem(name: string): string | undefined {
  if (!name.endsWith('.i2p')) return 'must end with .i2p';
  if (name.length > MAX_HOSTNAME_LENGTH) return `at most ${MAX_HOSTNAME_LENGTH} characters, including the .i2p`;
  if (name.length <= 4) return 'needs a name before .i2p';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'only letters a–z, digits, "." and "-"';
  if (name.startsWith('.') || name.startsWith('-')) return 'must not start with "." or "-"';
  if (name.includes('..')) return 'must not contain ".."';
  if (name.includes('.-') || name.includes('-.')) return 'must not contain ".-" or "-."';
  if (name.replace(/(^|\.)xn--/g, '$1').includes('--')) return 'must not contain "--" (except in an xn-- IDN label)';
  if (name === 'b32.i2p' || name.endsWith('.b32.i2p')) return '.b32.i2p names are base 32 addresses, not host names';
  for (const r of RESERVED_HOSTNAMES) if (name === r || name.endsWith(`.${r}`)) return `${r} names are reserved`;
  return undefined;
}

/**
 * b33 addresses (encrypted LeaseSets, b32encrypted.rst) are 35+ bytes = 56+ characters (flags,
 * signature types, the 32-byte blinded key). A DNS label holds at most 63 characters (RFC 1035
 * 2.3.4), and these names arrive as DNS names: 63 is the bound.
 */
const MAX_B32_LABEL = 63;

/**
 * The kind of a `.b32.i2p` label: 'b32' (52 characters: the SHA-256 of a Destination), 'b33' (56–63
 * characters: an encrypted LeaseSet's blinded key); undefined unless it is strict base32 of such a length.
 */
export function b32Kind(label: string): 'b32' | 'b33' | undefined {
  const n = label.length;
  const kind = n === 52 ? 'b32' : n >= 56 && n <= MAX_B32_LABEL ? 'b33' : undefined;
  if (!kind || !/^[a-z2-7]+$/.test(label)) return undefined;
  try {
    base32Decode(label);
  } catch {
    return undefined;
  }
  return kind;
}

/** A Destination is 387+ bytes: 516+ base64 characters. */
export const MIN_DESTINATION_BASE64 = 516;
/**
 * The longest destination accepted from a SAM bridge or a caller: certificates with excess key
 * data (key certificates for bigger signing keys) make destinations longer than naming.html's
 * address book limit below; 1400 characters covers every signature type in use.
 */
export const MAX_DESTINATION_BASE64 = 1400;
/** naming.html: "Minimum key length 516 bytes. Maximum key length 616 bytes" — for address book entries. */
export const MAX_ADDRESS_BOOK_DESTINATION_BASE64 = 616;

/** A name or destination refused by the naming rules; the message is the reason. */
export class NamingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamingError';
  }
}

/** Parses one I2P-base64 Destination of at most `maxChars`; throws NamingError with the reason. */
export function parseDestinationBase64(s: string, maxChars = MAX_DESTINATION_BASE64): Destination {
  if (s.length < MIN_DESTINATION_BASE64 || s.length > maxChars) throw new NamingError(`a destination is ${MIN_DESTINATION_BASE64}–${maxChars} base64 characters, got ${s.length}`);
  if (!/^[A-Za-z0-9~-]+={0,2}$/.test(s)) throw new NamingError('not I2P base64 (A–Z a–z 0–9 - ~)');
  try {
    return Destination.fromBase64(s);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new NamingError(`not a valid destination: ${e.message}`);
  }
}
