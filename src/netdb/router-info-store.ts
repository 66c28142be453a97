/**
 * In-memory store of verified RouterInfos keyed by router hash. This is the part of the netDb
 * (spec docs/discussions-netdb, common-structures "RouterInfo") the transport layer needs: who
 * exists, how to reach them, and their keys. Only entries that verify and belong to our network
 * get in; a newer `published` date replaces an older one. Persistence, expiry and Kademlia
 * come with the netDb issue.
 */
import { EventEmitter } from 'node:events';
import { RouterInfo } from '../data/router-info.js';
import { CryptoType, SigType } from '../data/certificate.js';

export type StoreRejection = 'bad-signature' | 'wrong-netid' | 'unsupported-keys' | 'older' | 'full' | 'ourselves' | 'future';

export interface RouterInfoStoreOptions {
  netId: number;
  ourHash: Buffer;
  maxEntries?: number;
  /** RouterInfos published further than this in the future are refused (clock-skew bound). */
  maxFutureMs?: number;
}

export class RouterInfoStore extends EventEmitter {
  private readonly byHash = new Map<string, RouterInfo>();
  readonly rejected: Record<StoreRejection, number> = { 'bad-signature': 0, 'wrong-netid': 0, 'unsupported-keys': 0, older: 0, full: 0, ourselves: 0, future: 0 };
  private readonly maxEntries: number;
  private readonly maxFutureMs: number;

  constructor(private readonly opts: RouterInfoStoreOptions) {
    super();
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxFutureMs = opts.maxFutureMs ?? 2 * 60_000;
  }

  get size(): number {
    return this.byHash.size;
  }

  get(hash: Uint8Array): RouterInfo | undefined {
    return this.byHash.get(Buffer.from(hash).toString('hex'));
  }

  all(): IterableIterator<RouterInfo> {
    return this.byHash.values();
  }

  /**
   * Adds a RouterInfo after checking it. Returns true when it was stored (new or newer),
   * otherwise the reason it was not; `verified` skips the signature check for RIs the caller
   * has just verified itself (e.g. the NTCP2 handshake did).
   */
  add(ri: RouterInfo, now: number, verified = false): true | StoreRejection {
    const reason = this.check(ri, now, verified);
    if (reason !== true) {
      this.rejected[reason]++;
      return reason;
    }
    const key = ri.hash.toString('hex');
    const isNew = !this.byHash.has(key);
    this.byHash.set(key, ri);
    this.emit('stored', ri, isNew);
    return true;
  }

  private check(ri: RouterInfo, now: number, verified: boolean): true | StoreRejection {
    if (ri.hash.equals(this.opts.ourHash)) return 'ourselves';
    if (ri.netId !== this.opts.netId) return 'wrong-netid';
    // Only ECIES routers are usable by a modern router (ecies-routers.rst); DSA/ElGamal ones are dead weight.
    if (ri.identity.cryptoType !== CryptoType.ECIES_X25519 || ri.identity.sigType !== SigType.EdDSA_SHA512_Ed25519) return 'unsupported-keys';
    if (ri.published > now + this.maxFutureMs) return 'future';
    const old = this.byHash.get(ri.hash.toString('hex'));
    if (old && old.published >= ri.published) return 'older';
    if (!old && this.byHash.size >= this.maxEntries) return 'full';
    if (!verified && !ri.verify()) return 'bad-signature';
    return true;
  }
}
