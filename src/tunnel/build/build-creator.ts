/**
 * The creator side of ECIES tunnel building (tunnel-creation-ecies.rst; tunnel-creation.rst
 * "Request Record Creation", "Tunnel Build Message Preparation", "Tunnel Build Reply Message
 * Processing"): our router building a tunnel through other routers.
 *
 * Records: one per hop at a random position ("Build record order must be randomized"); for an
 * inbound tunnel one more for ourselves, with our hash prefix and a real X25519 key ("otherwise the
 * closest hop will know that the next hop is the originator"); random bytes in the rest. At least
 * 4 records (proposal 157 "Implementation Notes").
 *
 * Onion: hop k's record must reach hop k in the clear after hops 0..k-1 each put their reply
 * layer over it, so the creator removes those layers beforehand, innermost last: D_0(D_1(...
 * D_{k-1}(record))) ("Each record is then premptively decrypted with the reply keys and IVs of the
 * hops earlier in the path ... run in reverse order"). When the message comes back, hop k's reply
 * is under the layers of hops k+1..n-1; the creator peels them, outermost (n-1) first, then opens
 * the reply AEAD.
 *
 * Pure apart from randomness: tunnel ids, message ids, keys and positions are drawn here (or
 * given, for tests).
 */
import { randomInt } from 'node:crypto';
import { ChaCha20Poly1305, randomBytes, X25519KeyPair } from '../../crypto/index.js';
import type { Mapping } from '../../data/mapping.js';
import {
  BUILD_RECORD_LENGTH,
  buildReplyType,
  decodeBuildRecords,
  encodeBuildRecords,
  MAX_BUILD_RECORDS,
  SHORT_BUILD_RECORD_LENGTH,
} from '../../i2np/tunnel-build.js';
import { I2NPType } from '../../i2np/message.js';
import { DataFormatError, ProtocolError } from '../../util/errors.js';
import {
  decodeBuildReply,
  DEFAULT_REQUEST_EXPIRATION_SECONDS,
  encodeLongBuildRequest,
  encodeShortBuildRequest,
  type BuildRecordFormat,
  type BuildRequestFields,
  type HopRole,
} from './build-record.js';
import { deriveShortRecordKeys, removeReplyLayer, sealRequestRecord, TRUNCATED_HASH_LENGTH, type ReplyLayer } from './record-crypto.js';

/** "The recommended minimum number of build records is 4." */
export const MIN_BUILD_RECORDS = 4;

export type TunnelDirection = 'inbound' | 'outbound';

/** One router to build through. */
export interface BuildHopTarget {
  /** The hop's RouterIdentity hash. */
  identHash: Buffer;
  /** The X25519 encryption key of its RouterIdentity (crypto type 4). */
  encryptionKey: Buffer;
  /** Tunnel id the hop will receive on; random (nonzero) if not given. */
  receiveTunnelId?: number;
  /** Build options for this hop only (proposal 168: m, r, l). */
  options?: Mapping;
}

export interface TunnelBuildSpec {
  format: BuildRecordFormat;
  direction: TunnelDirection;
  /**
   * Hops in the order messages travel: outbound, hops[0] follows us (we are the gateway) and the
   * last is the endpoint; inbound, hops[0] is the gateway and the last delivers to us.
   */
  hops: readonly BuildHopTarget[];
  /** Our RouterIdentity hash. */
  ourIdentHash: Buffer;
  /**
   * Inbound: the tunnel id we (the endpoint) receive on from the last hop. Outbound: the id of
   * the inbound tunnel the reply comes back through, at `replyGateway`.
   */
  replyTunnelId: number;
  /** Outbound only: that reply tunnel's gateway (our own hash for a zero-hop reply tunnel). */
  replyGateway?: Buffer;
  /** Records in the message; default max(4, records needed); at most 8. */
  recordCount?: number;
  now: number;
  /** Default 600 ("the only supported value"). */
  expirationSeconds?: number;
  /** Tests: record position of each hop (then of our own record, inbound). Random otherwise. */
  positions?: readonly number[];
}

/** What the creator keeps about one hop of a tunnel being built. */
export interface CreatedHop {
  identHash: Buffer;
  role: HopRole;
  receiveTunnelId: number;
  nextTunnelId: number;
  nextIdent: Buffer;
  nextMessageId: number;
  recordIndex: number;
  /** AES-256 tunnel layer key and IV key, for the tunnel's own layer encryption. */
  layerKey: Buffer;
  ivKey: Buffer;
  /** The hop's layer over the records that are not its own. */
  replyLayer: ReplyLayer;
}

export interface HopBuildReply {
  identHash: Buffer;
  /** 0 = accepted. */
  code: number;
  options: Mapping;
}

export interface TunnelBuildResult {
  /** Every hop accepted. */
  accepted: boolean;
  /** In hop order. */
  hops: HopBuildReply[];
}

interface HopSecret {
  aead: ChaCha20Poly1305;
  nonce: number;
  ad: Buffer;
}

/** Our own record in an inbound build: what the last hop must hand us unmodified. */
interface OwnRecord {
  index: number;
  content: Buffer;
}

/** A build in flight: everything needed to read its reply and, once built, to run the tunnel. */
export class PendingTunnelBuild {
  readonly format: BuildRecordFormat;
  readonly direction: TunnelDirection;
  readonly recordCount: number;
  readonly hops: readonly CreatedHop[];
  /** The message id the reply arrives with (the last hop's next message id). */
  readonly replyMessageId: number;
  /** The I2NP type of the reply: 24 / 26 for outbound, the request type (23 / 25) for inbound. */
  readonly replyType: number;
  /** Outbound short builds: the OBEP garlic-wraps its reply with this key and tag. */
  readonly garlicReplyKey: Buffer | undefined;
  readonly garlicReplyTag: Buffer | undefined;
  /** Inbound: the tunnel id we receive on as the endpoint. */
  readonly replyTunnelId: number;
  readonly requestTime: number;
  readonly expirationSeconds: number;
  private readonly secrets: readonly HopSecret[];
  private readonly own: OwnRecord | undefined;

  /** @internal created by createTunnelBuild */
  constructor(
    fields: Omit<PendingTunnelBuild, 'handleReply' | 'tunnelExpiration'>,
    secrets: HopSecret[],
    own: OwnRecord | undefined,
  ) {
    this.format = fields.format;
    this.direction = fields.direction;
    this.recordCount = fields.recordCount;
    this.hops = fields.hops;
    this.replyMessageId = fields.replyMessageId;
    this.replyType = fields.replyType;
    this.garlicReplyKey = fields.garlicReplyKey;
    this.garlicReplyTag = fields.garlicReplyTag;
    this.replyTunnelId = fields.replyTunnelId;
    this.requestTime = fields.requestTime;
    this.expirationSeconds = fields.expirationSeconds;
    this.secrets = secrets;
    this.own = own;
  }

  /** When the tunnel expires (ms), counted from the request time as the hops count it. */
  get tunnelExpiration(): number {
    return Math.floor(this.requestTime / 60_000) * 60_000 + this.expirationSeconds * 1000;
  }

  /**
   * Reads the reply (the build message as it comes back: 24 / 26 from the outbound endpoint,
   * 23 / 25 from the last hop of an inbound tunnel). Throws DataFormatError on a wrong type,
   * record count or malformed reply, AuthenticationError if a reply record's MAC fails (a hop or
   * someone on the path changed it), ProtocolError 'tampered' if our own record came back
   * modified. Does not mutate `payload`.
   */
  handleReply(type: number, payload: Buffer): TunnelBuildResult {
    if (type !== this.replyType) throw new DataFormatError(`build reply of I2NP type ${type}, expected ${this.replyType}`, 'type');
    const records = decodeBuildRecords(type, payload);
    if (records.length !== this.recordCount) throw new DataFormatError(`build reply with ${records.length} records, sent ${this.recordCount}`, 'record-count');
    const n = this.hops.length;
    if (this.own) {
      // Our record went through every hop's pre-decryption and layer, so it must be back as we made it.
      if (!records[this.own.index]!.equals(this.own.content)) throw new ProtocolError('tampered', 'our own build record came back modified');
    }
    const replies: HopBuildReply[] = [];
    let accepted = true;
    for (let k = 0; k < n; k++) {
      const hop = this.hops[k]!;
      const rec = records[hop.recordIndex]!;
      for (let j = n - 1; j > k; j--) removeReplyLayer(this.hops[j]!.replyLayer, hop.recordIndex, rec);
      const s = this.secrets[k]!;
      const clear = s.aead.decrypt(s.nonce, s.ad, rec);
      const reply = decodeBuildReply(this.format, clear);
      if (reply.code !== 0) accepted = false;
      replies.push({ identHash: hop.identHash, code: reply.code, options: reply.options });
    }
    return { accepted, hops: replies };
  }
}

/** The first message of a build and its pending state. */
export interface TunnelBuildRequest {
  /** 23 (VariableTunnelBuild) or 25 (ShortTunnelBuild). */
  type: number;
  /** I2NP message id to send it with. */
  msgId: number;
  payload: Buffer;
  /**
   * Where it goes: hops[0]. Outbound builds are sent to it directly; inbound builds through one
   * of our outbound tunnels (short ones preferably garlic-wrapped to it, proposal 157).
   */
  firstHop: Buffer;
  pending: PendingTunnelBuild;
}

function randomTunnelId(): number {
  return randomInt(1, 0x1_0000_0000);
}

function randomMessageId(): number {
  return randomInt(0, 0x1_0000_0000);
}

function checkSpec(spec: TunnelBuildSpec, needed: number, count: number): void {
  const n = spec.hops.length;
  if (n < 1) throw new RangeError('a tunnel build needs at least one hop');
  if (count < needed || count > MAX_BUILD_RECORDS) throw new RangeError(`${count} records cannot carry ${needed} build records (max ${MAX_BUILD_RECORDS})`);
  if (spec.ourIdentHash.length !== 32) throw new RangeError('our router hash must be 32 bytes');
  if (!Number.isInteger(spec.replyTunnelId) || spec.replyTunnelId < 1 || spec.replyTunnelId > 0xffffffff) throw new RangeError(`invalid reply tunnel id ${spec.replyTunnelId}`);
  if (spec.direction === 'outbound' && spec.replyGateway?.length !== 32) throw new RangeError('an outbound build needs the reply tunnel gateway');
  for (const h of spec.hops) {
    if (h.identHash.length !== 32 || h.encryptionKey.length !== 32) throw new RangeError('hop hash and encryption key must be 32 bytes');
  }
}

/** A random permutation's first `k` entries of 0..count-1, or the given positions (checked). */
function choosePositions(count: number, k: number, given: readonly number[] | undefined): number[] {
  if (given) {
    if (given.length !== k || new Set(given).size !== k || given.some((p) => !Number.isInteger(p) || p < 0 || p >= count)) {
      throw new RangeError(`positions must be ${k} distinct record numbers below ${count}`);
    }
    return [...given];
  }
  const all = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
}

function roleOf(direction: TunnelDirection, k: number, n: number): HopRole {
  if (direction === 'inbound') return k === 0 ? 'inboundGateway' : 'participant';
  return k === n - 1 ? 'outboundEndpoint' : 'participant';
}

/**
 * Builds the records and the first message of a tunnel build. The reply message id is the last
 * hop's next message id; every other hop forwards with a fresh random id.
 */
export function createTunnelBuild(spec: TunnelBuildSpec): TunnelBuildRequest {
  const n = spec.hops.length;
  const inbound = spec.direction === 'inbound';
  const needed = n + (inbound ? 1 : 0);
  const count = spec.recordCount ?? Math.max(MIN_BUILD_RECORDS, needed);
  checkSpec(spec, needed, count);
  const recordLength = spec.format === 'long' ? BUILD_RECORD_LENGTH : SHORT_BUILD_RECORD_LENGTH;
  const positions = choosePositions(count, needed, spec.positions);
  const expirationSeconds = spec.expirationSeconds ?? DEFAULT_REQUEST_EXPIRATION_SECONDS;
  const requestTime = Math.floor(spec.now / 60_000) * 60_000;
  const receiveIds = spec.hops.map((h) => h.receiveTunnelId ?? randomTunnelId());
  const replyMessageId = randomMessageId();

  const records: Buffer[] = Array.from({ length: count }, () => randomBytes(recordLength));
  const hops: CreatedHop[] = [];
  const secrets: HopSecret[] = [];
  let garlicReplyKey: Buffer | undefined;
  let garlicReplyTag: Buffer | undefined;
  spec.hops.forEach((target, k) => {
    const last = k === n - 1;
    const role = roleOf(spec.direction, k, n);
    const common: BuildRequestFields = {
      receiveTunnelId: receiveIds[k]!,
      nextTunnelId: last ? spec.replyTunnelId : receiveIds[k + 1]!,
      nextIdent: last ? (inbound ? spec.ourIdentHash : spec.replyGateway!) : spec.hops[k + 1]!.identHash,
      role,
      requestTime,
      expirationSeconds,
      nextMessageId: last ? replyMessageId : randomMessageId(),
      options: target.options ?? new Map(),
    };
    const index = positions[k]!;
    let layerKey: Buffer;
    let ivKey: Buffer;
    let replyLayer: ReplyLayer;
    let secret: HopSecret;
    if (spec.format === 'long') {
      layerKey = randomBytes(32);
      ivKey = randomBytes(32);
      replyLayer = { format: 'long', replyKey: randomBytes(32), replyIv: randomBytes(16) };
      const clear = encodeLongBuildRequest({ ...common, layerKey, ivKey, replyKey: replyLayer.replyKey, replyIv: replyLayer.replyIv });
      const sealed = sealRequestRecord(target.identHash, target.encryptionKey, clear);
      records[index] = sealed.record;
      secret = { aead: new ChaCha20Poly1305(sealed.ck), nonce: 0, ad: sealed.h };
    } else {
      const clear = encodeShortBuildRequest({ ...common, layerEncryption: 0 });
      const sealed = sealRequestRecord(target.identHash, target.encryptionKey, clear);
      records[index] = sealed.record;
      const keys = deriveShortRecordKeys(sealed.ck, role === 'outboundEndpoint');
      layerKey = keys.layerKey;
      ivKey = keys.ivKey;
      replyLayer = { format: 'short', replyKey: keys.replyKey };
      secret = { aead: new ChaCha20Poly1305(keys.replyKey), nonce: index, ad: sealed.h };
      if (role === 'outboundEndpoint') {
        garlicReplyKey = keys.garlicReplyKey;
        garlicReplyTag = keys.garlicReplyTag;
      }
    }
    const { receiveTunnelId, nextTunnelId, nextIdent, nextMessageId } = common;
    hops.push({ identHash: Buffer.from(target.identHash), role, receiveTunnelId, nextTunnelId, nextIdent, nextMessageId, recordIndex: index, layerKey, ivKey, replyLayer });
    secrets.push(secret);
  });

  let own: OwnRecord | undefined;
  if (inbound) {
    // Looks like a record for the router after the last hop; we only check it comes back intact.
    const index = positions[n]!;
    const content = Buffer.concat([spec.ourIdentHash.subarray(0, TRUNCATED_HASH_LENGTH), X25519KeyPair.generate().publicKey, randomBytes(recordLength - 48)]);
    records[index] = Buffer.from(content);
    own = { index, content };
  }

  // Pre-"decrypt" record of position-in-path k (our own counts as k = n) with hops k-1 .. 0.
  const onion = (index: number, k: number): void => {
    for (let j = k - 1; j >= 0; j--) removeReplyLayer(hops[j]!.replyLayer, index, records[index]!);
  };
  hops.forEach((h, k) => onion(h.recordIndex, k));
  if (own) onion(own.index, n);

  const type = spec.format === 'long' ? I2NPType.VariableTunnelBuild : I2NPType.ShortTunnelBuild;
  const pending = new PendingTunnelBuild(
    {
      format: spec.format,
      direction: spec.direction,
      recordCount: count,
      hops,
      replyMessageId,
      replyType: inbound ? type : buildReplyType(type),
      garlicReplyKey,
      garlicReplyTag,
      replyTunnelId: spec.replyTunnelId,
      requestTime,
      expirationSeconds,
    },
    secrets,
    own,
  );
  return { type, msgId: randomMessageId(), payload: encodeBuildRecords(type, records), firstHop: hops[0]!.identHash, pending };
}
