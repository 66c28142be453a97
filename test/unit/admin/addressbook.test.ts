import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Client, makeAdmin } from './fixture.js';
import { destination, destinationB64 } from './destinations.js';
import { AddressBook, subscriptionUrlProblem } from '../../../src/admin/addressbook/address-book.js';
import { hostNameProblem, parseDestination } from '../../../src/admin/addressbook/host-name.js';
import { silentLogger } from '../../../src/util/log.js';
import { join } from 'node:path';

test('names follow the I2P naming rules, each refusal with its reason', () => {
  for (const ok of ['example.i2p', 'a.i2p', 'sub.example.i2p', 'xn--bcher-kva.i2p', 'a-b.i2p', `${'a'.repeat(63)}.i2p`]) assert.equal(hostNameProblem(ok), undefined, ok);
  const refused: [string, RegExp][] = [
    ['example.com', /end with \.i2p/],
    ['.i2p', /name before/],
    [`${'a'.repeat(64)}.i2p`, /at most 67/],
    ['ex_ample.i2p', /only letters/],
    ['-ex.i2p', /start with/],
    ['a..b.i2p', /"\.\."/],
    ['a-.b.i2p', /"\.-" or "-\."/],
    ['a--b.i2p', /"--"/],
    [`${'a'.repeat(52)}.b32.i2p`, /base 32 addresses/],
    ['proxy.i2p', /reserved/],
    ['www.router.i2p', /reserved/],
  ];
  for (const [name, why] of refused) assert.match(hostNameProblem(name) ?? '', why, name);
});

test('destinations are parsed, not pattern-matched', () => {
  const d = destination(1);
  assert.equal(parseDestination(d.toBase64()).b32Address(), d.b32Address());
  assert.throws(() => parseDestination('AAAA'), /516–616/);
  assert.throws(() => parseDestination('!'.repeat(520)), /not I2P base64/);
  // Right length, valid base64, wrong structure (a certificate length running past the end).
  const raw = Buffer.from(d.raw);
  raw.writeUInt16BE(400, 385);
  assert.throws(() => parseDestination(raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '~')), /not a valid destination/);
});

test('subscription URLs: http and an .i2p host only', () => {
  assert.equal(subscriptionUrlProblem('http://reg.i2p/hosts.txt'), undefined);
  assert.equal(subscriptionUrlProblem(`http://${'a'.repeat(52)}.b32.i2p/hosts.txt`), undefined);
  assert.match(subscriptionUrlProblem('https://reg.i2p/hosts.txt')!, /http:\/\//);
  assert.match(subscriptionUrlProblem('http://example.com/hosts.txt')!, /\.i2p name/);
  assert.match(subscriptionUrlProblem('http://user:pw@reg.i2p/')!, /user name/);
  assert.match(subscriptionUrlProblem('not a url')!, /not a URL/);
  assert.match(subscriptionUrlProblem(`http://reg.i2p/${'x'.repeat(600)}`)!, /at most 512/);
});

test('address book API: add, list, remove, with bad input refused and reasons given', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const d1 = destination(1);
    const add = await c.post('/api/v1/addressbook', { name: 'Example.I2P', destination: d1.toBase64() });
    assert.equal(add.status, 201);
    assert.deepEqual({ ...add.body, addedAt: 0 }, { name: 'example.i2p', destination: d1.toBase64(), b32: d1.b32Address(), addedAt: 0 });
    assert.equal((await c.post('/api/v1/addressbook', { name: 'example.i2p', destination: destinationB64(2) })).status, 409);
    assert.equal((await c.post('/api/v1/addressbook', { name: 'example.i2p', destination: destinationB64(2), replace: true })).status, 201);
    const bad = await c.post('/api/v1/addressbook', { name: 'bad..name.i2p', destination: 'AAAA' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.reasons.name, /"\.\."/);
    assert.match(bad.body.reasons.destination, /516–616/);
    assert.equal((await c.post('/api/v1/addressbook', { name: 'x.i2p' })).status, 400, 'missing destination');
    assert.equal((await c.post('/api/v1/addressbook', { name: 'x.i2p', destination: destinationB64(3), extra: 1 })).status, 400, 'unknown field');

    for (let i = 4; i < 8; i++) await c.post('/api/v1/addressbook', { name: `site${i}.i2p`, destination: destinationB64(i) });
    const list = await c.get('/api/v1/addressbook?limit=2&offset=1');
    assert.equal(list.body.total, 5);
    assert.deepEqual(list.body.rows.map((e: { name: string }) => e.name), ['site4.i2p', 'site5.i2p']);
    const found = await c.get(`/api/v1/addressbook?search=${destination(6).b32Address().slice(0, 10)}`);
    assert.deepEqual(found.body.rows.map((e: { name: string }) => e.name), ['site6.i2p']);
    assert.deepEqual((await c.get('/api/v1/addressbook?sort=name&order=desc&limit=1')).body.rows[0].name, 'site7.i2p');
    assert.equal((await c.get('/api/v1/addressbook?limit=0')).status, 400);

    assert.equal((await c.delete('/api/v1/addressbook/site5.i2p')).status, 204);
    assert.equal((await c.delete('/api/v1/addressbook/site5.i2p')).status, 404);

    // Persisted atomically in the data directory, and read back by a new instance.
    const stored = JSON.parse(readFileSync(join(t.datadir, 'addressbook.json'), 'utf8'));
    assert.equal(stored.entries.length, 4);
    const again = await AddressBook.load(t.datadir, silentLogger());
    assert.deepEqual(again.list().map((e) => e.name), ['example.i2p', 'site4.i2p', 'site6.i2p', 'site7.i2p']);
    assert.equal(again.get('example.i2p')?.destination, destinationB64(2));
  } finally {
    await t.close();
  }
});

test('address book API: hosts.txt import counts what it added, kept and refused', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    await c.post('/api/v1/addressbook', { name: 'mine.i2p', destination: destinationB64(10) });
    const hosts = [
      '# a subscription',
      `one.i2p=${destinationB64(11)}`,
      `two.i2p=${destinationB64(12)}#!sig=abc#date=123`,
      `mine.i2p=${destinationB64(13)}`,
      `mine.i2p=${destinationB64(10)}`,
      'broken line',
      `bad_name.i2p=${destinationB64(14)}`,
      'three.i2p=AAAA',
      '',
    ].join('\n');
    const r = await c.post('/api/v1/addressbook/import', { hostsTxt: hosts });
    assert.equal(r.status, 200);
    assert.deepEqual({ ...r.body, rejected: r.body.rejected.map((x: { line: number }) => x.line) }, { added: 2, replaced: 0, unchanged: 1, conflicts: 1, rejectedCount: 3, rejected: [6, 7, 8] });
    assert.equal((await c.get('/api/v1/addressbook')).body.total, 3);
    const rep = await c.post('/api/v1/addressbook/import', { hostsTxt: `mine.i2p=${destinationB64(13)}\n`, replace: true });
    assert.equal(rep.body.replaced, 1);
  } finally {
    await t.close();
  }
});

test('address book API: subscriptions are stored and listed; without the LAN gateway fetching is not available', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const add = await c.post('/api/v1/addressbook/subscriptions', { url: 'http://reg.i2p/hosts.txt' });
    assert.equal(add.status, 201);
    assert.match(add.body.id, /^[0-9a-f]{16}$/);
    assert.equal((await c.post('/api/v1/addressbook/subscriptions', { url: 'http://reg.i2p/hosts.txt' })).status, 409);
    const bad = await c.post('/api/v1/addressbook/subscriptions', { url: 'https://clearnet.example/hosts.txt' });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.reasons.url);
    const list = await c.get('/api/v1/addressbook/subscriptions');
    assert.deepEqual(list.body.subscriptions.map((s: { url: string }) => s.url), ['http://reg.i2p/hosts.txt']);
    assert.deepEqual(list.body.fetching, { available: false, reason: 'fetching subscriptions needs the LAN gateway’s way into I2P (gateway.enabled)' });
    const fetch = await c.post('/api/v1/addressbook/subscriptions/fetch');
    assert.equal(fetch.status, 503);
    assert.equal(fetch.body.error, 'not available yet');
    assert.equal((await c.delete(`/api/v1/addressbook/subscriptions/${add.body.id}`)).status, 204);
    assert.equal((await c.delete(`/api/v1/addressbook/subscriptions/${add.body.id}`)).status, 404);
    assert.equal((await c.delete('/api/v1/addressbook/subscriptions/nothex')).status, 400);
  } finally {
    await t.close();
  }
});

test('a damaged address book file is set aside, not overwritten', async () => {
  const t = await makeAdmin();
  try {
    writeFileSync(join(t.datadir, 'addressbook.json'), '{"version":1,"entries":[{"name":"x.i2p","destination":"AAAA","addedAt":1}],"subscriptions":[]}');
    const book = await AddressBook.load(t.datadir, silentLogger());
    assert.equal(book.size, 0);
    const aside = readdirSync(t.datadir).filter((f) => f.startsWith('addressbook.json.damaged-'));
    assert.equal(aside.length, 1);
    assert.match(readFileSync(join(t.datadir, aside[0]!), 'utf8'), /AAAA/);
  } finally {
    await t.close();
  }
});
