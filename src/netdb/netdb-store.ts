/**
 * The network database held by this router (docs/discussions-netdb, common-structures
 * "RouterInfo"/"LeaseSet*", i2np.rst DatabaseStore): verified RouterInfos and LeaseSets, keyed
 * by their real hash, bounded in count and memory, expired on i2pd's schedule, and persisted in
 * i2pd's netDb folder layout with batched writes.
 *
 * What gets in (RouterInfos): only entries that verify and belong to our netId, with Ed25519
 * signing and ECIES-X25519 encryption keys (ecies-routers.rst: the others cannot be used by a
 * modern router); not ourselves; not published more than `maxFutureMs` ahead (clock skew) nor
 * older than `routerInfoMaxAgeMs`; a newer `published` replaces an older one.
 *
 * What gets in (LeaseSets, types 1/3/5/7): parsed and signature-checked per type (including
 * offline signatures), stored under the hash of their Destination (for type 5 the hash of the
 * blinded key type and key), published (flag bit 1 clear), with at least one Lease, not expired,
 * not further in the future than a LeaseSet can legitimately reach, newer than what we hold.
 *
 * Files: RouterInfos only (LeaseSets are short-lived and not persisted). Changes are collected
 * and written together `flushDelayMs` after the first one, or on flush()/close(): each file
 * atomically, one directory fsync per folder touched, never one fsync per received RouterInfo.
 * Files of expired and evicted RouterInfos are deleted in the same batches.
 *
 * load() policy for the folder: files that are not valid RouterInfos (unparseable, bad
 * signature, other network, unsupported keys, wrong name) are skipped and counted but LEFT IN
 * PLACE: the folder may be a copy of another router's netDb, or hold entries a later version of
 * this code understands, and a parser bug must not wipe a user's netDb. Files of valid
 * RouterInfos that are simply too old are deleted (that is our own expiry), as are empty files
 * and temporary files left by an interrupted write.
 */
import { EventEmitter } from 'node:events';
import { CryptoType, SigType } from '../data/certificate.js';
import { LeaseSet, MAX_LEASE_SET_SIZE } from '../data/lease-set.js';
import { EncryptedLeaseSet, LeaseSet2, MetaLeaseSet } from '../data/lease-set2.js';
import { RouterInfo } from '../data/router-info.js';
import { isVerifiableSigType } from '../data/verify-signature.js';
import { DataFormatError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { closest, routingKey } from './kademlia.js';
import { NetDbFiles, type NetDbFilesCounters } from './netdb-persistence.js';

export type NetDbRejection =
  | 'ourselves'
  | 'wrong-netid'
  | 'unsupported-keys'
  | 'future'
  | 'expired'
  | 'older'
  | 'bad-signature'
  | 'too-large'
  | 'full'
  | 'malformed'
  | 'key-mismatch'
  | 'unpublished'
  | 'no-leases'
  | 'unsupported-sigtype'
  | 'bad-store-type'
  | 'offline-expired';

const REJECTIONS: readonly NetDbRejection[] = [
  'ourselves', 'wrong-netid', 'unsupported-keys', 'future', 'expired', 'older', 'bad-signature', 'too-large', 'full',
  'malformed', 'key-mismatch', 'unpublished', 'no-leases', 'unsupported-sigtype', 'bad-store-type', 'offline-expired',
];

/** A LeaseSet as the store holds it: the bytes to serve in a DatabaseStore, and its times. */
export interface StoredLeaseSet {
  key: Buffer;
  storeType: number;
  raw: Buffer;
  /** LeaseSet2 family: the published date; LeaseSet (1): its version, the earliest Lease end. */
  published: number;
  /** When it is useless: the header's expiry, or for LeaseSet (1) the latest Lease end. */
  expires: number;
}

export interface NetDbStoreOptions {
  netId: number;
  ourHash: Buffer;
  /** `<datadir>/netDb`; undefined keeps everything in memory only. */
  dir?: string;
  log?: Logger;
  now?: () => number;
  /** Default 5000 (i2pd holds ~3000-6000 on the main network). */
  maxRouterInfos?: number;
  /** Default 2000. */
  maxLeaseSets?: number;
  /** Estimated bytes (see memoryBytes) above which RouterInfos are evicted; default 32 MiB. */
  maxMemoryBytes?: number;
  /** Delay between the first unsaved change and the batch write; default 60 s. */
  flushDelayMs?: number;
  /** Tolerated clock skew for `published` dates in the future; default 2 min. */
  maxFutureMs?: number;
  /** RouterInfos older than this are refused and expired; default 27 h (i2pd, Java I2P). */
  routerInfoMaxAgeMs?: number;
  /** RouterInfos loaded from disk may be this old (a router switched off for a while can still bootstrap from them); default 30 days. */
  loadMaxAgeMs?: number;
  /** Expiry never shrinks the store below this many RouterInfos; default 90 (i2pd NETDB_MIN_ROUTERS). */
  minRouterInfos?: number;
  /** Largest RouterInfo accepted; default 4096 bytes (real ones are ~0.8-1.5 KiB; i2pd's buffer is 3 KiB). */
  maxRouterInfoBytes?: number;
}

export interface LoadResult {
  loaded: number;
  rejected: Record<string, number>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** i2pd: no RouterInfo expiry in the first 10 minutes of uptime; the shorter, size-scaled timeout only after 1 hour. */
const EXPIRY_GRACE_MS = 10 * MINUTE;
const EXPIRY_SCALED_AFTER_MS = HOUR;
/** i2pd NETDB_MIN_EXPIRATION_TIMEOUT: the shortest RouterInfo lifetime when the store is large. */
const MIN_EXPIRATION_MS = 90 * MINUTE;
/** i2pd NETDB_INTRODUCEE_EXPIRATION_TIMEOUT: firewalled routers ('U') publish introducers that go stale within the hour. */
const UNREACHABLE_EXPIRATION_MS = 65 * MINUTE;
/**
 * How far ahead a LeaseSet may expire. LeaseSet and LeaseSet2 carry ~10-minute tunnels (Java
 * I2P's floodfills refuse beyond 15 minutes); MetaLeaseSets, and EncryptedLeaseSets that may
 * wrap one, may use the full 65535-second expires field (common-structures LeaseSet2Header).
 */
const MAX_LEASE_SET_AHEAD_MS: Readonly<Record<number, number>> = { 1: 15 * MINUTE, 3: 15 * MINUTE, 5: 65_535_000, 7: 65_535_000 };
/** i2pd NETDB_MIN_FLOODFILL_VERSION: older floodfills are not asked. */
const MIN_FLOODFILL_VERSION = [0, 9, 51];
/** Evictions go down to this share of a limit, so a full store does not scan on every insert. */
const LOW_WATER = 0.95;
/**
 * Estimated heap cost of a stored RouterInfo beyond its raw bytes (parsed identity, addresses
 * and option Maps, strings): bench/netdb.ts measured 3.0-3.9 KB of heap per stored RouterInfo
 * of ~650 bytes on Node 20; the raw length is counted twice (the raw copy and the parsed copies
 * of its parts).
 */
const ROUTER_INFO_OVERHEAD_BYTES = 2000;
const LEASE_SET_OVERHEAD_BYTES = 200;

export class NetDbStore extends EventEmitter {
  readonly rejected: Record<NetDbRejection, number> = Object.fromEntries(REJECTIONS.map((r) => [r, 0])) as Record<NetDbRejection, number>;
  private readonly ris = new Map<string, RouterInfo>();
  private readonly ffs = new Map<string, RouterInfo>();
  private ffList: RouterInfo[] | undefined;
  /** The floodfills with their hash as a plain property: closest() reads it 5000 times a lookup. */
  private ffByHash: { hash: Buffer; ri: RouterInfo }[] | undefined;
  private readonly lss = new Map<string, StoredLeaseSet>();
  private riBytes = 0;
  private lsBytes = 0;

  private readonly files: NetDbFiles | undefined;
  private readonly dirty = new Map<string, RouterInfo>();
  private readonly pendingDeletes = new Map<string, Buffer>();
  private readonly onDisk = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private closed = false;

  private readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly maxRouterInfos: number;
  private readonly maxLeaseSets: number;
  private readonly maxMemoryBytes: number;
  private readonly flushDelayMs: number;
  private readonly maxFutureMs: number;
  private readonly routerInfoMaxAgeMs: number;
  private readonly loadMaxAgeMs: number;
  private readonly minRouterInfos: number;
  private readonly maxRouterInfoBytes: number;

  constructor(private readonly opts: NetDbStoreOptions) {
    super();
    this.log = opts.log ?? silentLogger();
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.maxRouterInfos = opts.maxRouterInfos ?? 5000;
    this.maxLeaseSets = opts.maxLeaseSets ?? 2000;
    this.maxMemoryBytes = opts.maxMemoryBytes ?? 32 * 1024 * 1024;
    this.flushDelayMs = opts.flushDelayMs ?? 60_000;
    this.maxFutureMs = opts.maxFutureMs ?? 2 * MINUTE;
    this.routerInfoMaxAgeMs = opts.routerInfoMaxAgeMs ?? 27 * HOUR;
    this.loadMaxAgeMs = opts.loadMaxAgeMs ?? 30 * 24 * HOUR;
    this.minRouterInfos = opts.minRouterInfos ?? 90;
    this.maxRouterInfoBytes = opts.maxRouterInfoBytes ?? 4096;
    this.files = opts.dir === undefined ? undefined : new NetDbFiles(opts.dir, this.log);
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /** Number of RouterInfos (the Reseeder's "how many routers do we know"). */
  get size(): number {
    return this.ris.size;
  }

  get counts(): { routerInfos: number; floodfills: number; leaseSets: number } {
    return { routerInfos: this.ris.size, floodfills: this.ffs.size, leaseSets: this.lss.size };
  }

  /** Estimated heap bytes held by stored entries (bounded by maxMemoryBytes plus the LeaseSet count bound). */
  get memoryBytes(): number {
    return this.riBytes + this.lsBytes;
  }

  /** File counters (batches = flushes that wrote or deleted something); undefined when memory-only. */
  get persistence(): Readonly<NetDbFilesCounters> | undefined {
    return this.files?.counters;
  }

  getRouterInfo(hash: Uint8Array): RouterInfo | undefined {
    return this.ris.get(hex(hash));
  }

  getLeaseSet(key: Uint8Array): StoredLeaseSet | undefined {
    return this.lss.get(hex(key));
  }

  routerInfos(): IterableIterator<RouterInfo> {
    return this.ris.values();
  }

  leaseSets(): IterableIterator<StoredLeaseSet> {
    return this.lss.values();
  }

  /**
   * Floodfills we can ask: caps contain 'f', version >= 0.9.51, and a published NTCP2 address
   * (host, port, static key and IV) since NTCP2 is how we reach them. The array is cached and
   * rebuilt only when membership changes; do not modify it.
   */
  floodfills(): readonly RouterInfo[] {
    return (this.ffList ??= [...this.ffs.values()]);
  }

  /** The n usable floodfills closest to `key`'s routing key today (or on the day of `now`). */
  closestFloodfills(key: Uint8Array, n: number, exclude?: ReadonlySet<string>, now = this.now()): RouterInfo[] {
    this.ffByHash ??= this.floodfills().map((ri) => ({ hash: ri.hash, ri }));
    return closest(routingKey(key, now), this.ffByHash, n, exclude).map((e) => e.ri);
  }

  // -------------------------------------------------------------------------------------------
  // RouterInfos

  /**
   * Adds a RouterInfo after checking it; true when stored (new or newer), otherwise why not.
   * `verified` skips the signature check for RouterInfos the caller has just verified (the
   * NTCP2 handshake does). Emits 'routerInfo' (ri, isNew).
   */
  addRouterInfo(ri: RouterInfo, o: { verified?: boolean; now?: number } = {}): true | NetDbRejection {
    const reason = this.checkRouterInfo(ri, o.now ?? this.now(), o.verified ?? false, this.routerInfoMaxAgeMs);
    if (reason !== true) return this.reject(reason);
    const isNew = this.putRouterInfo(ri);
    this.markDirty(ri);
    if (isNew && !this.evictRouterInfos(ri)) return this.reject('full');
    this.emit('routerInfo', ri, isNew);
    return true;
  }

  /** The Reseeder's ReseedTarget form of addRouterInfo. */
  add(ri: RouterInfo, now: number, verified = false): true | NetDbRejection {
    return this.addRouterInfo(ri, { now, verified });
  }

  /** Drops a RouterInfo (e.g. a peer found to be lying) and its file. */
  removeRouterInfo(hash: Uint8Array): boolean {
    const ri = this.ris.get(hex(hash));
    if (!ri) return false;
    this.dropRouterInfo(ri);
    return true;
  }

  private checkRouterInfo(ri: RouterInfo, now: number, verified: boolean, maxAgeMs: number): true | NetDbRejection {
    if (ri.hash.equals(this.opts.ourHash)) return 'ourselves';
    if (ri.raw.length > this.maxRouterInfoBytes) return 'too-large';
    if (ri.netId !== this.opts.netId) return 'wrong-netid';
    if (ri.identity.cryptoType !== CryptoType.ECIES_X25519 || ri.identity.sigType !== SigType.EdDSA_SHA512_Ed25519) return 'unsupported-keys';
    if (ri.published > now + this.maxFutureMs) return 'future';
    if (ri.published < now - maxAgeMs) return 'expired';
    const old = this.ris.get(ri.hash.toString('hex'));
    if (old && old.published >= ri.published) return 'older';
    if (!verified && !ri.verify()) return 'bad-signature';
    return true;
  }

  /** Inserts or replaces; returns true when the hash was not known. */
  private putRouterInfo(ri: RouterInfo): boolean {
    const key = ri.hash.toString('hex');
    const old = this.ris.get(key);
    if (old) this.riBytes -= estimateRouterInfoBytes(old);
    this.ris.set(key, ri);
    this.riBytes += estimateRouterInfoBytes(ri);
    const wasFf = this.ffs.has(key);
    const isFf = isUsableFloodfill(ri);
    if (isFf) this.ffs.set(key, ri);
    else this.ffs.delete(key);
    if (wasFf || isFf) this.floodfillsChanged();
    return !old;
  }

  private dropRouterInfo(ri: RouterInfo): void {
    const key = ri.hash.toString('hex');
    if (!this.ris.delete(key)) return;
    this.riBytes -= estimateRouterInfoBytes(ri);
    if (this.ffs.delete(key)) this.floodfillsChanged();
    this.markRemoved(key, ri.hash);
  }

  /**
   * Enforces maxRouterInfos and maxMemoryBytes: when over, evicts down to 95% of the limits,
   * non-floodfills before floodfills, oldest `published` first. Returns false when `justAdded`
   * was itself evicted.
   */
  private evictRouterInfos(justAdded?: RouterInfo): boolean {
    if (this.ris.size <= this.maxRouterInfos && this.memoryBytes <= this.maxMemoryBytes) return true;
    const countTarget = Math.floor(this.maxRouterInfos * LOW_WATER);
    const bytesTarget = Math.floor(this.maxMemoryBytes * LOW_WATER);
    const victims = [...this.ris.entries()]
      .sort(([ka, a], [kb, b]) => Number(this.ffs.has(ka)) - Number(this.ffs.has(kb)) || a.published - b.published)
      .map(([, ri]) => ri);
    let evicted = 0;
    let survived = true;
    for (const ri of victims) {
      if (this.ris.size <= countTarget && this.memoryBytes <= bytesTarget) break;
      if (ri === justAdded) survived = false;
      this.dropRouterInfo(ri);
      evicted++;
    }
    this.log.debug({ evicted, left: this.ris.size, memoryBytes: this.memoryBytes }, 'netDb: RouterInfos evicted');
    return survived;
  }

  // -------------------------------------------------------------------------------------------
  // LeaseSets

  /**
   * Adds a LeaseSet of DatabaseStore type `storeType` (1, 3, 5 or 7) received under `key`;
   * true when stored, otherwise why not. Emits 'leaseSet' (key, storeType).
   */
  addLeaseSet(storeType: number, key: Buffer, raw: Buffer, now = this.now()): true | NetDbRejection {
    const reason = this.checkLeaseSet(storeType, key, raw, now);
    if (typeof reason === 'string') return this.reject(reason);
    const k = hex(key);
    const old = this.lss.get(k);
    if (old) this.lsBytes -= estimateLeaseSetBytes(old);
    this.lss.set(k, reason);
    this.lsBytes += estimateLeaseSetBytes(reason);
    if (!old && this.lss.size > this.maxLeaseSets && !this.evictLeaseSets(now, k)) return this.reject('full');
    this.emit('leaseSet', reason.key, storeType);
    return true;
  }

  private checkLeaseSet(storeType: number, key: Buffer, raw: Buffer, now: number): StoredLeaseSet | NetDbRejection {
    if (!(storeType in MAX_LEASE_SET_AHEAD_MS)) return 'bad-store-type';
    if (key.length !== 32) return 'key-mismatch';
    if (raw.length > MAX_LEASE_SET_SIZE) return 'too-large';
    let ls: ParsedLeaseSet;
    try {
      ls = parseLeaseSet(storeType, raw);
    } catch (e) {
      if (e instanceof DataFormatError) return 'malformed';
      throw e;
    }
    if (!ls.key.equals(key)) return 'key-mismatch';
    if (ls.unpublished) return 'unpublished';
    if (ls.leaseCount === 0) return 'no-leases';
    if (ls.expires <= now) return 'expired';
    // A LeaseSet (1) has no published date (its "published" is its earliest Lease end).
    const publishedAhead = storeType !== 1 && ls.published > now + this.maxFutureMs;
    if (publishedAhead || ls.expires > now + this.maxFutureMs + MAX_LEASE_SET_AHEAD_MS[storeType]!) return 'future';
    if (ls.offlineExpires !== undefined && ls.offlineExpires <= now) return 'offline-expired';
    const old = this.lss.get(hex(key));
    // Same type: newer published (LeaseSet (1): later earliest-Lease end) wins. Different types
    // under one key (a Destination moving from LeaseSet to LeaseSet2) have incomparable
    // versions, so the one that stays useful longer wins; a replayed old one cannot.
    if (old && (old.storeType === storeType ? ls.published <= old.published : ls.expires <= old.expires)) return 'older';
    if (!ls.signatureSupported) return 'unsupported-sigtype';
    if (!ls.verify()) return 'bad-signature';
    return { key: Buffer.from(key), storeType, raw: ls.raw, published: ls.published, expires: ls.expires };
  }

  /** Drops expired LeaseSets, then the soonest-expiring down to 95% of maxLeaseSets. False when `justAdded` went. */
  private evictLeaseSets(now: number, justAdded: string): boolean {
    this.expireLeaseSets(now);
    if (this.lss.size > this.maxLeaseSets) {
      const victims = [...this.lss.entries()].sort(([, a], [, b]) => a.expires - b.expires);
      const target = Math.floor(this.maxLeaseSets * LOW_WATER);
      for (const [k, ls] of victims) {
        if (this.lss.size <= target) break;
        this.lss.delete(k);
        this.lsBytes -= estimateLeaseSetBytes(ls);
      }
    }
    return this.lss.has(justAdded);
  }

  private expireLeaseSets(now: number): number {
    let n = 0;
    for (const [k, ls] of this.lss) {
      if (ls.expires > now) continue;
      this.lss.delete(k);
      this.lsBytes -= estimateLeaseSetBytes(ls);
      n++;
    }
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Expiry

  /**
   * Drops expired LeaseSets and stale RouterInfos; call every minute or so. RouterInfo rules
   * (i2pd's NetDb::SaveUpdated): nothing in the first 10 minutes after start (the netDb loaded
   * from disk is all we have until peers answer); then anything older than routerInfoMaxAgeMs
   * (27 h); after 1 hour of uptime the limit shrinks with the store size, to
   * 1.5 h + (27 h - 1.5 h) * minRouterInfos / size (about 2 h with 5000 routers); firewalled
   * routers (caps 'U') go after 65 minutes. Oldest go first, and the store never drops below
   * minRouterInfos.
   */
  expire(now = this.now()): { routerInfos: number; leaseSets: number } {
    const leaseSets = this.expireLeaseSets(now);
    const uptime = now - this.startedAt;
    let routerInfos = 0;
    if (uptime >= EXPIRY_GRACE_MS && this.ris.size > this.minRouterInfos) {
      const max = this.routerInfoMaxAgeMs;
      const timeout = uptime >= EXPIRY_SCALED_AFTER_MS ? Math.min(max, MIN_EXPIRATION_MS + ((max - MIN_EXPIRATION_MS) * this.minRouterInfos) / this.ris.size) : max;
      const stale = [...this.ris.values()]
        .filter((ri) => now - ri.published > (ri.caps.includes('U') ? Math.min(timeout, UNREACHABLE_EXPIRATION_MS) : timeout))
        .sort((a, b) => a.published - b.published);
      for (const ri of stale) {
        if (this.ris.size <= this.minRouterInfos) break;
        this.dropRouterInfo(ri);
        routerInfos++;
      }
    }
    if (routerInfos || leaseSets) this.log.debug({ routerInfos, leaseSets, left: this.counts }, 'netDb: expired');
    return { routerInfos, leaseSets };
  }

  // -------------------------------------------------------------------------------------------
  // Persistence

  /** Reads the netDb folder (see the policy at the top of this file). Emits no events. */
  async load(): Promise<LoadResult> {
    const result: LoadResult = { loaded: 0, rejected: {} };
    if (!this.files) return result;
    const count = (reason: string): void => {
      result.rejected[reason] = (result.rejected[reason] ?? 0) + 1;
    };
    const now = this.now();
    for await (const entry of this.files.scan()) {
      if (entry.problem !== undefined) {
        count(entry.problem);
        continue;
      }
      let ri: RouterInfo;
      try {
        ri = RouterInfo.parse(entry.data);
      } catch (e) {
        if (!(e instanceof DataFormatError)) throw e;
        count('malformed');
        continue;
      }
      if (!ri.hash.equals(entry.hash)) {
        count('name-mismatch');
        continue;
      }
      const reason = this.checkRouterInfo(ri, now, false, this.loadMaxAgeMs);
      if (reason !== true) {
        count(reason);
        if (reason === 'expired') await this.files.remove(entry.path);
        continue;
      }
      this.putRouterInfo(ri);
      this.onDisk.add(ri.hash.toString('hex'));
      result.loaded++;
    }
    this.evictRouterInfos();
    this.log.info({ dir: this.files.dir, ...result, floodfills: this.ffs.size }, 'netDb: loaded');
    return result;
  }

  /** Writes every pending change now (one batch). Resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushChain = this.flushChain.then(() => this.writePending());
    return this.flushChain;
  }

  /** Flushes and stops the flush timer; later changes stay in memory until flush() is called. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async writePending(): Promise<void> {
    if (!this.files || (this.dirty.size === 0 && this.pendingDeletes.size === 0)) return;
    const writes = [...this.dirty.values()].map((ri) => ({ hash: ri.hash, data: ri.raw }));
    const deletes = [...this.pendingDeletes.values()];
    this.dirty.clear();
    this.pendingDeletes.clear();
    // Updated before the write completes, so an entry removed while this batch is in flight
    // gets its file deleted by the next batch (batches run one after another).
    for (const w of writes) this.onDisk.add(w.hash.toString('hex'));
    for (const h of deletes) this.onDisk.delete(h.toString('hex'));
    try {
      await this.files.writeBatch(writes, deletes);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'netDb: batch write failed');
    }
  }

  private markDirty(ri: RouterInfo): void {
    if (!this.files) return;
    const key = ri.hash.toString('hex');
    this.dirty.set(key, ri);
    this.pendingDeletes.delete(key);
    this.scheduleFlush();
  }

  private markRemoved(key: string, hash: Buffer): void {
    if (!this.files) return;
    this.dirty.delete(key);
    if (this.onDisk.has(key)) {
      this.pendingDeletes.set(key, hash);
      this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => void this.flush(), this.flushDelayMs);
    this.flushTimer.unref();
  }

  private floodfillsChanged(): void {
    this.ffList = undefined;
    this.ffByHash = undefined;
  }

  private reject(reason: NetDbRejection): NetDbRejection {
    this.rejected[reason]++;
    return reason;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function estimateRouterInfoBytes(ri: RouterInfo): number {
  return ROUTER_INFO_OVERHEAD_BYTES + 2 * ri.raw.length;
}

function estimateLeaseSetBytes(ls: StoredLeaseSet): number {
  return LEASE_SET_OVERHEAD_BYTES + ls.raw.length;
}

/** A floodfill we can use: 'f' cap, recent enough version, and a published NTCP2 address. */
export function isUsableFloodfill(ri: RouterInfo): boolean {
  if (!ri.floodfill || !versionAtLeast(ri.version, MIN_FLOODFILL_VERSION)) return false;
  return ri.ntcp2Addresses().some((a) => a.host !== undefined && a.port !== undefined && a.iv !== undefined);
}

function versionAtLeast(v: string | undefined, min: readonly number[]): boolean {
  if (v === undefined || !/^\d+(\.\d+){0,3}$/.test(v)) return false;
  const parts = v.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const p = parts[i] ?? 0;
    if (p !== min[i]) return p > min[i]!;
  }
  return true;
}

/** What the store needs to know of any LeaseSet variant. */
interface ParsedLeaseSet {
  key: Buffer;
  raw: Buffer;
  published: number;
  expires: number;
  /** EncryptedLeaseSets hide their Leases; they count as one. */
  leaseCount: number;
  unpublished: boolean;
  offlineExpires: number | undefined;
  signatureSupported: boolean;
  verify(): boolean;
}

/** Parses a LeaseSet of any DatabaseStore type. Throws DataFormatError. */
function parseLeaseSet(storeType: number, raw: Buffer): ParsedLeaseSet {
  switch (storeType) {
    case 1: {
      const ls = LeaseSet.parse(raw);
      return {
        key: ls.hash,
        raw: ls.raw,
        published: ls.earliestLeaseEnd,
        expires: ls.latestLeaseEnd,
        leaseCount: ls.leases.length,
        unpublished: false,
        offlineExpires: undefined,
        signatureSupported: isVerifiableSigType(ls.destination.sigType),
        verify: () => ls.verify(),
      };
    }
    case 3:
    case 5:
    case 7: {
      const ls = storeType === 3 ? LeaseSet2.parse(raw) : storeType === 5 ? EncryptedLeaseSet.parse(raw) : MetaLeaseSet.parse(raw);
      return {
        key: ls.hash,
        raw: ls.raw,
        published: ls.published,
        expires: ls.expires,
        leaseCount: ls instanceof LeaseSet2 ? ls.leases.length : ls instanceof MetaLeaseSet ? ls.entries.length : 1,
        unpublished: ls.unpublished,
        offlineExpires: ls.offline?.expires,
        signatureSupported: ls.signatureSupported,
        verify: () => ls.verify(),
      };
    }
    default:
      throw new DataFormatError(`not a LeaseSet store type: ${storeType}`, 'dbstore-type');
  }
}
