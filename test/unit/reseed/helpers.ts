// Test helper (not a test file): real signer keys and certificates (openssl CLI), trust-store
// folders, reseed zips and SU3 files, a TLS CA, and log capture for the reseed tests.
import { execFileSync } from 'node:child_process';
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { ReseedFailure } from '../../../src/netdb/reseed/reseed-failure.js';
import { SU3ContentType, SU3FileType, SU3SigType, signSU3 } from '../../../src/netdb/reseed/su3.js';
import { createLogger, type Logger } from '../../../src/util/log.js';
import { reseedZipOf } from '../../helpers/zip.js';
import { makeRouterInfo } from '../data/make-router-info.js';
import type { RouterInfo } from '../../../src/data/router-info.js';

export const NET_ID = 99;
export const SIGNER_ID = 'test-signer@mail.i2p';

export function tempDir(prefix = 'gg-reseed-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface TestSigner {
  signerId: string;
  privateKey: KeyObject;
  certPem: string;
}

/** An RSA signer key and its self-signed certificate (subject CN = `subject` ?? signer ID). */
export async function makeSigner(signerId: string, bits = 4096, subject = `/O=I2P Anonymous Network/CN=${signerId}`, days = 30): Promise<TestSigner> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: bits });
  const dir = tempDir('gg-signer-');
  writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  openssl(['req', '-x509', '-new', '-key', 'key.pem', '-subj', subject, '-days', String(days), '-sha256', '-out', 'cert.pem'], dir);
  return { signerId, privateKey, certPem: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

/** A certificates folder in i2pd's layout: `<dir>/reseed/<id with _at_>.crt`. */
export function makeCertsDir(files: Array<{ name: string; pem: string | Buffer }>): string {
  const dir = tempDir('gg-certs-');
  mkdirSync(join(dir, 'reseed'));
  for (const f of files) writeFileSync(join(dir, 'reseed', f.name), f.pem);
  return dir;
}

export function certFileName(signerId: string): string {
  return `${signerId.replace(/@/g, '_at_')}.crt`;
}

export function freshRouterInfos(n: number, published = Date.now() - 60_000): RouterInfo[] {
  return Array.from({ length: n }, () => makeRouterInfo({ published }).ri);
}

export async function reseedZip(ris: RouterInfo[]): Promise<Buffer> {
  return reseedZipOf(ris.map((ri) => ri.raw));
}

export interface Su3Options {
  version?: string;
  signerId?: string;
  sigType?: number;
  fileType?: number;
  contentType?: number;
}

/** A reseed SU3 (RSA-4096/SHA-512 unless told otherwise) around `zip`. */
export function makeSu3(zip: Buffer, key: KeyObject, o: Su3Options = {}): Buffer {
  return signSU3(
    {
      sigType: o.sigType ?? SU3SigType.RSA_SHA512_4096,
      version: o.version ?? String(Math.floor(Date.now() / 1000)),
      signerId: o.signerId ?? SIGNER_ID,
      fileType: o.fileType ?? SU3FileType.ZIP,
      contentType: o.contentType ?? SU3ContentType.RESEED,
      content: zip,
    },
    key,
  );
}

export interface TestTls {
  caPem: string;
  keyPem: string;
  certPem: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost signed by it. */
export function makeTls(): TestTls {
  const dir = tempDir('gg-tls-');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=GarlicGate test CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf'], dir);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { caPem: read('ca.crt'), keyPem: read('srv.key'), certPem: read('srv.crt') };
}

/** An Ed25519 self-signed certificate: a signer type the trust store must skip. */
export function makeEd25519Cert(cn: string): string {
  const dir = tempDir('gg-ed-');
  openssl(['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', `/CN=${cn}`, '-days', '2'], dir);
  return readFileSync(join(dir, 'c.pem'), 'utf8');
}

/** A pino logger whose JSON lines are kept for assertions. */
export function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger('debug', sink), lines };
}

/** An assert.throws/rejects validator: a ReseedFailure with this reason. */
export function refused(reason: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ReseedFailure, `expected ReseedFailure(${reason}), got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    return true;
  };
}
