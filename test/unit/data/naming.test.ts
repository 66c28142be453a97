import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { base32Encode } from '../../../src/data/base32.js';
import { Destination } from '../../../src/data/destination.js';
import { b32Kind, hostNameProblem, MAX_ADDRESS_BOOK_DESTINATION_BASE64, NamingError, parseDestinationBase64 } from '../../../src/data/naming.js';
import { parseI2PName } from '../../../src/client/sam/i2p-name.js';
import { classifyName } from '../../../src/gateway/i2p-names.js';
import { hostNameProblem as addressBookProblem, parseDestination } from '../../../src/admin/addressbook/host-name.js';

test('naming rules: one verdict for the DNS server, the SAM client and the address book', () => {
  const names = ['example.i2p', 'a.example.i2p', 'xn--bcher-kva.i2p', 'a--b.i2p', 'proxy.i2p', 'www.router.i2p', 'a..b.i2p', '-a.i2p', `${'a'.repeat(63)}.i2p`, `${'a'.repeat(64)}.i2p`, 'abc.b32.i2p', 'a_b.i2p'];
  for (const n of names) {
    const ok = hostNameProblem(n) === undefined;
    assert.equal(addressBookProblem(n) === undefined, ok, `address book: ${n}`);
    assert.equal(parseI2PName(n)?.kind === 'hostname', ok, `SAM: ${n}`);
    assert.equal(classifyName(n).kind === 'address-book', ok, `DNS: ${n}`);
  }
  assert.match(hostNameProblem('proxy.i2p')!, /reserved/);
  assert.match(hostNameProblem('a--b.i2p')!, /--/);
  assert.match(hostNameProblem('x.b32.i2p')!, /base 32/);
});

test('b32 labels: 52 (hash) or 56–63 (b33) characters of strict base32', () => {
  assert.equal(b32Kind(base32Encode(randomBytes(32))), 'b32');
  assert.equal(b32Kind(base32Encode(randomBytes(35))), 'b33');
  assert.equal(b32Kind(base32Encode(randomBytes(39))), 'b33', '63 characters');
  assert.equal(b32Kind(base32Encode(randomBytes(40))), undefined, '64 characters: more than a DNS label');
  assert.equal(b32Kind('a'.repeat(51) + 'b'), undefined, 'non-zero trailing bits');
  assert.equal(b32Kind('1'.repeat(52)), undefined);
  assert.equal(b32Kind('A'.repeat(52)), undefined, 'labels are lower case here (callers lower-case)');
});

test('destinations: the general bound (bridges) and naming.html\'s address book bound', () => {
  const s = Destination.create(randomBytes(32)).toBase64();
  assert.equal(parseDestinationBase64(s).toBase64(), s);
  assert.equal(parseDestination(` ${s} `).toBase64(), s);
  assert.ok(MAX_ADDRESS_BOOK_DESTINATION_BASE64 === 616);
  const long = 'A'.repeat(700);
  assert.throws(() => parseDestination(long), (e: unknown) => e instanceof NamingError && /516–616/.test(e.message));
  assert.throws(() => parseDestinationBase64(long), (e: unknown) => e instanceof NamingError && /not a valid destination/.test(e.message), 'within 1400: parsed, and refused as a destination');
  assert.throws(() => parseDestinationBase64('A'.repeat(2000)), /516–1400/);
  assert.throws(() => parseDestinationBase64(`+${s.slice(1)}`), /not I2P base64/);
});
