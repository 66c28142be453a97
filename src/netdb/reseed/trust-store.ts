/**
 * The reseed signers we trust: self-signed X.509 certificates of the reseed operators, in the
 * folder layout i2pd and Java I2P use (`certificates/reseed/<id with @ as _at_>.crt`), and
 * optionally extra TLS trust anchors for reseed hosts with self-signed TLS certificates
 * (`certificates/ssl/*.crt`, Java I2P's layout; updates.rst "Notes": implementations "must
 * either import and trust these CAs when reseeding, or omit the selfsigned reseeds").
 *
 * Mapping signer ID -> certificate (updates.rst: "The certificate is looked up by the ID of the
 * signer"): by the certificate's subject CN, which for every shipped certificate is the signer
 * ID (`acetone@mail.i2p`); i2pd keys its map the same way (it reads the issuer CN, identical for
 * these self-signed certificates). A certificate without a CN falls back to its file name.
 *
 * Validity dates: updates.rst says implementations "should enforce the valid dates". We refuse
 * a signer whose certificate has EXPIRED (notAfter, checked at verification time so a long
 * running router notices), since an abandoned key is exactly the one that leaks. We do NOT
 * enforce notBefore: a Raspberry Pi has no RTC and may reseed before NTP has set the clock, so
 * "now" can be far in the past, and a certificate that is not yet valid was still issued by
 * its operator. (i2pd checks neither date; Java I2P checks both.)
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../util/log.js';
import { ReseedFailure } from './reseed-failure.js';
import type { SignerKeyring } from './su3.js';

/** A certificate is ~2 KiB; anything much larger is not one. */
const MAX_CERT_FILE_BYTES = 64 * 1024;
const MAX_CERT_FILES = 1000;
const RSA_SIGNER_BITS = new Set([2048, 3072, 4096]);

export interface TrustedSigner {
  signerId: string;
  publicKey: KeyObject;
  /** ms since the epoch */
  validFrom: number;
  validTo: number;
  file: string;
}

/** `certificates/` at the root of the installed package (dist/src/netdb/reseed -> ../../../..). */
export function defaultCertificatesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled: <root>/dist/src/netdb/reseed; run from sources: <root>/src/netdb/reseed.
  const up = here.split(/[\\/]/).includes('dist') ? '../../../..' : '../../..';
  return resolve(here, up, 'certificates');
}

/** `foo_at_mail.i2p.crt` -> `foo@mail.i2p` (the naming used by i2pd and Java I2P). */
export function signerIdFromFileName(file: string): string {
  return file.replace(/\.crt$/i, '').replace(/_at_/g, '@');
}

function commonName(subject: string): string | undefined {
  // Node prints the subject one "key=value" per line; a value needing escapes is not an ID we accept.
  const cns = subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cns.length !== 1) return undefined;
  const cn = cns[0]!.slice(3);
  return cn === '' || /["\\\u0000-\u001f]/.test(cn) ? undefined : cn;
}

async function listCertFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => n.toLowerCase().endsWith('.crt')).sort().slice(0, MAX_CERT_FILES);
}

async function readCertFile(path: string): Promise<Buffer | undefined> {
  const st = await stat(path);
  if (!st.isFile() || st.size > MAX_CERT_FILE_BYTES) return undefined;
  return readFile(path);
}

export class TrustStore implements SignerKeyring {
  private constructor(
    private readonly signers: ReadonlyMap<string, TrustedSigner>,
    /** Extra TLS trust anchors (PEM) for reseed hosts, added to Node's default CA list. */
    readonly tlsCas: readonly string[],
  ) {}

  /**
   * Loads `<dir>/reseed/*.crt` (SU3 signers) and `<dir>/ssl/*.crt` (extra TLS anchors; the
   * folder is optional). Unusable certificates are skipped with a warning, never fatal.
   */
  static async load(dir: string, log?: Logger): Promise<TrustStore> {
    const signers = new Map<string, TrustedSigner>();
    const reseedDir = join(dir, 'reseed');
    for (const name of await listCertFiles(reseedDir)) {
      const file = join(reseedDir, name);
      const signer = TrustStore.parseSigner(file, await readCertFile(file), log);
      if (!signer) continue;
      if (signers.has(signer.signerId)) {
        log?.warn({ file, signer: signer.signerId }, 'reseed: duplicate signer certificate ignored');
        continue;
      }
      signers.set(signer.signerId, signer);
    }
    const tlsCas: string[] = [];
    const sslDir = join(dir, 'ssl');
    for (const name of await listCertFiles(sslDir)) {
      const pem = await readCertFile(join(sslDir, name));
      try {
        if (pem) tlsCas.push(new X509Certificate(pem).toString());
      } catch {
        log?.warn({ file: join(sslDir, name) }, 'reseed: unreadable TLS certificate ignored');
      }
    }
    if (signers.size === 0) log?.warn({ dir: reseedDir }, 'reseed: no signer certificates found; every SU3 file will be refused');
    else log?.info({ dir, signers: signers.size, tlsCas: tlsCas.length }, 'reseed: trusted certificates loaded');
    return new TrustStore(signers, tlsCas);
  }

  private static parseSigner(file: string, pem: Buffer | undefined, log?: Logger): TrustedSigner | undefined {
    let cert: X509Certificate;
    try {
      if (!pem) throw new Error('not a regular file or too large');
      cert = new X509Certificate(pem);
    } catch (e) {
      log?.warn({ file, err: (e as Error).message }, 'reseed: unreadable signer certificate ignored');
      return undefined;
    }
    const key = cert.publicKey;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (key.asymmetricKeyType !== 'rsa' || bits === undefined || !RSA_SIGNER_BITS.has(bits)) {
      log?.warn({ file, type: key.asymmetricKeyType, bits }, 'reseed: signer certificate without a 2048/3072/4096-bit RSA key ignored');
      return undefined;
    }
    const fromName = signerIdFromFileName(file.split(/[\\/]/).pop()!);
    const cn = commonName(cert.subject);
    if (cn && cn !== fromName) log?.warn({ file, cn }, 'reseed: certificate CN differs from its file name; using the CN');
    const validFrom = Date.parse(cert.validFrom);
    const validTo = Date.parse(cert.validTo);
    if (!Number.isFinite(validFrom) || !Number.isFinite(validTo)) {
      log?.warn({ file }, 'reseed: signer certificate with unreadable validity dates ignored');
      return undefined;
    }
    return { signerId: cn ?? fromName, publicKey: key, validFrom, validTo, file };
  }

  get size(): number {
    return this.signers.size;
  }

  signerIds(): string[] {
    return [...this.signers.keys()];
  }

  signer(signerId: string): TrustedSigner | undefined {
    return this.signers.get(signerId);
  }

  /** The signer's key for verifying an SU3; ReseedFailure when unknown or expired at `now`. */
  keyFor(signerId: string, now: number): KeyObject {
    const s = this.signers.get(signerId);
    if (!s) throw new ReseedFailure('unknown-signer', `no trusted certificate for SU3 signer "${signerId}"`);
    if (now > s.validTo) throw new ReseedFailure('signer-expired', `certificate of SU3 signer "${signerId}" expired on ${new Date(s.validTo).toISOString()}`);
    return s.publicKey;
  }
}
