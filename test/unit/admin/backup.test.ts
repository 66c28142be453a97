import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, makeAdmin, tempDir, TEST_SCRYPT } from './fixture.js';
import { BackupError, encodeBackup, openBackup } from '../../../src/admin/backup/archive.js';
import { BackupService } from '../../../src/admin/backup/backup-service.js';
import { generateRouterKeys, serializeRouterKeys } from '../../../src/router/router-keys.js';
import { silentLogger } from '../../../src/util/log.js';
import { destinationB64 } from './destinations.js';

const PASS = 'backup passphrase 1';

function datadirWithRouter(): string {
  const d = tempDir('backup');
  writeFileSync(join(d, 'router.keys.json'), serializeRouterKeys(generateRouterKeys()), { mode: 0o600 });
  writeFileSync(join(d, 'router.state.json'), JSON.stringify({ ntcp2Port: 24680 }));
  writeFileSync(join(d, 'garlicgate.conf'), '# mine\nbandwidth = O\n[gateway]\nmode = i2p\n');
  return d;
}

function service(datadir: string): BackupService {
  return new BackupService({ datadir, configFile: join(datadir, 'garlicgate.conf'), software: '0.1.0', log: silentLogger(), scrypt: TEST_SCRYPT });
}

test('archive round trip; wrong passphrase and any altered byte are refused with distinct reasons', async () => {
  const files = [
    { name: 'a.json', data: Buffer.from('{"x":1}'), mode: 0o600 },
    { name: 'b.conf', data: Buffer.alloc(0), mode: 0o644 },
  ];
  const archive = await encodeBackup(files, { createdAt: new Date('2026-01-02T03:04:05Z'), software: '9.9' }, PASS, TEST_SCRYPT);
  const opened = await openBackup(archive, PASS);
  assert.equal(opened.manifest.createdAt, '2026-01-02T03:04:05.000Z');
  assert.deepEqual(opened.files, files);
  await assert.rejects(openBackup(archive, 'not the passphrase'), (e: BackupError) => e.code === 'wrong-passphrase');
  // Flip one byte anywhere in the ciphertext or tag: authentication fails.
  for (const at of [72, 80, archive.length - 20, archive.length - 1]) {
    const bad = Buffer.from(archive);
    bad[at]! ^= 0x01;
    await assert.rejects(openBackup(bad, PASS), (e: BackupError) => e.code === 'damaged', `byte ${at}`);
  }
  // The header is authenticated too (salt or nonce changed: the key check or the tag fails).
  const salt = Buffer.from(archive);
  salt[20]! ^= 1;
  await assert.rejects(openBackup(salt, PASS), (e: BackupError) => e.code === 'wrong-passphrase');
  const nonce = Buffer.from(archive);
  nonce[30]! ^= 1;
  await assert.rejects(openBackup(nonce, PASS), (e: BackupError) => e.code === 'damaged');
  // Garbage, truncation, another version, absurd KDF parameters: refused, never a crash or a huge allocation.
  await assert.rejects(openBackup(Buffer.from('hello'), PASS), (e: BackupError) => e.code === 'not-a-backup');
  await assert.rejects(openBackup(archive.subarray(0, 80), PASS), (e: BackupError) => e.code === 'damaged' || e.code === 'not-a-backup');
  const v2 = Buffer.from(archive);
  v2[8] = 2;
  await assert.rejects(openBackup(v2, PASS), (e: BackupError) => e.code === 'unsupported-version');
  const huge = Buffer.from(archive);
  huge[9] = 30;
  await assert.rejects(openBackup(huge, PASS), (e: BackupError) => e.code === 'damaged' && /log2\(N\)/.test(e.message));
  await assert.rejects(openBackup(Buffer.alloc(9 * 1024 * 1024), PASS), (e: BackupError) => e.code === 'not-a-backup');
});

test('backup service: lists the archive; restore checks every file first and changes nothing for a bad archive', async () => {
  const src = datadirWithRouter();
  const archive = await service(src).create(PASS, new Date('2026-02-03T04:05:06Z'));
  const dst = tempDir('restore');
  const ourKeys = serializeRouterKeys(generateRouterKeys());
  writeFileSync(join(dst, 'router.keys.json'), ourKeys, { mode: 0o600 });

  const listing = await service(dst).inspect(archive, PASS);
  assert.equal(listing.createdAt, '2026-02-03T04:05:06.000Z');
  assert.deepEqual(listing.files.map((f) => f.name), ['router.keys.json', 'router.state.json', 'garlicgate.conf']);
  assert.ok(listing.files.every((f) => f.description !== '' && /^[0-9a-f]{64}$/.test(f.sha256) && f.size > 0));

  // An archive whose keys file is inconsistent (valid encryption, wrong content) is refused before anything is written.
  const keys = JSON.parse(readFileSync(join(src, 'router.keys.json'), 'utf8'));
  keys.signingPrivateKey = serializeRouterKeys(generateRouterKeys()).match(/"signingPrivateKey": "([^"]+)"/)![1];
  const bad = await encodeBackup(
    [
      { name: 'garlicgate.conf', data: Buffer.from('bandwidth = X\n'), mode: 0o600 },
      { name: 'router.keys.json', data: Buffer.from(JSON.stringify(keys)), mode: 0o600 },
    ],
    { createdAt: new Date(), software: 'x' },
    PASS,
    TEST_SCRYPT,
  );
  await assert.rejects(service(dst).restore(bad, PASS), (e: BackupError) => e.code === 'invalid-content' && /signing private key does not match/.test(e.message));
  assert.equal(readFileSync(join(dst, 'router.keys.json'), 'utf8'), ourKeys, 'our keys are untouched');
  assert.equal(existsSync(join(dst, 'garlicgate.conf')), false, 'the config listed before the bad keys was not written either');
  // A config the router would refuse, a stranger file, a missing keys file: refused the same way.
  for (const [files, why] of [
    [[{ name: 'router.keys.json', data: readFileSync(join(src, 'router.keys.json')), mode: 0o600 }, { name: 'garlicgate.conf', data: Buffer.from('bandwidth = Q\n'), mode: 0o600 }], /K L M N O P X/],
    [[{ name: 'router.keys.json', data: readFileSync(join(src, 'router.keys.json')), mode: 0o600 }, { name: 'evil.sh', data: Buffer.from('x'), mode: 0o700 }], /unexpected file evil\.sh/],
    [[{ name: 'garlicgate.conf', data: Buffer.from(''), mode: 0o600 }], /no router\.keys\.json/],
  ] as const) {
    const a = await encodeBackup(files as never, { createdAt: new Date(), software: 'x' }, PASS, TEST_SCRYPT);
    await assert.rejects(service(dst).restore(a, PASS), (e: BackupError) => e.code === 'invalid-content' && why.test(e.message));
  }
  assert.equal(readFileSync(join(dst, 'router.keys.json'), 'utf8'), ourKeys);

  const r = await service(dst).restore(archive, PASS);
  assert.deepEqual(r.restored, ['router.keys.json', 'router.state.json', 'garlicgate.conf']);
  for (const f of r.restored) assert.deepEqual(readFileSync(join(dst, f)), readFileSync(join(src, f)));
  assert.equal(statSync(join(dst, 'router.keys.json')).mode & 0o777, 0o600);
});

test('backup service: no keys yet → nothing to back up', async () => {
  const empty = tempDir('backup');
  await assert.rejects(service(empty).create(PASS), (e: BackupError) => /does not exist yet/.test(e.message));
});

test('backup API: download, inspect, restore (the address book is reloaded); tampered and wrong passphrase refused', async () => {
  const t = await makeAdmin();
  try {
    writeFileSync(join(t.datadir, 'router.keys.json'), serializeRouterKeys(generateRouterKeys()), { mode: 0o600 });
    const c = new Client(t.admin);
    await c.logIn();
    assert.equal((await c.post('/api/v1/addressbook', { name: 'kept.i2p', destination: destinationB64(1) })).status, 201);
    assert.equal((await c.post('/api/v1/backup', { passphrase: 'short' })).status, 400, 'passphrase too short');
    const dl = await c.post('/api/v1/backup', { passphrase: PASS });
    assert.equal(dl.status, 200);
    assert.equal(dl.headers['content-type'], 'application/octet-stream');
    assert.match(String(dl.headers['content-disposition']), /^attachment; filename="garlicgate-backup-\d{8}T\d{6}Z\.ggbackup"$/);
    const archive = dl.raw.rawPayload;
    assert.equal(archive.subarray(0, 8).toString(), 'GGBACKUP');

    const b64 = archive.toString('base64');
    const listing = await c.post('/api/v1/backup/inspect', { archive: b64, passphrase: PASS });
    assert.equal(listing.status, 200);
    assert.deepEqual(listing.body.files.map((f: { name: string }) => f.name), ['router.keys.json', 'addressbook.json']);

    const wrong = await c.post('/api/v1/backup/inspect', { archive: b64, passphrase: 'wrong passphrase' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.reason, 'wrong-passphrase');
    const tampered = Buffer.from(archive);
    tampered[tampered.length - 30]! ^= 0x80;
    const t2 = await c.post('/api/v1/backup/restore', { archive: tampered.toString('base64'), passphrase: PASS });
    assert.equal(t2.status, 400);
    assert.equal(t2.body.reason, 'damaged');
    assert.equal((await c.post('/api/v1/backup/inspect', { archive: 'not base64!', passphrase: PASS })).status, 400);

    // Change the book, then restore: the backup's book is back in memory too.
    await c.delete('/api/v1/addressbook/kept.i2p');
    await c.post('/api/v1/addressbook', { name: 'later.i2p', destination: destinationB64(2) });
    const restored = await c.post('/api/v1/backup/restore', { archive: b64, passphrase: PASS });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal(restored.body.restartRequired, true);
    const names = (await c.get('/api/v1/addressbook')).body.rows.map((e: { name: string }) => e.name);
    assert.deepEqual(names, ['kept.i2p']);
  } finally {
    await t.close();
  }
});
