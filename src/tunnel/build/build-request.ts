/**
 * The hop side of ECIES tunnel building (tunnel-creation-ecies.rst; tunnel-creation.rst "Hop
 * Processing and Encryption", "Tunnel Build Message Endpoint Handling"): what our router does
 * when a TunnelBuild (21), VariableTunnelBuild (23) or ShortTunnelBuild (25) reaches it.
 *
 * 1. Find the record whose first 16 bytes are our truncated router hash.
 * 2. Noise N-decrypt it with our X25519 router key; parse the request.
 * 3. Whoever decides (the shell: limits, bandwidth, congestion) answers with a reply code; we then
 *    replace our record by the AEAD-encrypted reply and put our reply layer over every other
 *    record, so the next hop finds its own record in the clear (and the creator can peel replies).
 * 4. Forward the message to the next hop with the next message id — or, as outbound endpoint,
 *    send it as the matching reply message (22/24/26) to the reply tunnel's gateway.
 *
 * Pure: time comes in with each call; the replay cache is memory the caller hands in.
 */
import type { X25519KeyPair } from '../../crypto/index.js';
import type { SymmetricState } from '../../crypto/noise.js';
import { ChaCha20Poly1305 } from '../../crypto/index.js';
import type { Mapping } from '../../data/mapping.js';
import { buildMessageLayout, buildReplyType, decodeBuildRecords, encodeBuildRecords } from '../../i2np/tunnel-build.js';
import { I2NPType } from '../../i2np/message.js';
import { AuthenticationError, DataFormatError, ProtocolError } from '../../util/errors.js';
import {
  BuildReplyCode,
  decodeLongBuildRequest,
  decodeShortBuildRequest,
  encodeBuildReply,
  type BuildRecordFormat,
  type HopRole,
} from './build-record.js';
import {
  applyReplyLayer,
  buildRecordInitialState,
  deriveShortRecordKeys,
  EPHEMERAL_KEY_OFFSET,
  ENCRYPTED_PART_OFFSET,
  openRequestRecord,
  TRUNCATED_HASH_LENGTH,
  type ReplyLayer,
} from './record-crypto.js';
import { BuildRecordReplayCache, REQUEST_MAX_AGE_MS, REQUEST_MAX_FUTURE_MS } from './replay-cache.js';

export interface TunnelBuildHopOptions {
  /** Our RouterIdentity hash. */
  identHash: Buffer;
  /** Our router's X25519 encryption key pair (the key in our RouterIdentity). */
  encryptionKey: X25519KeyPair;
  /** Ephemeral keys already seen; a fresh one if not given. */
  replayCache?: BuildRecordReplayCache;
  /** Request times further in the past than this are refused; default REQUEST_MAX_AGE_MS. */
  maxRequestAgeMs?: number;
  /** ... or further in the future; default REQUEST_MAX_FUTURE_MS. */
  maxRequestFutureMs?: number;
}

export type TunnelBuildHopCounters = Record<
  'opened' | 'notOurs' | 'malformed' | 'authFailed' | 'replayed' | 'stale' | 'future' | 'loop' | 'layerEncryption',
  number
>;

/** A message to send once we have answered a build request. */
export interface BuildForward {
  /** I2NP type: the request's type for a participant or inbound gateway; 22/24/26 for an outbound endpoint. */
  type: number;
  /** The next message id from our record. */
  msgId: number;
  payload: Buffer;
  /** Router to send it to: the next hop, or (outbound endpoint) the reply tunnel's gateway. */
  to: Buffer;
  /**
   * Outbound endpoint only: deliver the reply in a TunnelGateway message for this tunnel at `to`
   * (tunnel-creation.rst: "delivers it to the reply tunnel specified within the request record").
   */
  replyTunnelId?: number;
  /**
   * Outbound endpoint of a short build only: garlic-wrap the OutboundTunnelBuildReply as an
   * ECIES Existing Session message with this key and tag (tunnel-creation-ecies.rst "Garlic
   * Encryption"; the one-time-reply format of src/garlic/one-time-reply.ts).
   */
  garlicReply?: { key: Buffer; tag: Buffer };
}

interface ReplyState {
  records: Buffer[];
  layer: ReplyLayer;
  aead: ChaCha20Poly1305;
  nonce: number;
  ad: Buffer;
  replied: boolean;
}

/** A decrypted, well-formed build request addressed to us. Answer it once with reply(). */
export class BuildRequest {
  readonly format: BuildRecordFormat;
  /** 21, 23 or 25. */
  readonly messageType: number;
  /** Position of our record in the message (the short reply nonce). */
  readonly recordIndex: number;
  readonly recordCount: number;
  readonly receiveTunnelId: number;
  readonly nextTunnelId: number;
  readonly nextIdent: Buffer;
  readonly role: HopRole;
  /** ms since the epoch (minute resolution). */
  readonly requestTime: number;
  readonly expirationSeconds: number;
  readonly nextMessageId: number;
  readonly options: Mapping;
  /** Tunnel layer encryption type: 0 = AES (always 0 for long records). */
  readonly layerEncryption: number;
  /** AES-256 tunnel layer key. */
  readonly layerKey: Buffer;
  /** AES-256 tunnel IV key. */
  readonly ivKey: Buffer;
  /** Key of our layer over the other records: AES-256 (long) or ChaCha20 (short, also the reply AEAD key). */
  readonly replyKey: Buffer;
  /** Long records only: the AES-CBC IV of that layer. */
  readonly replyIv: Buffer | undefined;
  /** Short records, outbound endpoint only: garlic key and tag for the OutboundTunnelBuildReply. */
  readonly garlicReplyKey: Buffer | undefined;
  readonly garlicReplyTag: Buffer | undefined;
  private readonly state: ReplyState;

  /** @internal built by TunnelBuildHop.open */
  constructor(fields: Omit<BuildRequest, 'reply' | 'isOutboundEndpoint' | 'isInboundGateway'>, state: ReplyState) {
    this.format = fields.format;
    this.messageType = fields.messageType;
    this.recordIndex = fields.recordIndex;
    this.recordCount = fields.recordCount;
    this.receiveTunnelId = fields.receiveTunnelId;
    this.nextTunnelId = fields.nextTunnelId;
    this.nextIdent = fields.nextIdent;
    this.role = fields.role;
    this.requestTime = fields.requestTime;
    this.expirationSeconds = fields.expirationSeconds;
    this.nextMessageId = fields.nextMessageId;
    this.options = fields.options;
    this.layerEncryption = fields.layerEncryption;
    this.layerKey = fields.layerKey;
    this.ivKey = fields.ivKey;
    this.replyKey = fields.replyKey;
    this.replyIv = fields.replyIv;
    this.garlicReplyKey = fields.garlicReplyKey;
    this.garlicReplyTag = fields.garlicReplyTag;
    this.state = state;
  }

  get isOutboundEndpoint(): boolean {
    return this.role === 'outboundEndpoint';
  }

  get isInboundGateway(): boolean {
    return this.role === 'inboundGateway';
  }

  /**
   * Answers the request: `true` / 0 accepts, `false` rejects with TUNNEL_REJECT_BANDWIDTH (30,
   * what routers send for every rejection), a number is sent as is. `options` are reply options
   * (proposal 168: "b" when accepting a request that had "m" or "r").
   *
   * Our record becomes ENCRYPT(k, n, ad = h, reply cleartext): long records k = ck and n = 0
   * ("Reply Record Encryption"), short records k = replyKey and n = our record number ("Record
   * Encryption"). Every other record gets our reply layer. Returns the message to send.
   */
  reply(accept: boolean | number, options: Mapping = new Map()): BuildForward {
    const s = this.state;
    if (s.replied) throw new Error('build request already answered');
    const code = accept === true ? BuildReplyCode.Accept : accept === false ? BuildReplyCode.Bandwidth : accept;
    const clear = encodeBuildReply(this.format, { code, options });
    s.replied = true;
    s.records.forEach((rec, i) => {
      if (i === this.recordIndex) rec.set(s.aead.encrypt(s.nonce, s.ad, clear));
      else applyReplyLayer(s.layer, i, rec);
    });
    if (this.role !== 'outboundEndpoint') {
      return { type: this.messageType, msgId: this.nextMessageId, payload: encodeBuildRecords(this.messageType, s.records), to: this.nextIdent };
    }
    const type = buildReplyType(this.messageType);
    const forward: BuildForward = { type, msgId: this.nextMessageId, payload: encodeBuildRecords(type, s.records), to: this.nextIdent, replyTunnelId: this.nextTunnelId };
    if (this.garlicReplyKey && this.garlicReplyTag) forward.garlicReply = { key: this.garlicReplyKey, tag: this.garlicReplyTag };
    return forward;
  }
}

/**
 * Opens the build messages that reach our router. Throws (and counts) typed errors:
 * DataFormatError (wrong type, count or length; malformed cleartext), ProtocolError 'not-ours'
 * (no record for us), 'replay', 'stale' / 'future' (request time), 'loop' (we are asked to
 * forward to ourselves), 'layer-encryption' (not AES), AuthenticationError (bad MAC or key).
 */
export class TunnelBuildHop {
  readonly counters: TunnelBuildHopCounters = { opened: 0, notOurs: 0, malformed: 0, authFailed: 0, replayed: 0, stale: 0, future: 0, loop: 0, layerEncryption: 0 };
  readonly replayCache: BuildRecordReplayCache;
  private readonly identHash: Buffer;
  private readonly key: X25519KeyPair;
  private readonly initial: SymmetricState;
  private readonly maxAgeMs: number;
  private readonly maxFutureMs: number;

  constructor(opts: TunnelBuildHopOptions) {
    if (opts.identHash.length !== 32) throw new RangeError('router hash must be 32 bytes');
    this.identHash = Buffer.from(opts.identHash);
    this.key = opts.encryptionKey;
    this.initial = buildRecordInitialState(opts.encryptionKey.publicKey);
    this.replayCache = opts.replayCache ?? new BuildRecordReplayCache();
    this.maxAgeMs = opts.maxRequestAgeMs ?? REQUEST_MAX_AGE_MS;
    this.maxFutureMs = opts.maxRequestFutureMs ?? REQUEST_MAX_FUTURE_MS;
  }

  /** Index of the first record addressed to us, or -1. */
  findOurRecord(records: readonly Buffer[]): number {
    return records.findIndex((r) => r.compare(this.identHash, 0, TRUNCATED_HASH_LENGTH, 0, TRUNCATED_HASH_LENGTH) === 0);
  }

  /** Decrypts and checks our record of a build message with I2NP type `type` (21, 23 or 25). */
  open(type: number, payload: Buffer, now: number): BuildRequest {
    const layout = buildMessageLayout(type);
    if (!layout || (type !== I2NPType.TunnelBuild && type !== I2NPType.VariableTunnelBuild && type !== I2NPType.ShortTunnelBuild)) {
      this.counters.malformed++;
      throw new DataFormatError(`I2NP type ${type} is not a tunnel build request`, 'type');
    }
    const format: BuildRecordFormat = type === I2NPType.ShortTunnelBuild ? 'short' : 'long';
    let records: Buffer[];
    try {
      records = decodeBuildRecords(type, payload);
    } catch (e) {
      this.counters.malformed++;
      throw e;
    }
    const index = this.findOurRecord(records);
    if (index < 0) {
      this.counters.notOurs++;
      throw new ProtocolError('not-ours', 'no build record for us');
    }
    const record = records[index]!;
    // Checked before the DH: a replay costs us no more than a lookup.
    const epk = record.subarray(EPHEMERAL_KEY_OFFSET, ENCRYPTED_PART_OFFSET);
    if (this.replayCache.has(epk, now)) {
      this.counters.replayed++;
      throw new ProtocolError('replay', 'build record ephemeral key seen before');
    }
    let opened: ReturnType<typeof openRequestRecord>;
    try {
      opened = openRequestRecord(this.initial, this.key, record);
    } catch (e) {
      if (e instanceof AuthenticationError) this.counters.authFailed++;
      throw e;
    }
    // Authentic: from now on the same record is a replay, whatever else is wrong with it.
    this.replayCache.add(epk, now);
    let request: BuildRequest;
    try {
      request = format === 'long' ? this.longRequest(type, records, index, opened) : this.shortRequest(type, records, index, opened);
    } catch (e) {
      if (e instanceof DataFormatError) this.counters.malformed++;
      throw e;
    }
    this.check(request, now);
    this.counters.opened++;
    return request;
  }

  private longRequest(type: number, records: Buffer[], index: number, o: ReturnType<typeof openRequestRecord>): BuildRequest {
    const f = decodeLongBuildRequest(o.cleartext);
    const layer: ReplyLayer = { format: 'long', replyKey: f.replyKey, replyIv: f.replyIv };
    return new BuildRequest(
      { ...f, format: 'long', messageType: type, recordIndex: index, recordCount: records.length, layerEncryption: 0, garlicReplyKey: undefined, garlicReplyTag: undefined },
      { records, layer, aead: new ChaCha20Poly1305(o.ck), nonce: 0, ad: o.h, replied: false },
    );
  }

  private shortRequest(type: number, records: Buffer[], index: number, o: ReturnType<typeof openRequestRecord>): BuildRequest {
    const f = decodeShortBuildRequest(o.cleartext);
    const keys = deriveShortRecordKeys(o.ck, f.role === 'outboundEndpoint');
    const layer: ReplyLayer = { format: 'short', replyKey: keys.replyKey };
    return new BuildRequest(
      {
        ...f,
        format: 'short',
        messageType: type,
        recordIndex: index,
        recordCount: records.length,
        layerKey: keys.layerKey,
        ivKey: keys.ivKey,
        replyKey: keys.replyKey,
        replyIv: undefined,
        garlicReplyKey: keys.garlicReplyKey,
        garlicReplyTag: keys.garlicReplyTag,
      },
      { records, layer, aead: new ChaCha20Poly1305(keys.replyKey), nonce: index, ad: o.h, replied: false },
    );
  }

  private check(r: BuildRequest, now: number): void {
    // The wire carries whole minutes, rounded down: the request was made within the minute after.
    if (r.requestTime + 60_000 < now - this.maxAgeMs) {
      this.counters.stale++;
      throw new ProtocolError('stale', `build request from ${Math.round((now - r.requestTime) / 1000)} s ago`);
    }
    if (r.requestTime > now + this.maxFutureMs) {
      this.counters.future++;
      throw new ProtocolError('future', `build request ${Math.round((r.requestTime - now) / 1000)} s in the future`);
    }
    // Forwarding to ourselves only makes sense for an OBEP whose reply tunnel starts here.
    if (r.role !== 'outboundEndpoint' && r.nextIdent.equals(this.identHash)) {
      this.counters.loop++;
      throw new ProtocolError('loop', 'build request names us as the next hop');
    }
    // Only AES layer encryption exists ("Layer Encryption"); we could not carry anything else.
    if (r.layerEncryption !== 0) {
      this.counters.layerEncryption++;
      throw new ProtocolError('layer-encryption', `unknown tunnel layer encryption ${r.layerEncryption}`);
    }
  }
}
