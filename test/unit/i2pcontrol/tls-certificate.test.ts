import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as der from '../../../src/i2pcontrol/der.js';
import { createSelfSignedCertificate, ipv6Bytes, loadOrCreateCertificate } from '../../../src/i2pcontrol/tls-certificate.js';
import { silentLogger } from '../../../src/util/log.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('DER lengths: short form up to 127, long form beyond', () => {
  assert.equal(hex(der.tlv(0x04, Buffer.alloc(0))), '0400');
  assert.equal(hex(der.tlv(0x04, Buffer.alloc(127))).slice(0, 4), '047f');
  assert.equal(hex(der.tlv(0x04, Buffer.alloc(128))).slice(0, 6), '048180');
  assert.equal(hex(der.tlv(0x04, Buffer.alloc(256))).slice(0, 8), '04820100');
  assert.equal(hex(der.tlv(0x04, Buffer.alloc(70000))).slice(0, 10), '0483011170');
});

test('DER integers are minimal and positive', () => {
  assert.equal(hex(der.unsignedInteger(Buffer.from([0x00, 0x00, 0x05]))), '020105');
  assert.equal(hex(der.unsignedInteger(Buffer.from([0x80]))), '02020080');
  assert.equal(hex(der.unsignedInteger(Buffer.from([0x00, 0x80]))), '02020080');
  assert.equal(hex(der.unsignedInteger(Buffer.alloc(0))), '020100');
  assert.equal(hex(der.smallInteger(2)), '020102');
  assert.equal(hex(der.smallInteger(0)), '020100');
  assert.equal(hex(der.smallInteger(300)), '0202012c');
  assert.throws(() => der.smallInteger(-1), RangeError);
  assert.throws(() => der.smallInteger(1.5), RangeError);
});

test('DER object identifiers (known encodings)', () => {
  assert.equal(hex(der.oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302'); // ecdsa-with-SHA256
  assert.equal(hex(der.oid('2.5.4.3')), '0603550403'); // commonName
  assert.equal(hex(der.oid('1.3.6.1.5.5.7.3.1')), '06082b06010505070301'); // serverAuth
  assert.equal(hex(der.oid('2.999.3')), '0603883703'); // first arcs 2.999 → 1079 needs two bytes
  for (const bad of ['1', '3.1', '1.40', '1.2.x', '']) assert.throws(() => der.oid(bad), RangeError, bad);
});

test('X.509 times: UTCTime until 2049, GeneralizedTime from 2050', () => {
  assert.equal(der.x509Time(Date.UTC(2026, 10, 26, 6, 41, 9)).toString('latin1'), '\x17\x0d261126064109Z');
  assert.equal(der.x509Time(Date.UTC(2049, 11, 31, 23, 59, 59)).toString('latin1'), '\x17\x0d491231235959Z');
  assert.equal(der.x509Time(Date.UTC(2050, 0, 1, 0, 0, 0)).toString('latin1'), '\x18\x0f20500101000000Z');
  assert.throws(() => der.x509Time(NaN), RangeError);
});

test('ipv6Bytes expands :: and embedded IPv4, refuses non-IPv6', () => {
  assert.equal(hex(ipv6Bytes('::1')), '00000000000000000000000000000001');
  assert.equal(hex(ipv6Bytes('::')), '00000000000000000000000000000000');
  assert.equal(hex(ipv6Bytes('2001:db8::8:800:200c:417a')), '20010db80000000000080800200c417a');
  assert.equal(hex(ipv6Bytes('fe80::1:2')), 'fe800000000000000000000000010002');
  assert.equal(hex(ipv6Bytes('::ffff:198.18.0.40')), '00000000000000000000ffffc6120028');
  assert.equal(hex(ipv6Bytes('1:2:3:4:5:6:7:8')), '00010002000300040005000600070008');
  for (const bad of ['127.0.0.1', '1::2::3', 'x', '']) assert.throws(() => ipv6Bytes(bad), RangeError, bad);
});

test('self-signed certificate: parses, verifies with its own key, names and SANs as asked, ten years', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  const { certPem, keyPem } = createSelfSignedCertificate({
    commonName: 'garlicgate.i2pcontrol',
    organization: 'GarlicGate',
    ipAddresses: ['127.0.0.1', '::1', '198.18.0.40'],
    dnsNames: ['localhost'],
    now,
  });
  const x = new X509Certificate(certPem);
  assert.equal(x.subject, 'O=GarlicGate\nCN=garlicgate.i2pcontrol');
  assert.equal(x.issuer, x.subject);
  assert.ok(x.verify(x.publicKey), 'signature by its own key');
  assert.ok(x.checkPrivateKey(createPrivateKey(keyPem)));
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.ca, false);
  assert.equal(x.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:198.18.0.40');
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x.checkIP('198.18.0.40'), '198.18.0.40');
  assert.equal(x.checkIP('10.0.0.1'), undefined);
  assert.equal(x.checkHost('localhost'), 'localhost');
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(Date.parse(x.validFrom), now - 3600_000);
  assert.equal(Date.parse(x.validTo), now + 3650 * 86_400_000);
  assert.match(x.serialNumber, /^[0-9A-F]{32}$/);
  // Another one gets another key and serial.
  const y = new X509Certificate(createSelfSignedCertificate({ commonName: 'x', now }).certPem);
  assert.notEqual(y.serialNumber, x.serialNumber);
  assert.notEqual(y.publicKey.export({ format: 'jwk' }).x, x.publicKey.export({ format: 'jwk' }).x);
  assert.equal(y.subjectAltName, undefined);
});

test('loadOrCreateCertificate: creates both files (key 0600), then reuses them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-i2pctl-cert-'));
  try {
    const cert = join(dir, 'sub', 'i2pcontrol.crt.pem');
    const key = join(dir, 'sub', 'i2pcontrol.key.pem');
    const first = await loadOrCreateCertificate(cert, key, { bindAddress: '198.18.0.40', log: silentLogger() });
    assert.equal(first.created, true);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(readFileSync(cert, 'utf8'), first.cert);
    assert.equal(new X509Certificate(first.cert).checkIP('198.18.0.40'), '198.18.0.40');
    const second = await loadOrCreateCertificate(cert, key, { bindAddress: '198.18.0.40', log: silentLogger() });
    assert.deepEqual(second, { cert: first.cert, key: first.key, created: false });
    // A wildcard bind address is not put in the certificate.
    const wild = await loadOrCreateCertificate(join(dir, 'w.crt'), join(dir, 'w.key'), { bindAddress: '0.0.0.0', log: silentLogger() });
    assert.equal(new X509Certificate(wild.cert).subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadOrCreateCertificate refuses half pairs, garbage and mismatched keys, and overwrites nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-i2pctl-cert-'));
  const log = silentLogger();
  try {
    const a = createSelfSignedCertificate({ commonName: 'a' });
    const b = createSelfSignedCertificate({ commonName: 'b' });
    const cert = join(dir, 'c.pem');
    const key = join(dir, 'k.pem');
    writeFileSync(key, a.keyPem);
    await assert.rejects(loadOrCreateCertificate(cert, key, { bindAddress: '127.0.0.1', log }), /c\.pem is missing but .*k\.pem exists/);
    assert.equal(existsSync(cert), false);
    assert.equal(readFileSync(key, 'utf8'), a.keyPem, 'the lone key was not overwritten');
    writeFileSync(cert, b.certPem);
    await assert.rejects(loadOrCreateCertificate(cert, key, { bindAddress: '127.0.0.1', log }), /does not belong to the certificate/);
    writeFileSync(cert, 'garbage');
    await assert.rejects(loadOrCreateCertificate(cert, key, { bindAddress: '127.0.0.1', log }), /is not a PEM certificate/);
    writeFileSync(cert, a.certPem);
    writeFileSync(key, a.certPem.slice(0, 100));
    await assert.rejects(loadOrCreateCertificate(cert, key, { bindAddress: '127.0.0.1', log }), /is not a PEM private key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
