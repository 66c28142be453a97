/**
 * What kind of name a LAN client asked for, decided from the name alone (pure). The DNS server
 * answers by kind: `.b32.i2p` always resolves, address-book names only if the backend knows them,
 * clearnet names only in outproxy mode, and a few special names never.
 */
import { b32Kind, hostNameProblem } from '../data/naming.js';

export type NameKind =
  /** `{52 chars}.b32.i2p` (SHA-256 of a Destination) or `{56+ chars}.b32.i2p` (b33, encrypted LS2). */
  | 'b32'
  /** A syntactically valid address-book name (`example.i2p`); exists only if the backend finds it. */
  | 'address-book'
  /** Ends in `.i2p` but breaks the naming rules: it can never resolve. */
  | 'invalid-i2p'
  /** Firefox's DoH canary: NXDOMAIN tells it to keep using the system resolver (us). */
  | 'doh-canary'
  /** Names that must never leave the box or go to an outproxy (RFC 6761/6762/7686, single labels). */
  | 'special'
  /** A valid clearnet host name (two or more labels). */
  | 'clearnet'
  /** Not a host name at all (bad characters, empty labels, too long). */
  | 'invalid';

export interface ClassifiedName {
  kind: NameKind;
  /** Lower case, without a trailing dot. */
  name: string;
}

/** https://support.mozilla.org/kb/canary-domain-use-application-dnsnet */
export const DOH_CANARY = 'use-application-dns.net';

/** RFC 1035 2.3.4: 255 octets on the wire = 253 characters in text form. */
const MAX_HOST_NAME = 253;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Special-use zones answered NXDOMAIN in every mode: they are local (mDNS `.local`, `home.arpa`),
 * reserved (`.onion` must never reach an outproxy, RFC 7686 §2), or meaningless to an outproxy.
 */
const SPECIAL_ZONES = ['local', 'localhost', 'onion', 'invalid', 'home.arpa', 'in-addr.arpa', 'ip6.arpa', 'lan', 'internal'];

export function normalizeName(raw: string): string {
  const n = raw.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** True for a `.b32.i2p` label: strict base32 of a b32 (52) or b33 (56+) length (src/data/naming.ts). */
export function isB32Label(label: string): boolean {
  return b32Kind(label) !== undefined;
}

export function classifyName(raw: string): ClassifiedName {
  const name = normalizeName(raw);
  if (name.length === 0 || name.length > MAX_HOST_NAME) return { kind: 'invalid', name };
  if (name === 'i2p' || name.endsWith('.i2p')) {
    const labels = name.split('.');
    if (labels.length === 3 && labels[1] === 'b32') return { kind: isB32Label(labels[0]!) ? 'b32' : 'invalid-i2p', name };
    // naming.html: the b32.i2p zone is reserved for base 32 addresses.
    if (name === 'b32.i2p' || name.endsWith('.b32.i2p')) return { kind: 'invalid-i2p', name };
    return { kind: hostNameProblem(name) === undefined ? 'address-book' : 'invalid-i2p', name };
  }
  if (name === DOH_CANARY) return { kind: 'doh-canary', name };
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) return { kind: 'invalid', name };
  if (labels.length < 2) return { kind: 'special', name };
  for (const zone of SPECIAL_ZONES) {
    if (name === zone || name.endsWith('.' + zone)) return { kind: 'special', name };
  }
  return { kind: 'clearnet', name };
}
