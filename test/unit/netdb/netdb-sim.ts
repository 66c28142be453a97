// Test helper (not a test file): a small in-memory I2P network for netDb tests. Each simulated
// router has its own NetDbStore; simulated floodfills answer lookups and stores as i2np.rst
// says a floodfill does (DatabaseStore when found, else a DatabaseSearchReply with the 3
// closest floodfills not excluded; exploration: the closest non-floodfills; stores are acked
// with a DeliveryStatus and flooded to the 3 closest floodfills). Messages cross a fake
// transport as real encoded I2NP (short header), queued and delivered by flush().
import { randomInt } from 'node:crypto';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { decodeDatabaseLookup, LookupType } from '../../../src/i2np/database-lookup.js';
import { encodeDatabaseSearchReply } from '../../../src/i2np/database-search-reply.js';
import { decodeDatabaseStore, DatabaseStoreType, encodeDatabaseStore } from '../../../src/i2np/database-store.js';
import { encodeDeliveryStatus } from '../../../src/i2np/delivery-status.js';
import { decodeShort, encodeShort, I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { RouterInfo as RI } from '../../../src/data/router-info.js';
import { closest, routingKey } from '../../../src/netdb/kademlia.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import type { NetDbTransport } from '../../../src/netdb/netdb.js';
import { makeRouterInfo, type TestRouter } from '../data/make-router-info.js';

/** RouterInfos in make-router-info.ts are published at 1_764_000_000_000 (16:00 UTC). */
export const T0 = 1_764_000_100_000;

export function routerOptions(floodfill: boolean): Map<string, string> {
  return new Map([
    ['caps', floodfill ? 'XfR' : 'XR'],
    ['netId', '99'],
    ['router.version', '0.9.57'],
  ]);
}

export function makeRouters(n: number, floodfill: boolean): TestRouter[] {
  return Array.from({ length: n }, () => makeRouterInfo({ options: routerOptions(floodfill) }));
}

export class Clock {
  constructor(public t = T0) {}
  readonly now = (): number => this.t;
}

export function newMessage(clock: Clock) {
  return (type: I2NPType, payload: Buffer): I2NPMessage => ({ type, msgId: randomInt(1, 0xffffffff), expiration: clock.t + 60_000, payload });
}

/** A simulated router: its store, and (if floodfill) answers to lookups and stores. */
export class SimRouter {
  readonly store: NetDbStore;
  online = true;
  /** Answer nothing (a floodfill that is up but does not reply). */
  silent = false;
  readonly received: I2NPMessage[] = [];

  constructor(
    readonly net: SimNetwork,
    readonly t: TestRouter,
    readonly floodfill: boolean,
  ) {
    this.store = new NetDbStore({ netId: 99, ourHash: t.ri.hash, now: net.clock.now });
  }

  get hash(): Buffer {
    return this.t.ri.hash;
  }

  get ri(): RouterInfo {
    return this.t.ri;
  }

  receive(m: I2NPMessage, from: Buffer): void {
    this.received.push(m);
    if (!this.floodfill || this.silent) return;
    const reply = (type: I2NPType, payload: Buffer, to: Buffer): void => this.net.send(this.hash, to, { type, msgId: randomInt(1, 0xffffffff), expiration: this.net.clock.t + 60_000, payload });
    if (m.type === I2NPType.DatabaseLookup) {
      const l = decodeDatabaseLookup(m.payload);
      const excluded = new Set(l.excludedPeers.map((h) => h.toString('hex')));
      if (l.lookupType === LookupType.Exploration) {
        const nonFf = [...this.store.routerInfos()].filter((ri) => !ri.floodfill);
        const peers = closest(routingKey(l.key, this.net.clock.t), nonFf, 3, excluded).map((ri) => ri.hash);
        reply(I2NPType.DatabaseSearchReply, encodeDatabaseSearchReply({ key: l.key, peers, from: this.hash }), l.from);
        return;
      }
      const ri = l.lookupType !== LookupType.LeaseSet ? this.store.getRouterInfo(l.key) : undefined;
      const ls = l.lookupType !== LookupType.RouterInfo ? this.store.getLeaseSet(l.key) : undefined;
      if (ri) {
        reply(I2NPType.DatabaseStore, encodeDatabaseStore({ key: l.key, type: DatabaseStoreType.RouterInfo, replyToken: 0, routerInfo: ri.raw }), l.from);
      } else if (ls) {
        reply(I2NPType.DatabaseStore, encodeDatabaseStore({ key: l.key, type: ls.storeType, replyToken: 0, leaseSet: ls.raw }), l.from);
      } else {
        const peers = this.store.closestFloodfills(l.key, 3, excluded).map((r) => r.hash);
        reply(I2NPType.DatabaseSearchReply, encodeDatabaseSearchReply({ key: l.key, peers, from: this.hash }), l.from);
      }
    } else if (m.type === I2NPType.DatabaseStore) {
      const ds = decodeDatabaseStore(m.payload);
      const r =
        ds.type === DatabaseStoreType.RouterInfo
          ? this.store.addRouterInfo(RI.parse(ds.routerInfo!))
          : this.store.addLeaseSet(ds.type, ds.key, ds.leaseSet!);
      if (ds.replyToken !== 0) {
        reply(I2NPType.DeliveryStatus, encodeDeliveryStatus({ msgId: ds.replyToken, timestamp: this.net.clock.t }), ds.replyGateway!);
        if (r === true) {
          const flood = { ...ds, replyToken: 0 };
          delete flood.replyGateway;
          delete flood.replyTunnelId;
          const exclude = new Set([from.toString('hex'), ds.key.toString('hex')]);
          for (const ff of this.store.closestFloodfills(ds.key, 3, exclude)) reply(I2NPType.DatabaseStore, encodeDatabaseStore(flood), ff.hash);
        }
      }
    }
  }
}

/** The network: simulated routers plus the router under test (its handler set with attach()). */
export class SimNetwork {
  readonly clock: Clock;
  readonly routers = new Map<string, SimRouter>();
  private readonly queue: (() => void)[] = [];
  private ours: { hash: Buffer; handle: (m: I2NPMessage, from: Buffer) => unknown } | undefined;
  readonly sent: { from: Buffer; to: Buffer; m: I2NPMessage }[] = [];

  constructor(clock = new Clock()) {
    this.clock = clock;
  }

  add(t: TestRouter, floodfill: boolean): SimRouter {
    const r = new SimRouter(this, t, floodfill);
    this.routers.set(t.ri.hash.toString('hex'), r);
    return r;
  }

  get(hash: Buffer): SimRouter | undefined {
    return this.routers.get(hash.toString('hex'));
  }

  /** Every simulated router learns every other's RouterInfo. */
  meshAll(): void {
    for (const a of this.routers.values()) for (const b of this.routers.values()) if (a !== b) a.store.addRouterInfo(b.ri);
  }

  attach(hash: Buffer, handle: (m: I2NPMessage, from: Buffer) => unknown): void {
    this.ours = { hash, handle };
  }

  /** A transport for the router under test. */
  transport(): NetDbTransport {
    return {
      send: (peer, msgs) => {
        const r = this.get(peer);
        if (!r?.online) return false;
        for (const m of msgs) this.send(this.ours!.hash, peer, m);
        return true;
      },
      sendTo: async (ri, msgs) => {
        const r = this.get(ri.hash);
        if (!r?.online) return false;
        for (const m of msgs) this.send(this.ours!.hash, ri.hash, m);
        return true;
      },
    };
  }

  send(from: Buffer, to: Buffer, m: I2NPMessage): void {
    this.sent.push({ from, to, m });
    const wire = encodeShort(m);
    this.queue.push(() => {
      const msg = decodeShort(wire);
      if (this.ours && to.equals(this.ours.hash)) this.ours.handle(msg, from);
      else {
        const r = this.get(to);
        if (r?.online) r.receive(msg, from);
      }
    });
  }

  /** Delivers everything queued, including what deliveries cause, and lets promises settle. */
  async flush(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      let n = 0;
      while (this.queue.length) {
        this.queue.shift()!();
        if (++n > 100_000) throw new Error('message storm');
      }
      await new Promise((r) => setImmediate(r));
      if (this.queue.length === 0) return;
    }
    throw new Error('network never settled');
  }

  /** Messages the router under test sent, by type. */
  sentBy(hash: Buffer, type: I2NPType): { to: Buffer; m: I2NPMessage }[] {
    return this.sent.filter((s) => s.from.equals(hash) && s.m.type === type);
  }
}
