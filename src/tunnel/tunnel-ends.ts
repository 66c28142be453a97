/**
 * The creator's ends of its own tunnels (tunnels-implementation.html role table): the outbound
 * gateway fragments, then "iteratively encrypt[s] (using decryption operations)" with every hop's
 * keys so that the outbound endpoint, after its own layer step, holds the plaintext; the inbound
 * endpoint "iteratively decrypt[s] to reveal [the] plaintext tunnel message" and reassembles.
 * Pure like the transit roles: messages and time in, SendActions / delivered messages out.
 */
import { TunnelEndpointReassembler, type DeliveredMessage, type ReassemblerOptions } from './endpoint-reassembler.js';
import { fragmentMessages, type GatewayMessage } from './gateway-fragmenter.js';
import { TunnelLayerCipher, decryptLayers } from './layer-crypto.js';
import { defaultTunnelRandom, type RandomSource } from './random-pool.js';
import { TUNNEL_MESSAGE_LIFETIME_MS, tunnelDataAction, type SendAction } from './send-action.js';
import { decodeTunnelData, tunnelLayerOf } from './tunnel-message.js';
import { ProtocolError } from '../util/errors.js';

/** A hop's layer keys as the build gave them. */
export interface HopKeys {
  layerKey: Uint8Array;
  ivKey: Uint8Array;
}

function checkTunnelId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`invalid tunnel id ${id}`);
}

function ciphers(hops: readonly HopKeys[]): TunnelLayerCipher[] {
  if (hops.length === 0) throw new RangeError('a tunnel needs at least one hop');
  return hops.map((h) => new TunnelLayerCipher(h.layerKey, h.ivKey));
}

export interface OutboundTunnelGatewayConfig {
  /** The first hop's router hash and receive tunnel id. */
  firstHop: Buffer;
  firstTunnelId: number;
  /** Every hop in message order, the outbound endpoint last. */
  hops: readonly HopKeys[];
  random?: RandomSource;
}

export class OutboundTunnelGateway {
  readonly firstHop: Buffer;
  readonly firstTunnelId: number;
  private readonly layers: TunnelLayerCipher[];
  private readonly random: RandomSource;

  constructor(cfg: OutboundTunnelGatewayConfig) {
    if (cfg.firstHop.length !== 32) throw new RangeError('first hop must be a 32-byte router hash');
    checkTunnelId(cfg.firstTunnelId);
    this.firstHop = Buffer.from(cfg.firstHop);
    this.firstTunnelId = cfg.firstTunnelId;
    this.layers = ciphers(cfg.hops);
    this.random = cfg.random ?? defaultTunnelRandom;
  }

  /** Sends messages into the tunnel: TunnelData for the first hop, plus what could not be sent. */
  send(messages: readonly GatewayMessage[], now: number): { actions: SendAction[]; refused: GatewayMessage[] } {
    const { tunnelMessages, refused } = fragmentMessages(this.firstTunnelId, messages, { random: this.random });
    const actions = tunnelMessages.map((tm) => {
      decryptLayers(this.layers, tunnelLayerOf(tm));
      return tunnelDataAction(this.firstHop, tm, now + TUNNEL_MESSAGE_LIFETIME_MS, this.random);
    });
    return { actions, refused };
  }
}

export interface InboundTunnelEndpointConfig {
  /** Our receive tunnel id (the last hop's next tunnel id). */
  tunnelId: number;
  /** Every hop in message order, the inbound gateway first. */
  hops: readonly HopKeys[];
  reassembly?: ReassemblerOptions;
}

export class InboundTunnelEndpoint {
  readonly tunnelId: number;
  private readonly layers: TunnelLayerCipher[];
  private readonly reassembler: TunnelEndpointReassembler;
  /** TunnelData refused before reassembly: wrong length or tunnel id. */
  refused = 0;

  constructor(cfg: InboundTunnelEndpointConfig) {
    checkTunnelId(cfg.tunnelId);
    this.tunnelId = cfg.tunnelId;
    this.layers = ciphers(cfg.hops);
    this.reassembler = new TunnelEndpointReassembler(cfg.reassembly);
  }

  get counters(): TunnelEndpointReassembler['counters'] {
    return this.reassembler.counters;
  }

  /** Takes a TunnelData payload addressed to this tunnel; returns the messages it completes. */
  receive(tunnelDataPayload: Buffer, now: number): DeliveredMessage[] {
    let tunnelId: number;
    try {
      tunnelId = decodeTunnelData(tunnelDataPayload).tunnelId;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      tunnelId = 0;
    }
    if (tunnelId !== this.tunnelId) {
      this.refused++;
      return [];
    }
    // Decrypt a copy: the payload belongs to the caller.
    const msg = Buffer.from(tunnelDataPayload);
    decryptLayers(this.layers, tunnelLayerOf(msg));
    return this.reassembler.receive(msg, now);
  }

  expire(now: number): void {
    this.reassembler.expire(now);
  }
}
