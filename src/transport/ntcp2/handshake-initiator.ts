/**
 * Sans-IO NTCP2 handshake, initiator side (Alice): builds SessionRequest, processes
 * SessionCreated, builds SessionConfirmed, and derives the data-phase keys.
 * Spec: ntcp2.rst "1) SessionRequest" to "KDF for data phase".
 */
import { X25519KeyPair, aes256CbcDecrypt, aes256CbcEncrypt, randomBytes } from '../../crypto/index.js';
import { ntcp2DataPhaseKeys, ntcp2InitialState, type SymmetricState } from '../../crypto/noise.js';
import { BLOCK_HEADER, BlockType, encodeBlocks, type Block } from './blocks.js';
import { NTCP2DataPhase } from './data-phase.js';
import {
  DEFAULT_MAX_ACCEPTED_PADDING,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  HANDSHAKE_FIXED_LENGTH,
  HandshakeBuffer,
  MAX_MESSAGE3_PART2_LENGTH,
  MAX_SENT_HANDSHAKE_PADDING,
  RESET_NOW,
  decodeSessionCreatedOptions,
  encodeSessionRequestOptions,
  failEvent,
  randomBelow,
  unixSeconds,
  withinSkew,
  type FailEvent,
  type HandshakeEvent,
  type NTCP2Remote,
} from './handshake-common.js';

export interface InitiatorOptions {
  /** Our NTCP2 static key (its public half is `s` in our RouterInfo). */
  staticKey: X25519KeyPair;
  /** Our current signed RouterInfo, sent in message 3 part 2. */
  routerInfo: Buffer;
  /** Bob: router hash, NTCP2 static key `s` and IV `i` from his RouterInfo. */
  remote: NTCP2Remote;
  netId: number;
  /** Tests only: fixed ephemeral key. */
  ephemeral?: X25519KeyPair;
  /** Message 1 padding length (default random 0..223). */
  padding?: number;
  /** Padding block size in message 3 part 2 (default random 0..31). */
  message3Padding?: number;
  maxClockSkewMs?: number;
  /** Largest message 2 padding accepted (default 1024). */
  maxPadding?: number;
}

type State = 'init' | 'wait-msg2' | 'wait-msg2-padding' | 'done' | 'failed';

export class NTCP2Initiator {
  private state: State = 'init';
  private readonly buf = new HandshakeBuffer();
  private readonly ephemeral: X25519KeyPair;
  private ss: SymmetricState | undefined;
  /** AES-CBC state after X: the last ciphertext block, used as IV for Y. */
  private ivForY: Buffer | undefined;
  private m3p2Len = 0;
  private m3p2Padding = 0;
  private msg2PadLen = 0;
  /** Bob's tsB minus our clock at message 2 (ms). */
  private peerClockSkewMs = 0;
  /** State before MixHash(message 1 padding), for the skew fallback (see skewWithoutPadding). */
  private unpaddedState: SymmetricState | undefined;
  /** Bob's ephemeral key Y, needed again for the "se" DH of message 3. */
  private remoteY: Buffer | undefined;

  constructor(private readonly opts: InitiatorOptions) {
    if (opts.remote.routerHash.length !== 32 || opts.remote.staticKey.length !== 32 || opts.remote.iv.length !== 16) {
      throw new Error('NTCP2 remote needs a 32-byte hash, 32-byte static key and 16-byte IV');
    }
    this.ephemeral = opts.ephemeral ?? X25519KeyPair.generate();
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** Builds message 1 (SessionRequest), to be written in one piece. */
  start(nowMs: number): Buffer {
    if (this.state !== 'init') throw new Error('NTCP2Initiator.start called twice');
    const { remote } = this.opts;
    const X = this.ephemeral.publicKey;
    // X obfuscated with AES-256-CBC, key = RH_B, IV = Bob's published i.
    const encX = aes256CbcEncrypt(remote.routerHash, remote.iv, X);
    this.ivForY = Buffer.from(encX.subarray(16, 32));

    // KDF for message 1: ... MixHash(rs) (in ntcp2InitialState); MixHash(e.pubkey); MixKey(DH(e, rs)).
    const ss = ntcp2InitialState(remote.staticKey);
    ss.mixHash(X);
    ss.mixKey(this.ephemeral.agree(remote.staticKey));

    const padLen = this.opts.padding ?? randomBelow(MAX_SENT_HANDSHAKE_PADDING + 1);
    // Strategy (a) of the message 3 part 2 notes: the RouterInfo is fixed now, so m3p2len is exact.
    this.m3p2Padding = this.opts.message3Padding ?? randomBelow(32);
    this.m3p2Len = BLOCK_HEADER + 1 + this.opts.routerInfo.length + BLOCK_HEADER + this.m3p2Padding + 16;
    if (this.m3p2Len > MAX_MESSAGE3_PART2_LENGTH) throw new Error(`RouterInfo too large for message 3 (${this.opts.routerInfo.length} bytes)`);
    const options = encodeSessionRequestOptions({
      netId: this.opts.netId,
      version: 2,
      padLen,
      m3p2Len: this.m3p2Len,
      tsA: unixSeconds(nowMs),
    });
    const encOptions = ss.encryptAndHash(options);
    const padding = randomBytes(padLen);
    // Padding is authenticated through the message 2 KDF (MixHash only if non-empty).
    if (padLen > 0) {
      this.unpaddedState = ss.clone();
      ss.mixHash(padding);
    }
    this.ss = ss;
    this.state = 'wait-msg2';
    return Buffer.concat([encX, encOptions, padding]);
  }

  /** Feeds bytes from Bob. Returns message 3 to send and the established data phase, or a failure. */
  receive(data: Buffer, nowMs: number): HandshakeEvent[] {
    if (this.state === 'done' || this.state === 'failed') return [];
    if (this.state === 'init') throw new Error('NTCP2Initiator.receive before start');
    this.buf.push(data);
    if (this.state === 'wait-msg2') {
      if (this.buf.length < HANDSHAKE_FIXED_LENGTH) return [];
      const fail = this.processMessage2(this.buf.take(HANDSHAKE_FIXED_LENGTH), nowMs);
      if (fail) return fail;
      this.state = 'wait-msg2-padding';
    }
    if (this.buf.length < this.msg2PadLen) return [];
    const padding = this.buf.take(this.msg2PadLen);
    if (this.buf.length > 0) {
      // "Alice must fail the connection if any incoming data remains after validating message 2".
      return this.fail('msg2-extra-data', `${this.buf.length} unexpected bytes after message 2`);
    }
    if (padding.length > 0) this.ss!.mixHash(padding);
    return this.finish();
  }

  private processMessage2(msg: Buffer, nowMs: number): HandshakeEvent[] | undefined {
    const ss = this.ss!;
    const Y = aes256CbcDecrypt(this.opts.remote.routerHash, this.ivForY!, msg.subarray(0, 32));
    // KDF for message 2: MixHash(Y); MixKey(DH(e, re)).
    this.remoteY = Y;
    ss.mixHash(Y);
    try {
      ss.mixKey(this.ephemeral.agree(Y));
    } catch (e) {
      return this.fail('msg2-bad-key', `DH with Bob's ephemeral key failed: ${(e as Error).message}`);
    }
    let options: Buffer;
    try {
      options = ss.decryptAndHash(msg.subarray(32, 64));
    } catch {
      return this.skewWithoutPadding(Y, msg, nowMs) ?? this.fail('msg2-aead', 'SessionCreated AEAD verification failed');
    }
    const o = decodeSessionCreatedOptions(options);
    if (!withinSkew(o.tsB, nowMs, this.opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS)) {
      return this.skewFail(o.tsB, nowMs);
    }
    if (o.padLen > (this.opts.maxPadding ?? DEFAULT_MAX_ACCEPTED_PADDING)) {
      return this.fail('msg2-padding', `SessionCreated padding ${o.padLen} too long`);
    }
    this.msg2PadLen = o.padLen;
    this.peerClockSkewMs = o.tsB * 1000 - nowMs;
    return undefined;
  }

  /**
   * Current i2pd answers a skewed SessionRequest with a SessionCreated whose KDF leaves out our
   * padding (it does not wait for it), so the regular AEAD check fails. Retry on the state before
   * the padding: if that authenticates and tsB is skewed, report the skew (a router with a bad
   * clock needs to know), otherwise it is a plain AEAD failure. (i2pd 2.45.1 hashes unread
   * buffer bytes instead, so against it the skew is only visible when our padding is empty.)
   */
  private skewWithoutPadding(Y: Buffer, msg: Buffer, nowMs: number): HandshakeEvent[] | undefined {
    const alt = this.unpaddedState;
    if (!alt) return undefined;
    try {
      alt.mixHash(Y);
      alt.mixKey(this.ephemeral.agree(Y));
      const o = decodeSessionCreatedOptions(alt.decryptAndHash(msg.subarray(32, 64)));
      return withinSkew(o.tsB, nowMs, this.opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS) ? undefined : this.skewFail(o.tsB, nowMs);
    } catch {
      return undefined;
    }
  }

  private skewFail(tsB: number, nowMs: number): HandshakeEvent[] {
    const skewMs = tsB * 1000 - nowMs;
    const events = this.fail('clock-skew', `SessionCreated timestamp ${tsB} is ${Math.round(skewMs / 1000)}s off`);
    (events[0] as FailEvent).peerClockSkewMs = skewMs;
    return events;
  }

  /** Builds message 3 and derives the data-phase keys. */
  private finish(): HandshakeEvent[] {
    const ss = this.ss!;
    // Message 3 part 1: EncryptAndHash(s) with the message 2 key, nonce 1.
    const part1 = ss.encryptAndHash(this.opts.staticKey.publicKey);
    // KDF for message 3 part 2: MixKey(DH(s, re)); nonce 0.
    ss.mixKey(this.opts.staticKey.agree(this.remoteY!));
    const blocks: Block[] = [
      { type: BlockType.RouterInfo, flood: false, routerInfo: this.opts.routerInfo },
      { type: BlockType.Padding, length: this.m3p2Padding, data: randomBytes(this.m3p2Padding) },
    ];
    const part2 = ss.encryptAndHash(encodeBlocks(blocks));
    if (part2.length !== this.m3p2Len) throw new Error('internal: message 3 part 2 length mismatch');
    const keys = ntcp2DataPhaseKeys(ss);
    this.state = 'done';
    this.ss = undefined;
    this.unpaddedState = undefined;
    return [
      { type: 'send', data: Buffer.concat([part1, part2]) },
      {
        type: 'established',
        dataPhase: new NTCP2DataPhase(keys, 'initiator'),
        remoteStaticKey: this.opts.remote.staticKey,
        extra: Buffer.alloc(0),
        peerClockSkewMs: this.peerClockSkewMs,
      },
    ];
  }

  private fail(reason: string, message: string): HandshakeEvent[] {
    this.state = 'failed';
    this.ss = undefined;
    return [failEvent(reason, message, RESET_NOW)];
  }
}
