/**
 * Where the admin UI listens (issue 6, item 1: "bound to the LAN address (and loopback) only, never
 * the WAN"). i2pd's `http.address` names one address; we turn it into a set that never contains a
 * wildcard:
 *   - a loopback address → that address only;
 *   - `0.0.0.0` or `::` → the LAN address (from gateway.lan.address) and 127.0.0.1 — not every
 *     interface: that would include the WAN;
 *   - any other address → that address and 127.0.0.1, unless it is configured on the WAN
 *     interface: then it is refused (and only loopback is used).
 */
import { isIP } from 'node:net';

export interface ListenPlan {
  addresses: string[];
  /** Addresses not used, with the reason (logged by the server). */
  refused: { address: string; reason: string }[];
}

export interface ListenInputs {
  httpAddress: string;
  /** gateway.lan.address, `a.b.c.d/n`. */
  lanAddress: string;
  wanInterface: string;
  /** Addresses now configured on each interface (os.networkInterfaces()). */
  interfaces: Record<string, { address: string }[] | undefined>;
}

const LOOPBACK4 = '127.0.0.1';

function isLoopback(a: string): boolean {
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

export function planListenAddresses(i: ListenInputs): ListenPlan {
  const refused: ListenPlan['refused'] = [];
  const wan = new Set((i.interfaces[i.wanInterface] ?? []).map((a) => a.address.toLowerCase()));
  const lanIp = i.lanAddress.split('/')[0]!;
  const a = i.httpAddress.toLowerCase();
  if (isLoopback(a)) return { addresses: [a], refused };
  let wanted: string;
  if (a === '0.0.0.0' || a === '::') {
    refused.push({ address: a, reason: `a wildcard would include the WAN (${i.wanInterface}); listening on the LAN address ${lanIp} and loopback instead` });
    wanted = lanIp;
  } else {
    wanted = a;
  }
  if (wan.has(wanted)) {
    refused.push({ address: wanted, reason: `${wanted} is an address of the WAN interface ${i.wanInterface}: the admin UI is never served on the WAN` });
    return { addresses: [LOOPBACK4], refused };
  }
  return { addresses: wanted === LOOPBACK4 ? [LOOPBACK4] : [wanted, LOOPBACK4], refused };
}
