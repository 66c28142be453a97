/**
 * dnsmasq's lease file (one line per lease: `<expiry> <MAC> <IP> <hostname or *> <client id or *>`,
 * dnsmasq(8) --dhcp-leasefile), read for the names of LAN clients. The host names come from the
 * clients themselves: hostile input. Bounded (file size, lines), and only names of DNS label
 * characters are kept; anything else on a line makes that line count as nameless.
 */
import { isIP } from 'node:net';
import { open } from 'node:fs/promises';

export const MAX_LEASE_FILE_BYTES = 256 * 1024;
const MAX_LEASES = 4096;
const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;

/** Address → host name of every unexpired lease that has one. */
export function parseDnsmasqLeases(text: string, nowSeconds: number): Map<string, string> {
  const names = new Map<string, string>();
  let lines = 0;
  for (const line of text.split('\n')) {
    if (++lines > MAX_LEASES) break;
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [expiry, , ip, host] = f as [string, string, string, string];
    // 0 = an infinite lease.
    if (!/^\d{1,12}$/.test(expiry) || (Number(expiry) !== 0 && Number(expiry) < nowSeconds)) continue;
    if (isIP(ip) === 0 || host === '*' || !NAME.test(host)) continue;
    names.set(ip, host.toLowerCase());
  }
  return names;
}

/** The lease file's names; an empty map when it does not exist. Larger than the bound: read up to it. */
export async function readDnsmasqLeases(path: string, nowSeconds: number): Promise<Map<string, string>> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  try {
    const buf = Buffer.alloc(MAX_LEASE_FILE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    // Cut off at the bound: the last line may be partial.
    if (bytesRead === buf.length) text = text.slice(0, text.lastIndexOf('\n') + 1);
    return parseDnsmasqLeases(text, nowSeconds);
  } finally {
    await fh.close();
  }
}
