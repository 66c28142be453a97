/**
 * A transit tunnel: the processing a router does for someone else's tunnel it agreed to join
 * (tunnels-implementation.html "Participant Processing", the role table under "Tunnel Operation").
 * Pure: I2NP messages and the time in, SendActions out, counters as data.
 *
 *   participant        TunnelData in → one forward layer step → TunnelData to the next hop,
 *                      re-addressed with the next hop's tunnel id
 *   inbound gateway    TunnelGateway in → fragment (LOCAL delivery: the endpoint is the creator)
 *                      → one forward layer step → TunnelData to the next hop
 *   outbound endpoint  TunnelData in → one forward layer step reveals the plaintext → reassemble
 *                      → deliver per instructions: ROUTER sends the message to that router,
 *                      TUNNEL wraps it in TunnelGateway to the gateway, LOCAL is dropped ("LOCAL
 *                      is used for inbound tunnels only, unimplemented for outbound tunnels")
 *
 * Tunnels are "short-lived (10 minutes)": the tunnel refuses traffic after expiresAt and the shell
 * removes it. Duplicate suppression (the router-wide Bloom filter on IV ⊕ first block) and the
 * previous-hop check belong to the shell, which sees every tunnel and the sending peer.
 */
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import type { HopRole } from './build/build-record.js';
import { decodeTunnelGateway, encodeTunnelGatewayRaw, TUNNEL_GATEWAY_HEADER_LENGTH } from '../i2np/tunnel-gateway.js';
import { ProtocolError } from '../util/errors.js';
import { TunnelEndpointReassembler, type DeliveredMessage, type ReassemblerOptions } from './endpoint-reassembler.js';
import { fragmentMessages, type GatewayMessage } from './gateway-fragmenter.js';
import { TunnelLayerCipher } from './layer-crypto.js';
import { defaultTunnelRandom, randomMsgId, type RandomSource } from './random-pool.js';
import { TUNNEL_MESSAGE_LIFETIME_MS, tunnelDataAction, type SendAction } from './send-action.js';
import { LOCAL_TUNNEL_DELIVERY, TUNNEL_MESSAGE_LENGTH, decodeTunnelData, tunnelLayerOf } from './tunnel-message.js';

/** The build request's role for this hop (tunnel-creation-ecies.rst flags). */
export type TransitRole = HopRole;

/** tunnels-implementation.html: "Tunnels themselves are short-lived (10 minutes)". */
export const TUNNEL_LIFETIME_MS = 10 * 60_000;

/** What a build request told this hop (tunnel-creation-ecies.rst request record); the fields
 * carry the names of src/tunnel/build's BuildRequest, so an accepted request can be passed in. */
export interface TransitTunnelConfig {
  role: TransitRole;
  /** The tunnel id we receive TunnelData (or, as inbound gateway, TunnelGateway) on. */
  receiveTunnelId: number;
  /** The next hop's receive tunnel id (for an outbound endpoint: where the build reply went). */
  nextTunnelId: number;
  /** The next hop's router hash (for an outbound endpoint: the reply gateway). */
  nextIdent: Buffer;
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  /** ms; the tunnel expires TUNNEL_LIFETIME_MS later. */
  createdAt: number;
}

export interface TransitTunnelOptions {
  random?: RandomSource;
  /** Outbound endpoint reassembly limits (per tunnel and, via a shared budget, overall). */
  reassembly?: ReassemblerOptions;
}

export interface TransitCounters {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  /** Messages dropped by reason: 'expired', 'wrong-type', 'wrong-tunnel', 'length',
   * 'too-large', 'local-at-obep', or a DataFormatError code of a bad TunnelGateway. */
  dropped: Record<string, number>;
}

export class TransitTunnel {
  readonly role: TransitRole;
  readonly receiveTunnelId: number;
  readonly nextTunnelId: number;
  readonly nextIdent: Buffer;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly counters: TransitCounters = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, dropped: {} };
  private readonly layer: TunnelLayerCipher;
  private readonly random: RandomSource;
  private readonly reassembler: TunnelEndpointReassembler | undefined;

  constructor(config: TransitTunnelConfig, opts: TransitTunnelOptions = {}) {
    for (const [name, id] of [['receive', config.receiveTunnelId], ['next', config.nextTunnelId]] as const) {
      if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`invalid ${name} tunnel id ${id}`);
    }
    if (config.nextIdent.length !== 32) throw new RangeError('next hop must be a 32-byte router hash');
    this.role = config.role;
    this.receiveTunnelId = config.receiveTunnelId;
    this.nextTunnelId = config.nextTunnelId;
    this.nextIdent = Buffer.from(config.nextIdent);
    this.createdAt = config.createdAt;
    this.expiresAt = config.createdAt + TUNNEL_LIFETIME_MS;
    this.layer = new TunnelLayerCipher(config.layerKey, config.ivKey);
    this.random = opts.random ?? defaultTunnelRandom;
    this.reassembler = config.role === 'outboundEndpoint' ? new TunnelEndpointReassembler(opts.reassembly) : undefined;
  }

  isExpired(now: number): boolean {
    return now >= this.expiresAt;
  }

  /** The outbound endpoint's reassembly counters (undefined for other roles). */
  get reassembly(): TunnelEndpointReassembler['counters'] | undefined {
    return this.reassembler?.counters;
  }

  /** Processes one message addressed to this tunnel. */
  receive(message: I2NPMessage, now: number): SendAction[] {
    return this.receiveBatch([message], now);
  }

  /**
   * Processes messages that arrived together. An inbound gateway packs all their payloads into as
   * few tunnel messages as possible, so a shell that batches per event-loop turn saves bandwidth.
   */
  receiveBatch(messages: readonly I2NPMessage[], now: number): SendAction[] {
    const out: SendAction[] = [];
    if (this.role === 'inboundGateway') {
      const batch: GatewayMessage[] = [];
      for (const m of messages) {
        const g = this.accept(m, now, I2NPType.TunnelGateway);
        if (g !== undefined) batch.push(g);
      }
      if (batch.length > 0) this.gateway(batch, now, out);
    } else {
      for (const m of messages) {
        const layer = this.accept(m, now, I2NPType.TunnelData);
        if (layer === undefined) continue;
        if (this.role === 'participant') this.relay(m, layer, out);
        else this.endpoint(layer, now, out);
      }
    }
    for (const a of out) {
      this.counters.messagesOut++;
      this.counters.bytesOut += a.message.payload.length;
    }
    return out;
  }

  /** Counts and checks one incoming message; returns the TunnelData layer or the gateway message. */
  private accept(m: I2NPMessage, now: number, type: I2NPType.TunnelData): Buffer | undefined;
  private accept(m: I2NPMessage, now: number, type: I2NPType.TunnelGateway): GatewayMessage | undefined;
  private accept(m: I2NPMessage, now: number, type: I2NPType): Buffer | GatewayMessage | undefined {
    this.counters.messagesIn++;
    this.counters.bytesIn += m.payload.length;
    if (this.isExpired(now)) return this.drop('expired');
    if (m.type !== type) return this.drop('wrong-type');
    try {
      if (type === I2NPType.TunnelData) {
        const td = decodeTunnelData(m.payload);
        if (td.tunnelId !== this.receiveTunnelId) return this.drop('wrong-tunnel');
        return td.ivAndData;
      }
      // decodeTunnelGateway checks the wrapped message's size and checksum; its bytes are then
      // passed on as they are (LOCAL delivery: the inbound endpoint is the tunnel's creator).
      const tg = decodeTunnelGateway(m.payload);
      if (tg.tunnelId !== this.receiveTunnelId) return this.drop('wrong-tunnel');
      return { delivery: LOCAL_TUNNEL_DELIVERY, data: m.payload.subarray(TUNNEL_GATEWAY_HEADER_LENGTH) };
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.drop(e.code);
    }
  }

  /** Participant: one layer, new tunnel id, same expiration (a hop does not extend a message's life). */
  private relay(m: I2NPMessage, layer: Buffer, out: SendAction[]): void {
    const next = Buffer.allocUnsafe(TUNNEL_MESSAGE_LENGTH);
    next.writeUInt32BE(this.nextTunnelId, 0);
    this.layer.encrypt(layer, tunnelLayerOf(next));
    out.push(tunnelDataAction(this.nextIdent, next, m.expiration, this.random));
  }

  private gateway(batch: GatewayMessage[], now: number, out: SendAction[]): void {
    const { tunnelMessages, refused } = fragmentMessages(this.nextTunnelId, batch, { random: this.random });
    for (let i = 0; i < refused.length; i++) this.drop('too-large');
    for (const tm of tunnelMessages) {
      const layer = tunnelLayerOf(tm);
      this.layer.encrypt(layer, layer);
      out.push(tunnelDataAction(this.nextIdent, tm, now + TUNNEL_MESSAGE_LIFETIME_MS, this.random));
    }
  }

  private endpoint(layer: Buffer, now: number, out: SendAction[]): void {
    const plain = Buffer.allocUnsafe(TUNNEL_MESSAGE_LENGTH);
    plain.writeUInt32BE(this.receiveTunnelId, 0);
    this.layer.encrypt(layer, tunnelLayerOf(plain));
    for (const d of this.reassembler!.receive(plain, now)) this.deliver(d, out);
  }

  private deliver({ delivery, message, data }: DeliveredMessage, out: SendAction[]): void {
    switch (delivery.kind) {
      case 'router':
        out.push({ sendTo: delivery.hash, message });
        return;
      case 'tunnel':
        out.push({
          sendTo: delivery.gateway,
          message: {
            type: I2NPType.TunnelGateway,
            msgId: randomMsgId(this.random),
            expiration: message.expiration,
            payload: encodeTunnelGatewayRaw(delivery.tunnelId, data),
          },
        });
        return;
      case 'local':
        this.drop('local-at-obep');
    }
  }

  private drop(reason: string): undefined {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    return undefined;
  }

  /** Releases what the tunnel holds (its partial messages' share of a shared budget). */
  close(): void {
    this.reassembler?.clear();
  }
}
