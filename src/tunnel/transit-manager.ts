/**
 * Transit (participant) role: the shell around the pure build-request hop
 * (src/tunnel/build/build-request.ts) and transit tunnel cores (src/tunnel/participant.ts).
 *
 * A build message that reaches us (ShortTunnelBuild 25, VariableTunnelBuild 23, TunnelBuild 21)
 * is opened, accepted or rejected with a reason, answered in place and sent on: to the next hop,
 * or — as outbound endpoint — to the reply tunnel's gateway in a TunnelGateway message (short
 * builds: garlic-wrapped with the one-time key/tag from our record, tunnel-creation-ecies.rst
 * "Garlic Encryption"). Accepted tunnels then relay TunnelData (18) / TunnelGateway (19)
 * messages until they expire ten minutes after creation (tunnels-implementation.html).
 */
import type { Logger } from '../util/log.js';
import { I2NPType, type I2NPMessage } from '../i2np/message.js';
import { decodeTunnelGateway, encodeTunnelGateway } from '../i2np/tunnel-gateway.js';
import { sealOneTimeReply } from '../garlic/one-time-reply.js';
import { ProtocolError } from '../util/errors.js';
import { BuildReplyCode } from './build/build-record.js';
import type { BuildRequest, TunnelBuildHop } from './build/build-request.js';
import { TransitTunnel, type TransitRole } from './participant.js';
import type { SendAction } from './send-action.js';

/** Build replies and forwarded build messages expire this long after we send them. */
const BUILD_MESSAGE_LIFETIME_MS = 60_000;

export interface TransitManagerOptions {
  hop: TunnelBuildHop;
  ourHash: Buffer;
  /** i2pd's `--limits.transittunnels`. */
  maxTransitTunnels: number;
  /** Sends (dialling if needed) an I2NP message to a router. */
  deliver: (to: Buffer, message: I2NPMessage) => void;
  newMessageId: () => number;
  now: () => number;
  log: Logger;
  /** Whether we accept transit at all (e.g. false while shutting down). */
  accepting?: () => boolean;
  /** Whether transit traffic already uses its bandwidth share (then new tunnels are refused). */
  overBandwidth?: () => boolean;
}

export interface TransitCountersSnapshot {
  transitTunnels: number;
  buildRequests: number;
  accepted: number;
  rejected: Record<string, number>;
  dropped: Record<string, number>;
  messagesRelayed: number;
  bytesRelayed: number;
  expired: number;
}

export interface TransitTunnelInfo {
  role: TransitRole;
  /** The tunnel id we receive on (for an inbound gateway: the id in TunnelGateway messages to us). */
  receiveTunnelId: number;
  nextIdent: Buffer;
  /** For an outbound endpoint: what its build record named (the creator's reply tunnel). */
  nextTunnelId: number;
  createdAt: number;
  expiresAt: number;
  /** Messages and bytes relayed so far. */
  messages: number;
  bytes: number;
}

export class TransitManager {
  private readonly tunnels = new Map<number, TransitTunnel>();
  private readonly stats = { buildRequests: 0, accepted: 0, messagesRelayed: 0, bytesRelayed: 0, expired: 0 };
  private readonly rejected: Record<string, number> = {};
  private readonly dropped: Record<string, number> = {};
  private closedMessages = 0;
  private closedBytes = 0;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: TransitManagerOptions) {}

  get size(): number {
    return this.tunnels.size;
  }

  /** Changes the transit limit at run time (admin settings); tunnels above a lowered limit run to their expiry. */
  setMaxTransitTunnels(n: number): void {
    this.opts.maxTransitTunnels = n;
  }

  get counters(): TransitCountersSnapshot {
    let messages = this.closedMessages;
    let bytes = this.closedBytes;
    for (const t of this.tunnels.values()) {
      messages += t.counters.messagesOut;
      bytes += t.counters.bytesOut;
    }
    return {
      transitTunnels: this.tunnels.size,
      buildRequests: this.stats.buildRequests,
      accepted: this.stats.accepted,
      rejected: { ...this.rejected },
      dropped: { ...this.dropped },
      messagesRelayed: messages,
      bytesRelayed: bytes,
      expired: this.stats.expired,
    };
  }

  /** The transit tunnels we carry now (for the admin pages and tests); a snapshot. */
  list(): TransitTunnelInfo[] {
    return [...this.tunnels.values()].map((t) => ({
      role: t.role,
      receiveTunnelId: t.receiveTunnelId,
      nextIdent: t.nextIdent,
      nextTunnelId: t.nextTunnelId,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      messages: t.counters.messagesOut,
      bytes: t.counters.bytesOut,
    }));
  }

  start(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.expire(this.opts.now()), 30_000);
    this.sweepTimer.unref();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const t of this.tunnels.values()) this.retire(t);
    this.tunnels.clear();
  }

  /** Offers an I2NP message; true if it was ours to handle (build request or transit data). */
  handle(m: I2NPMessage): boolean {
    switch (m.type) {
      case I2NPType.ShortTunnelBuild:
      case I2NPType.VariableTunnelBuild:
      case I2NPType.TunnelBuild:
        this.onBuildRequest(m);
        return true;
      case I2NPType.TunnelData:
        return this.onTunnelData(m);
      case I2NPType.TunnelGateway:
        return this.onTunnelGateway(m);
      default:
        return false;
    }
  }

  expire(now: number): number {
    let n = 0;
    for (const [id, t] of this.tunnels) {
      if (!t.isExpired(now)) continue;
      this.retire(t);
      this.tunnels.delete(id);
      n++;
    }
    this.stats.expired += n;
    return n;
  }

  private onBuildRequest(m: I2NPMessage): void {
    const now = this.opts.now();
    this.stats.buildRequests++;
    let req: BuildRequest;
    try {
      req = this.opts.hop.open(m.type, m.payload, now);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // Not for us, replayed, stale, malformed, bad MAC: nothing we can answer.
      bump(this.dropped, `build:${e.code}`);
      return;
    }
    const reason = this.refusal(req);
    const forward = req.reply(reason === undefined ? true : BuildReplyCode.Bandwidth);
    if (reason === undefined) {
      const tunnel = new TransitTunnel({
        role: req.role,
        receiveTunnelId: req.receiveTunnelId,
        nextTunnelId: req.nextTunnelId,
        nextIdent: req.nextIdent,
        layerKey: req.layerKey,
        ivKey: req.ivKey,
        createdAt: now,
      });
      this.tunnels.set(req.receiveTunnelId, tunnel);
      this.stats.accepted++;
    } else {
      bump(this.rejected, reason);
    }
    this.opts.log.debug({ role: req.role, tunnel: req.receiveTunnelId, accepted: reason === undefined, reason }, 'transit tunnel build request');

    let out: I2NPMessage = { type: forward.type, msgId: forward.msgId, expiration: now + BUILD_MESSAGE_LIFETIME_MS, payload: forward.payload };
    if (forward.replyTunnelId !== undefined) {
      // Outbound endpoint: the reply goes into the creator's inbound tunnel.
      if (forward.garlicReply) {
        out = { type: I2NPType.Garlic, msgId: this.opts.newMessageId(), expiration: out.expiration, payload: sealOneTimeReply(forward.garlicReply.key, forward.garlicReply.tag, out) };
      }
      out = { type: I2NPType.TunnelGateway, msgId: this.opts.newMessageId(), expiration: out.expiration, payload: encodeTunnelGateway({ tunnelId: forward.replyTunnelId, message: out }) };
    }
    this.opts.deliver(forward.to, out);
  }

  /** Why we refuse a request, or undefined to accept (tunnel-creation-ecies.rst reply codes). */
  private refusal(req: BuildRequest): string | undefined {
    if (this.opts.accepting && !this.opts.accepting()) return 'not-accepting';
    if (this.tunnels.size >= this.opts.maxTransitTunnels) return 'limit';
    if (this.opts.overBandwidth?.()) return 'bandwidth';
    if (this.tunnels.has(req.receiveTunnelId)) return 'duplicate-tunnel-id';
    if (req.receiveTunnelId === 0 || (req.role !== 'outboundEndpoint' && req.nextTunnelId === 0)) return 'zero-tunnel-id';
    return undefined;
  }

  private onTunnelData(m: I2NPMessage): boolean {
    if (m.payload.length < 4) {
      bump(this.dropped, 'TunnelData:short');
      return true;
    }
    const t = this.tunnels.get(m.payload.readUInt32BE(0));
    if (!t || t.role === 'inboundGateway') {
      // Our own tunnels come with the pool work; unknown ids are dropped.
      bump(this.dropped, 'TunnelData:unknown-tunnel');
      return true;
    }
    this.run(t, m);
    return true;
  }

  private onTunnelGateway(m: I2NPMessage): boolean {
    let tunnelId: number;
    try {
      tunnelId = decodeTunnelGateway(m.payload).tunnelId;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      bump(this.dropped, `TunnelGateway:${e.code}`);
      return true;
    }
    const t = this.tunnels.get(tunnelId);
    if (!t || t.role !== 'inboundGateway') {
      bump(this.dropped, 'TunnelGateway:unknown-tunnel');
      return true;
    }
    this.run(t, m);
    return true;
  }

  private run(t: TransitTunnel, m: I2NPMessage): void {
    let actions: SendAction[];
    try {
      actions = t.receive(m, this.opts.now());
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      bump(this.dropped, `transit:${e.code}`);
      return;
    }
    for (const a of actions) this.opts.deliver(a.sendTo, a.message);
  }

  private retire(t: TransitTunnel): void {
    this.closedMessages += t.counters.messagesOut;
    this.closedBytes += t.counters.bytesOut;
    t.close();
  }
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}
