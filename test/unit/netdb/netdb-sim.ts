// Test helper (not a test file): a small in-memory I2P network for netDb tests. Each simulated
// router has its own NetDbStore; floodfills run our real FloodfillHandler. Messages cross a
// fake transport as real encoded I2NP (short header), queued and delivered by flush().
import { randomInt } from 'node:crypto';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { decodeDatabaseLookup } from '../../../src/i2np/database-lookup.js';
import { decodeDatabaseStore } from '../../../src/i2np/database-store.js';
import { decodeShort, encodeShort, I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { decodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import { RouterGarlicReceiver } from '../../../src/garlic/router-garlic.js';
import { FloodfillHandler, type OutboundI2NP } from '../../../src/netdb/floodfill.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import type { NetDbTransport, NetDbTunnels } from '../../../src/netdb/netdb.js';
import { silentLogger } from '../../../src/util/log.js';
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
  garlicReceived = 0;
  readonly handler: FloodfillHandler | undefined;

  constructor(
    readonly net: SimNetwork,
    readonly t: TestRouter,
    readonly floodfill: boolean,
  ) {
    this.store = new NetDbStore({ netId: 99, ourHash: t.ri.hash, now: net.clock.now });
    if (floodfill) {
      this.handler = new FloodfillHandler({
        store: this.store,
        ourHash: t.ri.hash,
        now: net.clock.now,
        newMessage: newMessage(net.clock),
        log: silentLogger(),
        ourRouterInfo: () => t.ri,
        maxLookupsPerPeerPerMinute: 100_000,
      });
    }
  }

  get hash(): Buffer {
    return this.t.ri.hash;
  }

  get ri(): RouterInfo {
    return this.t.ri;
  }

  receive(m: I2NPMessage, from: Buffer): void {
    if (m.type === I2NPType.Garlic) {
      // Garlic to the router (ecies-routers.rst), as our tunnelled lookups and stores arrive.
      this.garlicReceived++;
      const blocks = new RouterGarlicReceiver({ key: this.t.encryption }).open(m.payload, this.net.clock.t);
      for (const b of blocks) if (b.type === 'clove' && b.clove.delivery.kind === 'local') this.receive(b.clove.message, from);
      return;
    }
    this.received.push(m);
    if (!this.handler || this.silent) return;
    let out: OutboundI2NP[] = [];
    if (m.type === I2NPType.DatabaseLookup) out = this.handler.onDatabaseLookup(decodeDatabaseLookup(m.payload), from);
    else if (m.type === I2NPType.DatabaseStore) out = this.handler.onDatabaseStore(decodeDatabaseStore(m.payload), from).out;
    for (const o of out) this.net.send(this.hash, o.to, o.message);
  }
}

/** The network: simulated routers plus the router under test (its handler set with attach()). */
export class SimNetwork {
  readonly clock: Clock;
  readonly routers = new Map<string, SimRouter>();
  private readonly queue: (() => void)[] = [];
  private ours: { hash: Buffer; handle: (m: I2NPMessage, from: Buffer) => unknown } | undefined;
  /** The simulated tunnels of the router under test: their outbound endpoint and inbound gateway. */
  private ourTunnels: { endpoint: Buffer; gateway: Buffer; tunnelId: number } | undefined;
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

  /**
   * Tunnels for the router under test: what it sends through them leaves from `endpoint` (a router
   * hash that is not its own) and what reaches `gateway`/`tunnelId` as a TunnelGateway comes out
   * at our router as delivered by itself, as from a real inbound tunnel.
   */
  tunnels(endpoint: Buffer, gateway: Buffer, tunnelId: number): NetDbTunnels & { available: boolean } {
    this.ourTunnels = { endpoint, gateway, tunnelId };
    const t = {
      available: true,
      replyTunnel: () => (t.available ? { gateway, tunnelId } : undefined),
      sendToRouter: (to: Buffer, m: I2NPMessage) => {
        if (!t.available) return false;
        this.send(endpoint, to, m);
        return true;
      },
    };
    return t;
  }

  send(from: Buffer, to: Buffer, m: I2NPMessage): void {
    this.sent.push({ from, to, m });
    const wire = encodeShort(m);
    this.queue.push(() => {
      const msg = decodeShort(wire);
      const tun = this.ourTunnels;
      if (this.ours && tun && to.equals(tun.gateway)) {
        if (msg.type !== I2NPType.TunnelGateway) return;
        const tg = decodeTunnelGateway(msg.payload);
        if (tg.tunnelId === tun.tunnelId) this.ours.handle(tg.message, this.ours.hash);
      } else if (this.ours && to.equals(this.ours.hash)) this.ours.handle(msg, from);
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
