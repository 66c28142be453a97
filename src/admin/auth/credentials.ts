/**
 * The owner's password hash in `<datadir>/admin-password.json` (mode 0600, written atomically). There
 * is no default password: until this file exists the API is in first-run mode and only lets the owner
 * set one (./../routes/auth-routes.ts).
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { hashPassword, parsePasswordHash, verifyPassword, type ScryptParams, DEFAULT_SCRYPT } from './password.js';

export const ADMIN_PASSWORD_FILE = 'admin-password.json';

/** Passwords the owner may choose: long enough to resist guessing through the rate limit, bounded for the KDF. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

interface PasswordFile {
  version: 1;
  hash: string;
  setAt: string;
}

export class CredentialStore {
  private hash: string | undefined;

  private constructor(
    private readonly path: string,
    private readonly params: ScryptParams,
  ) {}

  /** Reads the stored hash (first run when the file does not exist); a damaged file is an error, not a first run. */
  static async load(datadir: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<CredentialStore> {
    const store = new CredentialStore(join(datadir, ADMIN_PASSWORD_FILE), params);
    let text: string;
    try {
      text = await readFile(store.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw e;
    }
    let f: Partial<PasswordFile>;
    try {
      f = JSON.parse(text) as Partial<PasswordFile>;
    } catch (e) {
      throw new Error(`${store.path}: not valid JSON (${(e as Error).message}); delete it to set a new password`);
    }
    if (f.version !== 1 || typeof f.hash !== 'string') throw new Error(`${store.path}: unknown format; delete it to set a new password`);
    parsePasswordHash(f.hash);
    store.hash = f.hash;
    return store;
  }

  get isSet(): boolean {
    return this.hash !== undefined;
  }

  async verify(password: string): Promise<boolean> {
    if (this.hash === undefined) return false;
    return verifyPassword(password, this.hash);
  }

  /** Hashes and stores a new password (atomic write before the new hash is used). */
  async set(password: string): Promise<void> {
    const hash = await hashPassword(password, this.params);
    const f: PasswordFile = { version: 1, hash, setAt: new Date().toISOString() };
    await writeFileAtomic(this.path, JSON.stringify(f, null, 2) + '\n', 0o600);
    this.hash = hash;
  }

  /** Forgets the password (factory reset): first-run mode again. */
  async clear(): Promise<void> {
    await unlink(this.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    this.hash = undefined;
  }
}

/** Why a chosen password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `the password must have at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `the password must have at most ${PASSWORD_MAX_LENGTH} characters`;
  if (password.trim() === '') return 'the password must not be only spaces';
  return undefined;
}
