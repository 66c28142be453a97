/**
 * Owner password hashing with scrypt (node:crypto), a memory-hard KDF (issue 6, item 2). The stored
 * form names its parameters, so they can be raised later without breaking existing hashes:
 * `scrypt$<log2 N>$<r>$<p>$<salt, base64>$<hash, base64>`.
 *
 * N = 2^15, r = 8 (32 MiB, the OWASP minimum for scrypt) costs about 0.1 s on a 2-core x86 and a few
 * tenths on a Pi: bearable for a login, expensive for a guesser (logins are also rate-limited).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Bounds on parameters read from a file or an archive: a hostile value must not eat the Pi's memory. */
export function checkScryptParams(s: ScryptParams): void {
  if (!Number.isInteger(s.logN) || s.logN < 10 || s.logN > 20) throw new RangeError(`scrypt log2(N) ${s.logN} is outside 10–20`);
  if (!Number.isInteger(s.r) || s.r < 1 || s.r > 16) throw new RangeError(`scrypt r ${s.r} is outside 1–16`);
  if (!Number.isInteger(s.p) || s.p < 1 || s.p > 4) throw new RangeError(`scrypt p ${s.p} is outside 1–4`);
  if (memoryBytes(s) > 128 * 1024 * 1024) throw new RangeError('scrypt parameters need more than 128 MiB');
}

function memoryBytes(s: ScryptParams): number {
  return 128 * 2 ** s.logN * s.r * (s.p + 1);
}

/** scrypt(secret, salt) with the given parameters (asynchronous: the work runs on the libuv pool). */
export function scryptKey(secret: string | Buffer, salt: Buffer, params: ScryptParams, length = KEY_BYTES): Promise<Buffer> {
  checkScryptParams(params);
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, { N: 2 ** params.logN, r: params.r, p: params.p, maxmem: memoryBytes(params) + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptKey(password.normalize('NFC'), salt, params);
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export class PasswordHashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordHashError';
  }
}

export function parsePasswordHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new PasswordHashError('not a scrypt password hash');
  const [logN, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,3}$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  const params = { logN, r, p };
  try {
    checkScryptParams(params);
  } catch (e) {
    throw new PasswordHashError((e as Error).message);
  }
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length !== KEY_BYTES) throw new PasswordHashError('bad salt or hash length');
  return { params, salt, key };
}

/** Constant-time comparison of the derived key. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { params, salt, key } = parsePasswordHash(stored);
  const candidate = await scryptKey(password.normalize('NFC'), salt, params, key.length);
  return timingSafeEqual(candidate, key);
}
