import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ReseedFailure } from '../../../src/netdb/reseed/reseed-failure.js';
import { TrustStore, defaultCertificatesDir, signerIdFromFileName } from '../../../src/netdb/reseed/trust-store.js';
import { captureLog, certFileName, makeCertsDir, makeEd25519Cert, makeSigner, type TestSigner } from './helpers.js';

describe('reseed trust store', () => {
  let a: TestSigner;
  let noCn: TestSigner;
  let mismatched: TestSigner;

  before(async () => {
    [a, noCn, mismatched] = await Promise.all([
      makeSigner('alice@mail.i2p', 2048),
      makeSigner('nocn@mail.i2p', 2048, '/O=I2P Anonymous Network/OU=I2P'),
      makeSigner('cn-wins@mail.i2p', 2048),
    ]);
  });

  it('loads the shipped reseed certificates, keyed by their CN = file name', async () => {
    const dir = defaultCertificatesDir();
    const files = readdirSync(join(dir, 'reseed')).filter((f) => f.endsWith('.crt'));
    assert.ok(files.length >= 10, `expected the i2pd reseed certificates in ${dir}`);
    const store = await TrustStore.load(dir);
    assert.equal(store.size, files.length);
    assert.deepEqual(store.signerIds().sort(), files.map(signerIdFromFileName).sort());
    for (const id of store.signerIds()) {
      const s = store.signer(id)!;
      assert.equal(s.publicKey.asymmetricKeyType, 'rsa');
      assert.equal(s.publicKey.asymmetricKeyDetails?.modulusLength, 4096, id);
    }
    assert.ok(store.signer('orignal@mail.i2p'));
  });

  it('maps by subject CN, falls back to the file name, and skips what it cannot use', async () => {
    const { log, lines } = captureLog();
    const dir = makeCertsDir([
      { name: certFileName(a.signerId), pem: a.certPem },
      { name: certFileName(noCn.signerId), pem: noCn.certPem },
      { name: 'some_other_name.crt', pem: mismatched.certPem },
      { name: 'ed_at_mail.i2p.crt', pem: makeEd25519Cert('ed@mail.i2p') },
      { name: 'garbage_at_mail.i2p.crt', pem: 'not a certificate' },
      { name: 'readme.txt', pem: a.certPem },
      { name: 'dup_at_mail.i2p.crt', pem: a.certPem },
    ]);
    writeFileSync(join(dir, 'reseed', 'huge_at_mail.i2p.crt'), Buffer.alloc(100 * 1024, 0x41));
    const store = await TrustStore.load(dir, log);
    assert.deepEqual(store.signerIds().sort(), ['alice@mail.i2p', 'cn-wins@mail.i2p', 'nocn@mail.i2p']);
    assert.equal(store.signer('cn-wins@mail.i2p')!.file.endsWith('some_other_name.crt'), true);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    assert.ok(warnings.some((m) => String(m).includes('without a 2048/3072/4096-bit RSA key')));
    assert.ok(warnings.some((m) => String(m).includes('unreadable signer certificate')));
    assert.ok(warnings.some((m) => String(m).includes('duplicate signer')));
    assert.ok(warnings.some((m) => String(m).includes('CN differs from its file name')));
  });

  it('refuses unknown and expired signers, but not a certificate that is not yet valid', async () => {
    const store = await TrustStore.load(makeCertsDir([{ name: certFileName(a.signerId), pem: a.certPem }]));
    const s = store.signer(a.signerId)!;
    assert.throws(() => store.keyFor('mallory@mail.i2p', s.validFrom), (e: unknown) => e instanceof ReseedFailure && e.reason === 'unknown-signer');
    assert.equal(store.keyFor(a.signerId, s.validTo), s.publicKey);
    assert.throws(() => store.keyFor(a.signerId, s.validTo + 1), (e: unknown) => e instanceof ReseedFailure && e.reason === 'signer-expired');
    // A clock far in the past (a Pi before NTP) must not block reseeding.
    assert.equal(store.keyFor(a.signerId, 0), s.publicKey);
  });

  it('is empty for a missing folder and loads optional ssl/ anchors', async () => {
    assert.equal((await TrustStore.load(join(makeCertsDir([]), 'nope'))).size, 0);
    const dir = makeCertsDir([]);
    mkdirSync(join(dir, 'ssl'));
    writeFileSync(join(dir, 'ssl', 'host.crt'), a.certPem);
    writeFileSync(join(dir, 'ssl', 'bad.crt'), 'junk');
    const store = await TrustStore.load(dir);
    assert.equal(store.tlsCas.length, 1);
    assert.match(store.tlsCas[0]!, /BEGIN CERTIFICATE/);
  });
});
