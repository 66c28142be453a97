/**
 * Kademlia metric of the netDb (docs/discussions-netdb, i2np.rst DatabaseStore notes, proposal
 * 123 "routing key"). Entries are not placed at their own hash but at a daily "routing key":
 * SHA-256(hash || "yyyyMMdd"), the date in UTC as 8 ASCII digits, so the set of floodfills
 * responsible for an entry changes at every UTC midnight and nobody can camp next to a key for
 * long. Routers themselves stay at their plain router hash: the distance used to pick
 * floodfills is routingKey(target) XOR floodfill.hash (as Java I2P and i2pd compute it).
 */
import { sha256 } from '../crypto/index.js';

const DAY_MS = 86_400_000;

/**
 * Before midnight, an entry is also sent to the floodfills closest to the next day's key, so
 * lookups right after the rollover still find it. The windows are Java I2P's flooding
 * constants (FloodfillNetworkDatabaseFacade NEXT_RKEY_RI_ADVANCE_TIME / _LS_ADVANCE_TIME).
 */
export const NEXT_ROUTING_KEY_RI_ADVANCE_MS = 45 * 60_000;
export const NEXT_ROUTING_KEY_LS_ADVANCE_MS = 10 * 60_000;

/** The UTC date of `now` as "yyyyMMdd". */
export function routingKeyDate(now: number): string {
  const d = new Date(now);
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid time ${now}`);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return `${String(y).padStart(4, '0')}${m < 10 ? '0' : ''}${m}${day < 10 ? '0' : ''}${day}`;
}

/** SHA-256(hash || yyyyMMdd): where `hash` lives in the keyspace on the UTC day of `now`. */
export function routingKey(hash: Uint8Array, now: number): Buffer {
  return sha256(hash, Buffer.from(routingKeyDate(now), 'ascii'));
}

/** The routing key `hash` will have after the next UTC midnight. */
export function nextRoutingKey(hash: Uint8Array, now: number): Buffer {
  return routingKey(hash, now + msUntilMidnightUtc(now));
}

/** Milliseconds until the next UTC midnight (1..86_400_000). */
export function msUntilMidnightUtc(now: number): number {
  return DAY_MS - (((now % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * The routing keys to store/flood `hash` under: today's, plus tomorrow's when midnight is less
 * than `advanceMs` away (use NEXT_ROUTING_KEY_RI_ADVANCE_MS for RouterInfos and
 * NEXT_ROUTING_KEY_LS_ADVANCE_MS for LeaseSets).
 */
export function routingKeys(hash: Uint8Array, now: number, advanceMs: number): Buffer[] {
  const today = routingKey(hash, now);
  return msUntilMidnightUtc(now) < advanceMs ? [today, nextRoutingKey(hash, now)] : [today];
}

/** a XOR b (both 32 bytes). */
export function xorDistance(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new RangeError('xorDistance of different lengths');
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Orders a and b by XOR distance to key without allocating: negative when a is closer, positive
 * when b is, 0 when equal. Distances compare as big-endian unsigned integers.
 */
export function compareDistance(key: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  const n = key.length;
  for (let i = 0; i < n; i++) {
    const k = key[i]!;
    const d = (a[i]! ^ k) - (b[i]! ^ k);
    if (d !== 0) return d;
  }
  return 0;
}

/** The first 4 bytes of key XOR hash as an unsigned number: a cheap first comparison. */
function prefixDistance(key: Uint8Array, h: Uint8Array): number {
  return (((key[0]! ^ h[0]!) << 24) | ((key[1]! ^ h[1]!) << 16) | ((key[2]! ^ h[2]!) << 8) | (key[3]! ^ h[3]!)) >>> 0;
}

/**
 * The n candidates closest to `key` (a routing key), closest first. One pass with a bounded
 * max-heap: O(m log n) for m candidates, and for most candidates only a 4-byte comparison, so
 * picking 3 floodfills out of thousands costs one scan. `exclude` holds hex router hashes and is
 * consulted only for candidates that would make the cut.
 */
export function closest<T extends { hash: Buffer }>(key: Uint8Array, candidates: Iterable<T>, n: number, exclude?: ReadonlySet<string>): T[] {
  if (n <= 0) return [];
  // heap[0] is the farthest of the kept candidates.
  const heap: { item: T; d: number }[] = [];
  const farther = (x: { item: T; d: number }, y: { item: T; d: number }): boolean =>
    x.d !== y.d ? x.d > y.d : compareDistance(key, x.item.hash, y.item.hash) > 0;
  const siftDown = (i: number): void => {
    const len = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < len && farther(heap[l]!, heap[m]!)) m = l;
      if (r < len && farther(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  const siftUp = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!farther(heap[i]!, heap[p]!)) return;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  for (const item of candidates) {
    const hash = item.hash;
    const d = prefixDistance(key, hash);
    if (heap.length >= n) {
      // Most candidates stop here, on one number comparison and without allocating.
      const top = heap[0]!;
      if (d > top.d || (d === top.d && compareDistance(key, hash, top.item.hash) >= 0)) continue;
    }
    if (exclude?.size && exclude.has(hash.toString('hex'))) continue;
    const entry = { item, d };
    if (heap.length < n) {
      heap.push(entry);
      siftUp(heap.length - 1);
    } else {
      heap[0] = entry;
      siftDown(0);
    }
  }
  return heap.sort((x, y) => (farther(x, y) ? 1 : farther(y, x) ? -1 : 0)).map((e) => e.item);
}
