/**
 * Test helper (not a test file): an in-memory network of routers, each with our real transit role
 * (TransitManager over TunnelBuildHop) and router-garlic opening, dispatching messages the way
 * src/router/router.ts does; one of them may run a TunnelManager. Messages travel through a FIFO
 * queue, so a whole build or round trip happens inside one run().
 */
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { KeyCertificate } from '../../../src/data/certificate.js';
import { buildKeysAndCert } from '../../../src/data/keys-and-cert.js';
import { RouterAddress } from '../../../src/data/router-address.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import { RouterGarlicReceiver } from '../../../src/garlic/router-garlic.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { TunnelBuildHop } from '../../../src/tunnel/build/build-request.js';
import { TransitManager } from '../../../src/tunnel/transit-manager.js';
import { TunnelManager, type TunnelManagerSettings } from '../../../src/tunnel/tunnel-manager.js';
import { silentLogger } from '../../../src/util/log.js';

/** Minute-aligned, so a tunnel's expiry is exactly ten minutes after its build. */
export const SIM_START = 1_764_000_000_000 - (1_764_000_000_000 % 60_000);

/** A deterministic uniform [0, 1) source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RouterInfoParams {
  host?: string;
  caps?: string;
  version?: string;
  /** false: no `i` in the NTCP2 address (not published). */
  published?: boolean;
  /** Crypto type 0 (ElGamal) identity, with a random 256-byte key. */
  elGamal?: boolean;
  now?: number;
  extraAddresses?: RouterAddress[];
}

/** A signed RouterInfo whose identity carries `key` (so our TunnelBuildHop can open its records). */
export function simRouterInfo(key: X25519KeyPair, p: RouterInfoParams = {}): RouterInfo {
  const signer = Ed25519Signer.generate();
  const identity = p.elGamal
    ? RouterIdentity.parse(buildKeysAndCert(randomBytes(256), signer.publicKey, KeyCertificate.create(7, 0)))
    : RouterIdentity.create(key.publicKey, signer.publicKey);
  const ntcp2 = new Map([
    ['host', p.host ?? '198.18.0.1'],
    ['port', '12345'],
    ['s', i2pBase64Encode(X25519KeyPair.generate().publicKey)],
    ['v', '2'],
  ]);
  if (p.published !== false) ntcp2.set('i', i2pBase64Encode(randomBytes(16)));
  return RouterInfo.create({
    identity,
    signer,
    published: p.now ?? SIM_START,
    addresses: [new RouterAddress(3, 0, 'NTCP2', ntcp2), ...(p.extraAddresses ?? [])],
    options: new Map([
      ['caps', p.caps ?? 'XR'],
      ['netId', '99'],
      ['router.version', p.version ?? '0.9.57'],
    ]),
  });
}

export interface SimNode {
  name: string;
  key: X25519KeyPair;
  ri: RouterInfo;
  hash: Buffer;
  transit: TransitManager;
  garlic: RouterGarlicReceiver;
  manager?: TunnelManager;
  /** Messages nobody on this node took. */
  unhandled: I2NPMessage[];
  /** Messages the manager handed to deliverLocal. */
  local: I2NPMessage[];
  /** Drops every message it gets (a hop that went away). */
  blackhole: boolean;
  /** Keeps what it gets in `held` until released (a very slow hop). */
  hold: boolean;
  held: I2NPMessage[];
}

export interface TraceEntry {
  from: string;
  to: string;
  type: number;
}

export class SimNetwork {
  now = SIM_START;
  readonly nodes = new Map<string, SimNode>();
  readonly trace: TraceEntry[] = [];
  private readonly queue: Array<{ from: string; to: Buffer; m: I2NPMessage }> = [];
  private hostCounter = 0;

  /** A router with our transit role; `host` defaults to a distinct /16 per router (10.<n>.0.1). */
  addRouter(name: string, p: RouterInfoParams & { maxTransit?: number } = {}): SimNode {
    const key = X25519KeyPair.generate();
    const ri = simRouterInfo(key, { ...p, host: p.host ?? `10.${++this.hostCounter}.0.1`, now: this.now });
    const hash = ri.hash;
    const node: SimNode = {
      name,
      key,
      ri,
      hash,
      transit: new TransitManager({
        hop: new TunnelBuildHop({ identHash: hash, encryptionKey: key }),
        ourHash: hash,
        maxTransitTunnels: p.maxTransit ?? 100,
        deliver: (to, m) => this.send(name, to, m),
        newMessageId: () => Math.floor(Math.random() * 0xffffffff),
        now: () => this.now,
        log: silentLogger(),
      }),
      garlic: new RouterGarlicReceiver({ key }),
      unhandled: [],
      local: [],
      blackhole: false,
      hold: false,
      held: [],
    };
    this.nodes.set(hash.toString('hex'), node);
    return node;
  }

  /** Gives `node` a TunnelManager over a NetDbStore holding every other router's RouterInfo. */
  addManager(node: SimNode, options: Partial<TunnelManagerSettings> = {}, random?: () => number): TunnelManager {
    const store = new NetDbStore({ netId: 99, ourHash: node.hash, now: () => this.now });
    for (const n of this.nodes.values()) if (n !== node) assertStored(store.addRouterInfo(n.ri, { verified: true, now: this.now }));
    const manager = new TunnelManager({
      store,
      ourHash: node.hash,
      deliver: (to, m) => this.send(node.name, to, m),
      deliverLocal: (m) => node.local.push(m),
      now: () => this.now,
      log: silentLogger(),
      options: { sameSubnetAllowed: false, ...options },
      random,
    });
    node.manager = manager;
    return manager;
  }

  node(hash: Buffer): SimNode | undefined {
    return this.nodes.get(hash.toString('hex'));
  }

  send(from: string, to: Buffer, m: I2NPMessage): void {
    this.queue.push({ from, to, m });
  }

  /** Delivers queued messages (and what they cause) until the network is quiet; returns how many. */
  run(maxMessages = 100_000): number {
    let n = 0;
    while (this.queue.length > 0) {
      if (++n > maxMessages) throw new Error('the simulated network does not settle');
      const { from, to, m } = this.queue.shift()!;
      const node = this.node(to);
      this.trace.push({ from, to: node?.name ?? to.toString('hex').slice(0, 8), type: m.type });
      if (!node || node.blackhole) continue;
      if (node.hold) node.held.push(m);
      else this.dispatch(node, m, false);
    }
    return n;
  }

  /** As Router.onMessage: our tunnels first, then router garlic (local cloves), then transit. */
  private dispatch(node: SimNode, m: I2NPMessage, inGarlic: boolean): void {
    if (node.manager?.handle(m)) return;
    if (m.type === I2NPType.Garlic && !inGarlic && RouterGarlicReceiver.looksLikeRouterGarlic(m.payload)) {
      try {
        for (const b of node.garlic.open(m.payload, this.now)) {
          if (b.type === 'clove' && b.clove.delivery.kind === 'local') this.dispatch(node, b.clove.message, true);
        }
        return;
      } catch {
        node.unhandled.push(m);
        return;
      }
    }
    if (node.transit.handle(m)) return;
    node.unhandled.push(m);
  }

  /** Lets a held node process what it kept. */
  release(node: SimNode): void {
    node.hold = false;
    for (const m of node.held.splice(0)) this.dispatch(node, m, false);
    this.run();
  }

  /** Advances the clock and lets `node`'s manager act, then runs the network. */
  step(node: SimNode, ms: number): void {
    this.now += ms;
    node.manager!.tick();
    this.run();
  }
}

function assertStored(r: unknown): void {
  if (r !== true) throw new Error(`RouterInfo not stored: ${String(r)}`);
}
