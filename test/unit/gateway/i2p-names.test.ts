import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { base32Encode } from '../../../src/data/base32.js';
import { classifyName, isB32Label } from '../../../src/gateway/i2p-names.js';

const b32 = base32Encode(randomBytes(32));
const b33 = base32Encode(randomBytes(35));

test('b32 and b33 names are recognised, case-insensitively and with a trailing dot', () => {
  assert.equal(b32.length, 52);
  assert.equal(b33.length, 56);
  assert.deepEqual(classifyName(`${b32}.b32.i2p`), { kind: 'b32', name: `${b32}.b32.i2p` });
  assert.deepEqual(classifyName(`${b32.toUpperCase()}.B32.I2P.`), { kind: 'b32', name: `${b32}.b32.i2p` });
  assert.equal(classifyName(`${b33}.b32.i2p`).kind, 'b32');
});

test('malformed b32 names are invalid-i2p, never address-book names', () => {
  for (const n of [`${b32.slice(1)}.b32.i2p`, `${b32}a.b32.i2p`, `${b32.slice(0, 51)}1.b32.i2p`, `x.${b32}.b32.i2p`, 'b32.i2p', `${'a'.repeat(64)}.b32.i2p`]) {
    assert.equal(classifyName(n).kind, 'invalid-i2p', n);
  }
  // 52 characters whose unused trailing bits are not zero: not canonical base32.
  assert.equal(isB32Label('a'.repeat(51) + 'b'), false);
});

test('address-book names follow the naming rules of naming.html', () => {
  for (const n of ['example.i2p', 'a.example.i2p', 'xn--bcher-kva.i2p', 'stats.i2p', 'z-z.i2p']) assert.equal(classifyName(n).kind, 'address-book', n);
  for (const n of ['i2p', '.i2p', '-a.i2p', 'a..i2p', 'a-.i2p', 'a.-b.i2p', 'a--b.i2p', 'a_b.i2p', `${'a'.repeat(64)}.i2p`, 'ex ample.i2p']) {
    assert.equal(classifyName(n).kind, 'invalid-i2p', n);
  }
});

test('the DoH canary, special-use names and clearnet names', () => {
  assert.equal(classifyName('use-application-dns.net').kind, 'doh-canary');
  assert.equal(classifyName('Use-Application-DNS.net.').kind, 'doh-canary');
  for (const n of ['localhost', 'printer.local', 'wpad', 'x.onion', 'router.home.arpa', '1.0.168.192.in-addr.arpa', 'nas.lan']) assert.equal(classifyName(n).kind, 'special', n);
  for (const n of ['example.com', 'www.example.org', '_dmarc.example.com']) assert.equal(classifyName(n).kind, 'clearnet', n);
  for (const n of ['', '.', 'a..b', 'bad host.com', 'ü.com', `${'a'.repeat(64)}.com`, `${'a.'.repeat(130)}com`]) assert.equal(classifyName(n).kind, 'invalid', JSON.stringify(n));
});
