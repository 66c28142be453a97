import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from './fixture.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkScryptParams, DEFAULT_SCRYPT, hashPassword, parsePasswordHash, verifyPassword } from '../../../src/admin/auth/password.js';
import { CredentialStore, passwordProblem } from '../../../src/admin/auth/credentials.js';

test('scrypt password hashes: default parameters (N=2^15, r=8), salted, verified in constant time', async () => {
  const h = await hashPassword('hunter2 hunter2');
  assert.match(h, /^scrypt\$15\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  assert.notEqual(await hashPassword('hunter2 hunter2'), h, 'a new salt each time');
  assert.equal(await verifyPassword('hunter2 hunter2', h), true);
  assert.equal(await verifyPassword('hunter2 hunter3', h), false);
  // Unicode is normalised: the same password typed on two keyboards matches.
  const u = await hashPassword('caf\u00e9 au lait', { logN: 10, r: 8, p: 1 });
  assert.equal(await verifyPassword('cafe\u0301 au lait', u), true);
  assert.deepEqual(parsePasswordHash(h).params, DEFAULT_SCRYPT);
});

test('stored hashes with hostile parameters are refused before any work', () => {
  assert.throws(() => parsePasswordHash('md5$abc'), /not a scrypt/);
  assert.throws(() => parsePasswordHash('scrypt$25$8$1$c2FsdHNhbHQ=$' + 'A'.repeat(44)), /outside 10–20/);
  assert.throws(() => parsePasswordHash('scrypt$20$16$4$c2FsdHNhbHQ=$' + 'A'.repeat(44)), /128 MiB/);
  assert.throws(() => parsePasswordHash('scrypt$15$8$1$c2FsdHNhbHQ=$AAAA'), /length/);
  assert.throws(() => checkScryptParams({ logN: 15, r: 0, p: 1 }), /r 0/);
});

test('credential store: first run until a password is set; a damaged file is an error, not a first run', async () => {
  const d = tempDir('pw');
  const s = await CredentialStore.load(d, { logN: 10, r: 8, p: 1 });
  assert.equal(s.isSet, false);
  assert.equal(await s.verify('anything at all'), false);
  await s.set('a long enough password');
  const again = await CredentialStore.load(d);
  assert.equal(again.isSet, true);
  assert.equal(await again.verify('a long enough password'), true);
  await again.clear();
  assert.equal((await CredentialStore.load(d)).isSet, false);
  writeFileSync(join(d, 'admin-password.json'), '{"version":1,"hash":"plain"}');
  await assert.rejects(CredentialStore.load(d), /not a scrypt/);
  writeFileSync(join(d, 'admin-password.json'), 'garbage');
  await assert.rejects(CredentialStore.load(d), /not valid JSON/);
  assert.match(passwordProblem('1234567')!, /at least 8/);
  assert.match(passwordProblem('        ')!, /only spaces/);
  assert.equal(passwordProblem('12345678'), undefined);
});
