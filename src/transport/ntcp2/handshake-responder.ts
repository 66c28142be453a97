/**
 * Sans-IO NTCP2 handshake, responder side (Bob): validates SessionRequest, answers with
 * SessionCreated, validates SessionConfirmed (including Alice's RouterInfo) and derives the
 * data-phase keys. Spec: ntcp2.rst "1) SessionRequest" to "KDF for data phase".
 */
import { X25519KeyPair, aes256CbcDecrypt, aes256CbcEncrypt, randomBytes } from '../../crypto/index.js';
import { ntcp2DataPhaseKeys, ntcp2InitialState, type SymmetricState } from '../../crypto/noise.js';
import { BlockType, TerminationReason, decodeBlocks, type OptionsBlock, type RouterInfoBlock } from './blocks.js';
import { NTCP2DataPhase } from './data-phase.js';
import {
  DEFAULT_MAX_ACCEPTED_PADDING,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_PROBING,
  HANDSHAKE_FIXED_LENGTH,
  HandshakeBuffer,
  HandshakeError,
  MAX_MESSAGE3_PART2_LENGTH,
  MAX_SENT_HANDSHAKE_PADDING,
  MESSAGE3_PART1_LENGTH,
  MIN_MESSAGE3_PART2_LENGTH,
  RESET_NOW,
  checkPeerRouterInfo,
  decodeSessionRequestOptions,
  encodeSessionCreatedOptions,
  failEvent,
  probingAction,
  randomBelow,
  unixSeconds,
  withinSkew,
  type HandshakeEvent,
  type ProbingResistance,
} from './handshake-common.js';
import type { ReplayCache } from './replay-cache.js';

export interface ResponderOptions {
  /** Our NTCP2 static key (published as `s`). */
  staticKey: X25519KeyPair;
  /** Our router hash: the AES key obfuscating X and Y. */
  routerHash: Buffer;
  /** Our published IV `i`. */
  iv: Buffer;
  netId: number;
  /** Shared by all inbound handshakes of the transport; owned by the shell. */
  replayCache: ReplayCache;
  /** Tests only: fixed ephemeral key. */
  ephemeral?: X25519KeyPair;
  /** Message 2 padding length (default random 0..223). */
  padding?: number;
  maxClockSkewMs?: number;
  /** Largest message 1 padding accepted (default 1024). */
  maxPadding?: number;
  probing?: ProbingResistance;
  /**
   * The symmetric state after MixHash(rs) for our static key; the shell computes it once
   * (ntcp2InitialState) and the core clones it per connection.
   */
  initialState?: SymmetricState;
}

type State = 'wait-msg1' | 'wait-msg1-padding' | 'wait-msg3' | 'done' | 'failed';

export class NTCP2Responder {
  private state: State = 'wait-msg1';
  private readonly buf = new HandshakeBuffer();
  private ss: SymmetricState | undefined;
  private remoteX: Buffer | undefined;
  private ephemeral: X25519KeyPair | undefined;
  private ivForY: Buffer | undefined;
  private padLen = 0;
  private m3p2Len = 0;
  /** Alice's timestamp (s) when it is outside the allowed skew. */
  private skewed: number | undefined;
  /** Alice's tsA minus our clock at message 1 (ms). */
  private peerClockSkewMs = 0;

  constructor(private readonly opts: ResponderOptions) {
    if (opts.routerHash.length !== 32 || opts.iv.length !== 16) throw new Error('NTCP2 responder needs a 32-byte hash and 16-byte IV');
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** Which message the core is waiting for (for logs and timeouts). */
  get phase(): State {
    return this.state;
  }

  receive(data: Buffer, nowMs: number): HandshakeEvent[] {
    if (this.state === 'done' || this.state === 'failed') return [];
    this.buf.push(data);
    if (this.state === 'wait-msg1') {
      if (this.buf.length < HANDSHAKE_FIXED_LENGTH) return [];
      const res = this.processMessage1(this.buf.take(HANDSHAKE_FIXED_LENGTH), nowMs);
      if (res) return res;
      this.state = 'wait-msg1-padding';
    }
    if (this.state === 'wait-msg1-padding') {
      if (this.buf.length < this.padLen) return [];
      const padding = this.buf.take(this.padLen);
      if (this.buf.length > 0) {
        // "Bob must fail the connection if any incoming data remains after validating message 1".
        return this.probingFail('msg1-extra-data', `${this.buf.length} unexpected bytes after message 1`);
      }
      if (padding.length > 0) this.ss!.mixHash(padding);
      const msg2 = this.buildMessage2(nowMs);
      if (this.skewed !== undefined) {
        this.state = 'failed';
        return [
          { type: 'send', data: msg2 },
          failEvent('clock-skew', `SessionRequest timestamp ${this.skewed} is ${this.skewed - Math.round(nowMs / 1000)}s off`, { close: 'end', readMore: 0, delayMs: 0 }),
        ];
      }
      this.state = 'wait-msg3';
      return [{ type: 'send', data: msg2 }];
    }
    if (this.state === 'wait-msg3') {
      if (this.buf.length < MESSAGE3_PART1_LENGTH + this.m3p2Len) return [];
      const msg3 = this.buf.take(MESSAGE3_PART1_LENGTH + this.m3p2Len);
      return this.processMessage3(msg3, this.buf.takeAll(), nowMs);
    }
    return [];
  }

  /** Validates the fixed 64 bytes of SessionRequest; returns events only on failure. */
  private processMessage1(msg: Buffer, nowMs: number): HandshakeEvent[] | undefined {
    const { opts } = this;
    const X = aes256CbcDecrypt(opts.routerHash, opts.iv, msg.subarray(0, 32));
    this.ivForY = Buffer.from(msg.subarray(16, 32));
    // "Bob may do a fast MSB check for a valid key (X[31] & 0x80 == 0) before attempting
    // decryption. If the high bit is set, implement probing resistance as for AEAD failures."
    if (X[31]! & 0x80) return this.probingFail('msg1-bad-key', 'X has the high bit set');
    if (opts.replayCache.has(X, nowMs)) return this.probingFail('msg1-replay', 'X seen before (replayed SessionRequest)');

    const ss = opts.initialState ? opts.initialState.clone() : ntcp2InitialState(opts.staticKey.publicKey);
    ss.mixHash(X);
    try {
      ss.mixKey(opts.staticKey.agree(X));
    } catch (e) {
      return this.probingFail('msg1-bad-key', `DH with X failed: ${(e as Error).message}`);
    }
    let options: Buffer;
    try {
      options = ss.decryptAndHash(msg.subarray(32, 64));
    } catch {
      return this.probingFail('msg1-aead', 'SessionRequest AEAD verification failed');
    }
    // Only a message that authenticates enters the replay cache, so garbage cannot fill it.
    if (!opts.replayCache.add(X, nowMs)) return this.probingFail('msg1-replay', 'X seen before (replayed SessionRequest)');
    this.remoteX = X;
    this.ss = ss;

    const o = decodeSessionRequestOptions(options);
    // "If this field is nonzero, and does not match Bob's network ID, Bob should disconnect".
    if (o.netId !== 0 && o.netId !== opts.netId) return this.probingFail('msg1-netid', `SessionRequest netId ${o.netId}, ours ${opts.netId}`);
    if (o.version !== 2) return this.probingFail('msg1-version', `SessionRequest version ${o.version}`);
    if (o.padLen > (opts.maxPadding ?? DEFAULT_MAX_ACCEPTED_PADDING)) return this.probingFail('msg1-padding', `SessionRequest padding ${o.padLen} too long`);
    if (o.m3p2Len < MIN_MESSAGE3_PART2_LENGTH || o.m3p2Len > MAX_MESSAGE3_PART2_LENGTH) {
      return this.probingFail('msg1-m3p2len', `SessionRequest m3p2len ${o.m3p2Len} out of range`);
    }
    // Clock skew is reported only after the padding has arrived: "Bob should reply with a
    // Session Created even if the maximum skew is exceeded, rather than simply closing the
    // connection. This allows Alice to get Bob's timestamp" — and she can only read it if the
    // padding went into the message 2 KDF.
    this.skewed = !withinSkew(o.tsA, nowMs, opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS) ? o.tsA : undefined;
    this.peerClockSkewMs = o.tsA * 1000 - nowMs;
    this.padLen = o.padLen;
    this.m3p2Len = o.m3p2Len;
    return undefined;
  }

  private buildMessage2(nowMs: number): Buffer {
    const ss = this.ss!;
    const eph = this.opts.ephemeral ?? X25519KeyPair.generate();
    this.ephemeral = eph;
    const Y = eph.publicKey;
    // Y obfuscated with AES-256-CBC, key = RH_B, continuing the CBC state of X.
    const encY = aes256CbcEncrypt(this.opts.routerHash, this.ivForY!, Y);
    // KDF for message 2: MixHash(Y); MixKey(DH(e, re)).
    ss.mixHash(Y);
    ss.mixKey(eph.agree(this.remoteX!));
    const padLen = this.opts.padding ?? randomBelow(MAX_SENT_HANDSHAKE_PADDING + 1);
    const encOptions = ss.encryptAndHash(encodeSessionCreatedOptions({ padLen, tsB: unixSeconds(nowMs) }));
    const padding = randomBytes(padLen);
    if (padLen > 0) ss.mixHash(padding);
    return Buffer.concat([encY, encOptions, padding]);
  }

  private processMessage3(msg: Buffer, extra: Buffer, nowMs: number): HandshakeEvent[] {
    const ss = this.ss!;
    let aliceStatic: Buffer;
    try {
      // Part 1: DecryptAndHash(s) with the message 2 key, nonce 1.
      aliceStatic = ss.decryptAndHash(msg.subarray(0, MESSAGE3_PART1_LENGTH));
    } catch {
      return this.fail('msg3-p1-aead', 'SessionConfirmed part 1 AEAD verification failed');
    }
    try {
      // KDF for message 3 part 2: MixKey(DH(e, rs)).
      ss.mixKey(this.ephemeral!.agree(aliceStatic));
    } catch (e) {
      return this.fail('msg3-bad-key', `DH with Alice's static key failed: ${(e as Error).message}`);
    }
    let payload: Buffer;
    try {
      payload = ss.decryptAndHash(msg.subarray(MESSAGE3_PART1_LENGTH));
    } catch {
      return this.fail('msg3-p2-aead', 'SessionConfirmed part 2 AEAD verification failed');
    }
    // Keys exist from here on, so failures can be reported with a Termination block, as i2pd does.
    const dataPhase = new NTCP2DataPhase(ntcp2DataPhaseKeys(ss), 'responder');
    this.ss = undefined;
    this.ephemeral = undefined;
    try {
      const blocks = decodeBlocks(payload, 'message3');
      const riBlock = blocks[0] as RouterInfoBlock;
      const options = blocks.find((b): b is OptionsBlock => b.type === BlockType.Options);
      const routerInfo = checkPeerRouterInfo(riBlock.routerInfo, {
        netId: this.opts.netId,
        nowMs,
        staticKey: aliceStatic,
        localHash: this.opts.routerHash,
      });
      this.state = 'done';
      return [{ type: 'established', dataPhase, remoteStaticKey: aliceStatic, routerInfo, ...(options ? { options } : {}), extra, peerClockSkewMs: this.peerClockSkewMs }];
    } catch (e) {
      const err = e instanceof HandshakeError ? e : new HandshakeError('msg3-payload', (e as Error).message, TerminationReason.Message3Error);
      this.state = 'failed';
      return [failEvent(err.code, err.message, { close: 'end', readMore: 0, delayMs: 0, send: dataPhase.terminationFrame(err.termination) })];
    }
  }

  private probingFail(reason: string, message: string): HandshakeEvent[] {
    this.state = 'failed';
    this.ss = undefined;
    return [failEvent(reason, message, probingAction(this.opts.probing ?? DEFAULT_PROBING))];
  }

  private fail(reason: string, message: string): HandshakeEvent[] {
    this.state = 'failed';
    this.ss = undefined;
    return [failEvent(reason, message, RESET_NOW)];
  }
}
