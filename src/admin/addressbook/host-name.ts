/**
 * Address book names and destinations, checked by I2P's naming rules (src/data/naming.ts), each
 * refusal with its reason; destinations within naming.html's address book limit (616 characters).
 */
import type { Destination } from '../../data/destination.js';
import { MAX_ADDRESS_BOOK_DESTINATION_BASE64, parseDestinationBase64 } from '../../data/naming.js';

export { hostNameProblem } from '../../data/naming.js';

/** Lower-cases (names are converted to lower case on import) and trims. */
export function normalizeHostName(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Parses a base64 Destination; throws an Error (NamingError) whose message is the reason. */
export function parseDestination(b64: string): Destination {
  return parseDestinationBase64(b64.trim(), MAX_ADDRESS_BOOK_DESTINATION_BASE64);
}
