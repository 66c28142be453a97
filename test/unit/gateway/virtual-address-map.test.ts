import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipv4Range } from '../../../src/gateway/ipv4-range.js';
import { VirtualAddressMap } from '../../../src/gateway/virtual-address-map.js';

const HOLD = 90_000;

test('a name gets an address from the range, the same one while in use, and maps back', () => {
  const m = new VirtualAddressMap(new Ipv4Range('10.191.0.0/16'), { holdMs: HOLD });
  const a = m.assign('example.i2p', 0)!;
  assert.match(a, /^10\.191\.\d+\.\d+$/);
  assert.equal(m.assign('example.i2p', 1000), a);
  assert.equal(m.nameOf(a), 'example.i2p');
  assert.equal(m.nameOf(`::ffff:${a}`), 'example.i2p');
  assert.equal(m.addressOf('example.i2p'), a);
  assert.equal(m.nameOf('10.191.255.255'), undefined);
  assert.equal(m.nameOf('192.168.1.1'), undefined);
  assert.notEqual(m.assign('other.i2p', 0), a);
  assert.equal(m.size, 2);
});

test('the first choice comes from the name, so a fresh map (a restart) gives the same address', () => {
  const r = new Ipv4Range('10.191.0.0/16');
  const a = new VirtualAddressMap(r, { holdMs: HOLD });
  const b = new VirtualAddressMap(r, { holdMs: HOLD });
  b.assign('unrelated.i2p', 0);
  for (const n of ['example.i2p', 'stats.i2p', 'zzz.i2p']) assert.equal(a.assign(n, 0), b.assign(n, 0));
});

test('network and broadcast addresses are never handed out, even when the range is full', () => {
  const m = new VirtualAddressMap(new Ipv4Range('10.9.8.0/24'), { holdMs: HOLD });
  const seen = new Set<string>();
  for (let i = 0; i < 254; i++) {
    const a = m.assign(`n${i}.i2p`, 0);
    assert.ok(a !== undefined, `name ${i} got an address`);
    assert.ok(!seen.has(a), 'no address twice');
    seen.add(a);
  }
  assert.ok(!seen.has('10.9.8.0') && !seen.has('10.9.8.255'));
  assert.equal(seen.size, 254);
  // All 254 in use (held): nothing left.
  assert.equal(m.assign('one-more.i2p', 1), undefined);
});

test('when full, the least recently used idle mapping is reused; held and connected ones are not', () => {
  const m = new VirtualAddressMap(new Ipv4Range('10.9.8.0/24'), { holdMs: 1000, maxEntries: 3 });
  const a = m.assign('a.i2p', 0)!;
  const b = m.assign('b.i2p', 0)!;
  const c = m.assign('c.i2p', 0)!;
  assert.equal(m.assign('d.i2p', 500), undefined, 'all three held until t=1000');
  m.retain(a, 500); // a connection to a.i2p is open
  m.assign('c.i2p', 900); // c.i2p answered again: most recently used
  // At t=2000 nothing is held any more, but a.i2p has a connection: b.i2p (idle, LRU) goes.
  const d = m.assign('d.i2p', 2000);
  assert.equal(d, b);
  assert.equal(m.nameOf(b), 'd.i2p');
  assert.equal(m.addressOf('b.i2p'), undefined);
  assert.equal(m.nameOf(a), 'a.i2p');
  // Next: c.i2p is the only idle one.
  assert.equal(m.assign('e.i2p', 2100), c);
  // a.i2p is released at 2200 and then held until 3200.
  m.release(a, 2200);
  assert.equal(m.assign('f.i2p', 2900), undefined);
  assert.equal(m.assign('f.i2p', 3300), a);
  assert.equal(m.reused, 3);
  assert.equal(m.size, 3);
});

test('a crowded neighbourhood falls back to a scan; the reverse map stays consistent', () => {
  const m = new VirtualAddressMap(new Ipv4Range('10.9.8.0/24'), { holdMs: 10 });
  const byAddr = new Map<string, string>();
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 300; i++) {
      const name = `r${round}-${i}.i2p`;
      const a = m.assign(name, round * 1000 + i);
      if (a === undefined) continue;
      byAddr.set(a, name);
    }
    for (const [a, name] of byAddr) if (m.nameOf(a) === name) assert.equal(m.addressOf(name), a);
  }
  assert.ok(m.size <= 254);
});

test('Ipv4Range: hosts, indices and foreign addresses', () => {
  const r = new Ipv4Range('10.191.0.0/16');
  assert.equal(r.hostCount, 65534);
  assert.equal(Ipv4Range.toString(r.host(0)), '10.191.0.1');
  assert.equal(Ipv4Range.toString(r.host(65533)), '10.191.255.254');
  assert.equal(r.parseHost('10.191.0.0'), undefined);
  assert.equal(r.parseHost('10.190.255.255'), undefined);
  assert.equal(r.parseHost('fe80::1'), undefined);
  assert.equal(r.parseHost(undefined), undefined);
  assert.throws(() => new Ipv4Range('10.191.0.0'), /prefix length/);
});
