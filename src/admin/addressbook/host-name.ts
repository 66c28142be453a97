/**
 * Address book names and destinations, checked by the rules the I2P address book applies to what it
 * imports (docs/naming.html, "Naming Rules"), each refusal with its reason.
 */
import { Destination } from '../../data/destination.js';

const MAX_NAME = 67;
/** naming.html: "Certain hostnames reserved for project use are not allowed". */
const RESERVED = ['proxy.i2p', 'router.i2p', 'console.i2p', 'mail.i2p'];
/** naming.html: "Minimum key length 516 bytes. Maximum key length 616 bytes" (of base64). */
const MIN_DEST_B64 = 516;
const MAX_DEST_B64 = 616;

/** Why `name` (already lower-cased) is not a valid address book name; undefined when it is. */
export function hostNameProblem(name: string): string | undefined {
  if (!name.endsWith('.i2p')) return 'must end with .i2p';
  if (name.length > MAX_NAME) return `at most ${MAX_NAME} characters, including the .i2p`;
  if (name.length <= 4) return 'needs a name before .i2p';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'only letters a–z, digits, "." and "-"';
  if (name.startsWith('.') || name.startsWith('-')) return 'must not start with "." or "-"';
  if (name.includes('..')) return 'must not contain ".."';
  if (name.includes('.-') || name.includes('-.')) return 'must not contain ".-" or "-."';
  if (name.replace(/(^|\.)xn--/g, '$1').includes('--')) return 'must not contain "--" (except in an xn-- IDN label)';
  if (name.endsWith('.b32.i2p')) return '.b32.i2p names are base 32 addresses, not address book names';
  for (const r of RESERVED) if (name === r || name.endsWith(`.${r}`)) return `${r} names are reserved`;
  return undefined;
}

/** Lower-cases (names are converted to lower case on import) and trims. */
export function normalizeHostName(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Parses a base64 Destination; throws an Error whose message is the reason. */
export function parseDestination(b64: string): Destination {
  const s = b64.trim();
  if (s.length < MIN_DEST_B64 || s.length > MAX_DEST_B64) throw new Error(`a destination is ${MIN_DEST_B64}–${MAX_DEST_B64} base64 characters, got ${s.length}`);
  if (!/^[A-Za-z0-9~-]+={0,2}$/.test(s)) throw new Error('not I2P base64 (A–Z a–z 0–9 - ~)');
  try {
    return Destination.fromBase64(s);
  } catch (e) {
    throw new Error(`not a valid destination: ${(e as Error).message}`);
  }
}
