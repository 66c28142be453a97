/**
 * I2PControl authentication (docs/api-i2pcontrol.html, "Authenticate" and "Error codes"): a password
 * buys a token; every other method must present a live token.
 *
 * What we do differently from i2pd 2.45.1, on purpose: i2pd hands out the current Unix time in
 * seconds as the token and never checks tokens at all; a wrong password gets an empty result. We
 * answer the spec's error codes (-32001..-32004, as Java I2P does), use 128-bit random tokens that
 * expire, compare passwords in constant time and slow down password guessing. Clients written for
 * i2pd are unaffected: they authenticate first and then send the token they were given.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RpcError } from './json-rpc.js';

/** The only API version defined (proposal 118's API 2 was rejected). */
export const I2PCONTROL_API_VERSION = 1;

/** I2PControl-specific error codes, with the spec's wording. */
export const I2PControlErrorCode = {
  InvalidPassword: -32001,
  NoToken: -32002,
  NonexistentToken: -32003,
  ExpiredToken: -32004,
  UnspecifiedApiVersion: -32005,
  UnsupportedApiVersion: -32006,
} as const;

export const I2PControlErrorMessage: Record<number, string> = {
  [-32001]: 'Invalid password provided.',
  [-32002]: 'No authentication token presented.',
  [-32003]: "Authentication token doesn't exist.",
  [-32004]: 'The provided authentication token was expired and will be removed.',
  [-32005]: "The version of the I2PControl API used wasn't specified, but is required to be specified.",
  [-32006]: 'The version of the I2PControl API specified is not supported by I2PControl.',
};

export function i2pControlError(code: number, data?: unknown): RpcError {
  return new RpcError(code, I2PControlErrorMessage[code], data);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * Holds the password as a SHA-256 digest and compares digests with timingSafeEqual, so neither the
 * length nor a common prefix of a guess shows in the answer time.
 */
export class PasswordVerifier {
  private readonly hash: Buffer;
  constructor(password: string) {
    if (password === '') throw new RangeError('the I2PControl password must not be empty');
    this.hash = digest(password);
  }
  matches(candidate: string): boolean {
    return timingSafeEqual(this.hash, digest(candidate));
  }
}

export interface TokenStoreOptions {
  /** How long a token stays valid after it was issued (Java I2P: one day). */
  validityMs: number;
  /** Live tokens kept at most; issuing one more forgets the oldest (its holder re-authenticates). */
  maxTokens: number;
}

export const DEFAULT_TOKEN_OPTIONS: TokenStoreOptions = { validityMs: 24 * 3600_000, maxTokens: 64 };

/**
 * Issued tokens and their expiry times. Tokens are stored by SHA-256 digest, so a lookup's timing
 * cannot reveal a stored token. All tokens have the same validity, so insertion order is expiry
 * order: the oldest is always the first entry of the Map.
 */
export class TokenStore {
  private readonly tokens = new Map<string, number>();
  private readonly opts: TokenStoreOptions;

  constructor(opts: Partial<TokenStoreOptions> = {}) {
    this.opts = { ...DEFAULT_TOKEN_OPTIONS, ...opts };
    if (!(this.opts.validityMs > 0) || !Number.isInteger(this.opts.maxTokens) || this.opts.maxTokens < 1) {
      throw new RangeError('token validity must be positive and maxTokens a positive integer');
    }
  }

  get size(): number {
    return this.tokens.size;
  }

  issue(now: number): string {
    this.dropExpired(now);
    while (this.tokens.size >= this.opts.maxTokens) {
      const oldest = this.tokens.keys().next().value as string;
      this.tokens.delete(oldest);
    }
    const token = randomBytes(16).toString('hex');
    this.tokens.set(digest(token).toString('hex'), now + this.opts.validityMs);
    return token;
  }

  /** Throws the spec's error for a missing (-32002), unknown (-32003) or expired (-32004, then removed) token. */
  check(token: unknown, now: number): void {
    if (token === undefined || token === null || token === '') throw i2pControlError(I2PControlErrorCode.NoToken);
    if (typeof token !== 'string') throw i2pControlError(I2PControlErrorCode.NonexistentToken);
    const key = digest(token).toString('hex');
    const expires = this.tokens.get(key);
    if (expires === undefined) throw i2pControlError(I2PControlErrorCode.NonexistentToken);
    if (now >= expires) {
      this.tokens.delete(key);
      throw i2pControlError(I2PControlErrorCode.ExpiredToken);
    }
  }

  revokeAll(): void {
    this.tokens.clear();
  }

  private dropExpired(now: number): void {
    for (const [key, expires] of this.tokens) {
      if (expires > now) break;
      this.tokens.delete(key);
    }
  }
}

export interface AuthThrottleOptions {
  /** Wrong passwords allowed from one address before it has to wait. */
  freeFailures: number;
  /** Wait after the first failure beyond the free ones; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A failure count is forgotten this long after an address's last failure. */
  forgetAfterMs: number;
  /** Addresses tracked; when full, further addresses share one bucket (so many addresses cannot multiply the guess rate). */
  maxTracked: number;
}

export const DEFAULT_THROTTLE_OPTIONS: AuthThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxTracked: 1024,
};

interface FailureRecord {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

const SHARED_BUCKET = '*';

/**
 * Slows down password guessing per client address: after `freeFailures` wrong passwords, each
 * further attempt must wait, 1 s, 2 s, 4 s ... up to a minute, during which Authenticate is refused
 * without looking at the password. One correct password clears the address's record.
 *
 * Note: clients on the same host share 127.0.0.1, so a local guesser can delay a local
 * administrator by at most `maxDelayMs` at a time; that is the price of bounding guesses.
 */
export class AuthThrottle {
  private readonly records = new Map<string, FailureRecord>();
  private readonly opts: AuthThrottleOptions;

  constructor(opts: Partial<AuthThrottleOptions> = {}) {
    this.opts = { ...DEFAULT_THROTTLE_OPTIONS, ...opts };
  }

  get trackedAddresses(): number {
    return this.records.size;
  }

  /** Milliseconds this address must still wait before a password is checked again (0 = go ahead). */
  retryAfterMs(address: string, now: number): number {
    const r = this.lookup(address, now);
    return r === undefined ? 0 : Math.max(0, r.blockedUntil - now);
  }

  recordFailure(address: string, now: number): void {
    let key = this.bucketOf(address);
    let r = this.lookup(key, now);
    if (r === undefined) {
      if (this.records.size >= this.opts.maxTracked) this.sweep(now);
      if (this.records.size >= this.opts.maxTracked) {
        key = SHARED_BUCKET;
        r = this.lookup(key, now);
      }
      if (r === undefined) {
        r = { failures: 0, lastFailure: now, blockedUntil: 0 };
        this.records.set(key, r);
      }
    }
    r.failures++;
    r.lastFailure = now;
    const over = r.failures - this.opts.freeFailures;
    if (over > 0) {
      const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(over - 1, 30));
      r.blockedUntil = now + delay;
    }
  }

  recordSuccess(address: string): void {
    this.records.delete(address);
  }

  /** The record that governs this address: its own, or the shared one when it has none and the table is full. */
  private bucketOf(address: string): string {
    if (this.records.has(address)) return address;
    return this.records.size >= this.opts.maxTracked && this.records.has(SHARED_BUCKET) ? SHARED_BUCKET : address;
  }

  private lookup(address: string, now: number): FailureRecord | undefined {
    const key = this.bucketOf(address);
    const r = this.records.get(key);
    if (r !== undefined && now - r.lastFailure >= this.opts.forgetAfterMs && now >= r.blockedUntil) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }

  private sweep(now: number): void {
    for (const [key, r] of this.records) {
      if (now - r.lastFailure >= this.opts.forgetAfterMs && now >= r.blockedUntil) this.records.delete(key);
    }
  }
}
