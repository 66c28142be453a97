/**
 * The backup archive format (issue 6, item 4: "an encrypted (passphrase) archive of keys, config and
 * address book, whose contents are listed before restore"). Pure: bytes and a passphrase in, files
 * out; every length is checked, and anything malformed is a BackupError, never a crash.
 *
 * Layout (all integers big-endian):
 *
 *   offset size  field
 *    0      8    magic "GGBACKUP"
 *    8      1    format version (1)
 *    9      1    scrypt log2(N)
 *   10      1    scrypt r
 *   11      1    scrypt p
 *   12     16    scrypt salt
 *   28     12    AES-256-GCM nonce
 *   40     32    passphrase check: HMAC-SHA256(check key, "garlicgate backup v1")
 *   72      n    ciphertext (AES-256-GCM; additional data = bytes 0–71)
 *   72+n   16    GCM tag
 *
 * Keys: scrypt(passphrase (NFC), salt, 64 bytes) → encryption key (first 32) and check key (last 32).
 * The check tells a wrong passphrase from a damaged or altered archive (which fails the GCM tag).
 *
 * Plaintext: a 4-byte manifest length, the manifest (UTF-8 JSON:
 * `{"format":"garlicgate-backup","version":1,"createdAt":ISO-8601,"software":"x.y.z",
 * "files":[{"name","size","sha256","mode"}...]}`), then the files' bytes, concatenated in manifest
 * order. Each file's size and SHA-256 are checked on reading.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { checkScryptParams, scryptKey, type ScryptParams, DEFAULT_SCRYPT } from '../auth/password.js';

export const BACKUP_MAGIC = Buffer.from('GGBACKUP', 'latin1');
export const BACKUP_VERSION = 1;
const HEADER_BYTES = 72;
const TAG_BYTES = 16;
const CHECK_LABEL = 'garlicgate backup v1';
/** Bounds on hostile input. */
export const MAX_ARCHIVE_BYTES = 8 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 64 * 1024;
const MAX_FILES = 32;
const FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface BackupFile {
  name: string;
  data: Buffer;
  mode: number;
}

export interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
  mode: number;
}

export interface BackupManifest {
  format: 'garlicgate-backup';
  version: 1;
  createdAt: string;
  software: string;
  files: ManifestFile[];
}

export type BackupErrorCode = 'not-a-backup' | 'unsupported-version' | 'wrong-passphrase' | 'damaged' | 'invalid-content';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

async function deriveKeys(passphrase: string, salt: Buffer, params: ScryptParams): Promise<{ enc: Buffer; check: Buffer }> {
  const k = await scryptKey(passphrase.normalize('NFC'), salt, params, 64);
  return { enc: k.subarray(0, 32), check: createHmac('sha256', k.subarray(32)).update(CHECK_LABEL).digest() };
}

export async function encodeBackup(files: readonly BackupFile[], meta: { createdAt: Date; software: string }, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<Buffer> {
  if (files.length > MAX_FILES) throw new RangeError(`at most ${MAX_FILES} files`);
  const manifest: BackupManifest = {
    format: 'garlicgate-backup',
    version: 1,
    createdAt: meta.createdAt.toISOString(),
    software: meta.software,
    files: files.map((f) => {
      if (!FILE_NAME.test(f.name)) throw new RangeError(`bad file name ${f.name}`);
      return { name: f.name, size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex'), mode: f.mode & 0o777 };
    }),
  };
  const m = Buffer.from(JSON.stringify(manifest), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  const plaintext = Buffer.concat([len, m, ...files.map((f) => f.data)]);
  if (plaintext.length + HEADER_BYTES + TAG_BYTES > MAX_ARCHIVE_BYTES) throw new RangeError('the backup would exceed the archive size limit');

  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const { enc, check } = await deriveKeys(passphrase, salt, params);
  const header = Buffer.concat([BACKUP_MAGIC, Buffer.from([BACKUP_VERSION, params.logN, params.r, params.p]), salt, nonce, check]);
  const cipher = createCipheriv('aes-256-gcm', enc, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/** Decrypts and checks an archive; the files are returned only if every check passed. */
export async function openBackup(archive: Buffer, passphrase: string): Promise<{ manifest: BackupManifest; files: BackupFile[] }> {
  if (archive.length > MAX_ARCHIVE_BYTES) throw new BackupError('not-a-backup', `larger than ${MAX_ARCHIVE_BYTES} bytes`);
  if (archive.length < HEADER_BYTES + TAG_BYTES + 4 || !archive.subarray(0, 8).equals(BACKUP_MAGIC)) throw new BackupError('not-a-backup', 'not a GarlicGate backup archive');
  if (archive[8] !== BACKUP_VERSION) throw new BackupError('unsupported-version', `archive format version ${archive[8]} is not supported (this software reads version ${BACKUP_VERSION})`);
  const params: ScryptParams = { logN: archive[9]!, r: archive[10]!, p: archive[11]! };
  try {
    checkScryptParams(params);
  } catch (e) {
    throw new BackupError('damaged', `key derivation parameters refused: ${(e as Error).message}`);
  }
  const header = archive.subarray(0, HEADER_BYTES);
  const salt = archive.subarray(12, 28);
  const nonce = archive.subarray(28, 40);
  const storedCheck = archive.subarray(40, 72);
  const { enc, check } = await deriveKeys(passphrase, salt, params);
  if (!timingSafeEqual(check, storedCheck)) throw new BackupError('wrong-passphrase', 'wrong passphrase (or a damaged archive header)');
  const decipher = createDecipheriv('aes-256-gcm', enc, nonce);
  decipher.setAAD(header);
  decipher.setAuthTag(archive.subarray(archive.length - TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(archive.subarray(HEADER_BYTES, archive.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new BackupError('damaged', 'the archive is damaged or was altered (authentication failed)');
  }
  return parsePlaintext(plaintext);
}

function parsePlaintext(p: Buffer): { manifest: BackupManifest; files: BackupFile[] } {
  // Authenticated, so written by someone holding the passphrase; still checked field by field.
  const bad = (why: string): BackupError => new BackupError('invalid-content', `archive contents: ${why}`);
  if (p.length < 4) throw bad('too short');
  const mlen = p.readUInt32BE(0);
  if (mlen > MAX_MANIFEST_BYTES || 4 + mlen > p.length) throw bad('manifest length out of range');
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(p.subarray(4, 4 + mlen).toString('utf8')) as Partial<BackupManifest>;
  } catch {
    throw bad('manifest is not JSON');
  }
  if (m?.format !== 'garlicgate-backup' || m.version !== 1 || typeof m.createdAt !== 'string' || typeof m.software !== 'string' || !Array.isArray(m.files)) throw bad('manifest fields missing');
  if (m.files.length > MAX_FILES) throw bad(`more than ${MAX_FILES} files`);
  const files: BackupFile[] = [];
  const names = new Set<string>();
  let at = 4 + mlen;
  for (const f of m.files as Partial<ManifestFile>[]) {
    if (typeof f?.name !== 'string' || !FILE_NAME.test(f.name)) throw bad('bad file name');
    if (names.has(f.name)) throw bad(`${f.name} appears twice`);
    names.add(f.name);
    if (!Number.isInteger(f.size) || f.size! < 0 || at + f.size! > p.length) throw bad(`${f.name}: size out of range`);
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw bad(`${f.name}: bad sha256`);
    if (!Number.isInteger(f.mode) || f.mode! < 0 || f.mode! > 0o777) throw bad(`${f.name}: bad mode`);
    const data = p.subarray(at, at + f.size!);
    if (createHash('sha256').update(data).digest('hex') !== f.sha256) throw bad(`${f.name}: checksum mismatch`);
    files.push({ name: f.name, data: Buffer.from(data), mode: f.mode! });
    at += f.size!;
  }
  if (at !== p.length) throw bad('trailing bytes after the files');
  return { manifest: m as BackupManifest, files };
}
