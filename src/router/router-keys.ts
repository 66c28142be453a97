/**
 * The router's long-term keys: its identity (ECIES-X25519 crypto type 4 + Ed25519 sig type 7,
 * spec common-structures "RouterIdentity", ecies-routers.rst) and its NTCP2 static key and IV
 * (ntcp2.rst "Published Router Info").
 *
 * Stored in `<datadir>/router.keys.json` (mode 0600). Generated once on first run; when the file
 * exists it is loaded and checked, never regenerated: a corrupt key file stops the router with a
 * clear error instead of silently creating a new identity (which would lose the router's
 * reputation and hosted services).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../crypto/index.js';
import { RouterIdentity } from '../data/router-identity.js';
import { i2pBase64Decode, i2pBase64Encode } from '../data/base64.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { CryptoType, SigType } from '../data/certificate.js';

export const ROUTER_KEYS_FILE = 'router.keys.json';

export class RouterKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouterKeysError';
  }
}

export interface RouterKeys {
  identity: RouterIdentity;
  /** X25519 key pair whose public half is in the identity (crypto type 4). */
  encryption: X25519KeyPair;
  /** Ed25519 signer whose public half is in the identity (sig type 7). */
  signer: Ed25519Signer;
  /** NTCP2 static key `s`, separate from the identity key as in i2pd and Java I2P. */
  ntcp2Static: X25519KeyPair;
  /** NTCP2 IV `i` (16 bytes) published with the address; AES-CBC IV for SessionRequest. */
  ntcp2Iv: Buffer;
}

interface KeysFile {
  version: 1;
  identity: string;
  encryptionPrivateKey: string;
  signingPrivateKey: string;
  ntcp2StaticPrivateKey: string;
  ntcp2Iv: string;
}

export function generateRouterKeys(): RouterKeys {
  const encryption = X25519KeyPair.generate();
  const signer = Ed25519Signer.generate();
  return {
    identity: RouterIdentity.create(encryption.publicKey, signer.publicKey),
    encryption,
    signer,
    ntcp2Static: X25519KeyPair.generate(),
    ntcp2Iv: randomBytes(16),
  };
}

export function serializeRouterKeys(k: RouterKeys): string {
  const f: KeysFile = {
    version: 1,
    identity: i2pBase64Encode(k.identity.raw),
    encryptionPrivateKey: i2pBase64Encode(k.encryption.privateKey),
    signingPrivateKey: i2pBase64Encode(k.signer.privateKey),
    ntcp2StaticPrivateKey: i2pBase64Encode(k.ntcp2Static.privateKey),
    ntcp2Iv: i2pBase64Encode(k.ntcp2Iv),
  };
  return JSON.stringify(f, null, 2) + '\n';
}

/** Parses and cross-checks a key file; throws RouterKeysError naming what is wrong. */
export function parseRouterKeys(text: string, source: string): RouterKeys {
  let f: Partial<KeysFile>;
  try {
    f = JSON.parse(text) as Partial<KeysFile>;
  } catch (e) {
    throw new RouterKeysError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (f === null || typeof f !== 'object' || f.version !== 1) throw new RouterKeysError(`${source}: unknown key file version`);
  const field = (name: keyof KeysFile, len?: number): Buffer => {
    const v = f[name];
    if (typeof v !== 'string') throw new RouterKeysError(`${source}: missing ${name}`);
    let b: Buffer;
    try {
      b = i2pBase64Decode(v);
    } catch {
      throw new RouterKeysError(`${source}: ${name} is not I2P base64`);
    }
    if (len !== undefined && b.length !== len) throw new RouterKeysError(`${source}: ${name} must be ${len} bytes, is ${b.length}`);
    return b;
  };
  let identity: RouterIdentity;
  try {
    identity = RouterIdentity.parse(field('identity'));
  } catch (e) {
    throw new RouterKeysError(`${source}: identity does not parse (${(e as Error).message})`);
  }
  if (identity.cryptoType !== CryptoType.ECIES_X25519 || identity.sigType !== SigType.EdDSA_SHA512_Ed25519) {
    throw new RouterKeysError(`${source}: identity must be ECIES-X25519 + Ed25519 (got crypto ${identity.cryptoType}, sig ${identity.sigType})`);
  }
  const encryption = X25519KeyPair.fromPrivate(field('encryptionPrivateKey', 32));
  const signer = Ed25519Signer.fromPrivate(field('signingPrivateKey', 32));
  if (!encryption.publicKey.equals(identity.encryptionPublicKey)) throw new RouterKeysError(`${source}: encryption private key does not match the identity`);
  if (!signer.publicKey.equals(identity.signingPublicKey)) throw new RouterKeysError(`${source}: signing private key does not match the identity`);
  return {
    identity,
    encryption,
    signer,
    ntcp2Static: X25519KeyPair.fromPrivate(field('ntcp2StaticPrivateKey', 32)),
    ntcp2Iv: field('ntcp2Iv', 16),
  };
}

/**
 * Loads `<datadir>/router.keys.json`, or creates it on first run. Returns `created` so the
 * caller can log the new identity.
 */
export async function loadOrCreateRouterKeys(datadir: string): Promise<{ keys: RouterKeys; created: boolean }> {
  const path = join(datadir, ROUTER_KEYS_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new RouterKeysError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (text !== undefined) return { keys: parseRouterKeys(text, path), created: false };
  const keys = generateRouterKeys();
  await writeFileAtomic(path, serializeRouterKeys(keys), 0o600);
  return { keys, created: true };
}
