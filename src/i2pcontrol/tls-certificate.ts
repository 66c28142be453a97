/**
 * The HTTPS certificate of the I2PControl service.
 *
 * i2pd 2.45.1 serves I2PControl only over HTTPS and, on first start, writes a self-signed
 * certificate and key to `i2pcontrol.crt.pem` / `i2pcontrol.key.pem` in its data directory (options
 * `i2pcontrol.cert` / `i2pcontrol.key`). Clients therefore connect with certificate checks off, or
 * pin that file. We do the same, with two differences: an ECDSA P-256 key (i2pd: RSA-4096, which
 * takes seconds to generate on a Raspberry Pi) signed with SHA-256 (i2pd: SHA-1), and
 * subjectAltNames for localhost/127.0.0.1/::1 and the bind address, so that a client pinning the
 * file (`curl --cacert i2pcontrol.crt.pem https://127.0.0.1:7650/`) can verify it. Existing files,
 * including i2pd's own, are used as they are.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname } from 'node:path';
import { ensureDir, writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/log.js';
import * as der from './der.js';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

/** i2pd's validity for its I2PControl certificate: ten years. */
export const CERTIFICATE_VALIDITY_DAYS = 3650;

export interface SelfSignedCertificateOptions {
  commonName: string;
  organization?: string;
  /** subjectAltName iPAddress entries (IPv4 or IPv6 literals). */
  ipAddresses?: string[];
  /** subjectAltName dNSName entries. */
  dnsNames?: string[];
  validityDays?: number;
  /** Defaults to Date.now(); notBefore is an hour earlier, to tolerate clients with a slow clock. */
  now?: number;
}

/** 16 bytes of an IPv6 literal (validated by node:net first; `::` and embedded IPv4 supported). */
export function ipv6Bytes(addr: string): Buffer {
  if (!isIPv6(addr)) throw new RangeError(`not an IPv6 address: ${addr}`);
  let s = addr.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function ipBytes(addr: string): Buffer {
  if (isIPv4(addr)) return Buffer.from(addr.split('.').map(Number));
  return ipv6Bytes(addr);
}

function name(commonName: string, organization?: string): Buffer {
  const rdn = (type: string, value: string) => der.set(der.sequence(der.oid(type), der.utf8String(value)));
  return der.sequence(...(organization ? [rdn(OID.organizationName, organization)] : []), rdn(OID.commonName, commonName));
}

function extension(type: string, value: Buffer, critical = false): Buffer {
  return der.sequence(der.oid(type), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** A fresh ECDSA P-256 key and a self-signed X.509 v3 certificate for it, both PEM. */
export function createSelfSignedCertificate(opts: SelfSignedCertificateOptions): { certPem: string; keyPem: string } {
  const now = opts.now ?? Date.now();
  const days = opts.validityDays ?? CERTIFICATE_VALIDITY_DAYS;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and not zero (RFC 5280 §4.1.2.2)
  const sigAlg = der.sequence(der.oid(OID.ecdsaWithSha256));
  const subject = name(opts.commonName, opts.organization);
  const altNames = [
    ...(opts.dnsNames ?? []).map((d) => der.implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...(opts.ipAddresses ?? []).map((ip) => der.implicitPrimitive(7, ipBytes(ip))),
  ];
  const extensions = [
    extension(OID.basicConstraints, der.sequence(), true), // cA FALSE: a leaf, not an authority
    extension(OID.extKeyUsage, der.sequence(der.oid(OID.serverAuth))),
    ...(altNames.length > 0 ? [extension(OID.subjectAltName, der.sequence(...altNames))] : []),
  ];
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    sigAlg,
    subject, // issuer = subject: self-signed
    der.sequence(der.x509Time(now - 3600_000), der.x509Time(now + days * 86_400_000)),
    subject,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = der.sequence(tbs, sigAlg, der.bitString(signature));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

export interface CertificateFiles {
  cert: string;
  key: string;
  /** True when the files did not exist and were written now. */
  created: boolean;
}

/**
 * Read the certificate and key, or create both when neither exists (i2pd's behaviour on first
 * start). Exactly one of them existing is an error: we never overwrite a key someone put there.
 * The files are checked (certificate parses, key parses and matches it) so that a broken pair fails
 * here with the file names, not later inside a TLS handshake.
 */
export async function loadOrCreateCertificate(
  certPath: string,
  keyPath: string,
  opts: { bindAddress: string; log: Logger; now?: number },
): Promise<CertificateFiles> {
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (haveCert !== haveKey) {
    throw new Error(`I2PControl: ${haveCert ? keyPath : certPath} is missing but ${haveCert ? certPath : keyPath} exists; restore it, or remove both to have a new pair created`);
  }
  if (!haveCert) {
    const ips = ['127.0.0.1', '::1'];
    if (opts.bindAddress !== '0.0.0.0' && opts.bindAddress !== '::' && !ips.includes(opts.bindAddress)) ips.push(opts.bindAddress);
    const { certPem, keyPem } = createSelfSignedCertificate({
      commonName: 'garlicgate.i2pcontrol',
      organization: 'GarlicGate',
      ipAddresses: ips,
      dnsNames: ['localhost'],
      ...(opts.now !== undefined ? { now: opts.now } : {}),
    });
    await ensureDir(dirname(keyPath));
    await ensureDir(dirname(certPath));
    await writeFileAtomic(keyPath, keyPem, 0o600);
    await writeFileAtomic(certPath, certPem, 0o644);
    opts.log.info({ cert: certPath, key: keyPath }, 'I2PControl: created a self-signed certificate');
    return { cert: certPem, key: keyPem, created: true };
  }
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new Error(`I2PControl: ${certPath} is not a PEM certificate: ${(e as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    throw new Error(`I2PControl: ${keyPath} is not a PEM private key: ${(e as Error).message}`);
  }
  if (!matches) throw new Error(`I2PControl: the key in ${keyPath} does not belong to the certificate in ${certPath}`);
  if (Date.parse(x509.validTo) < (opts.now ?? Date.now())) {
    opts.log.warn({ cert: certPath, validTo: x509.validTo }, 'I2PControl: the certificate has expired; clients that check it will refuse it (remove both files to have a new pair created)');
  }
  return { cert, key, created: false };
}
