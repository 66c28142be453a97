import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanClients, normalizeClientAddress } from '../../../src/gateway/lan-clients.js';
import { MAX_LEASE_FILE_BYTES, parseDnsmasqLeases, readDnsmasqLeases } from '../../../src/gateway/dhcp/dnsmasq-leases.js';

test('LAN clients: most recent first, names from DHCP, old ones drop off, bounded', () => {
  const c = new LanClients({ maxClients: 3, windowMs: 1000 });
  c.seen('192.168.42.20', 100);
  c.seen('::ffff:192.168.42.21', 200);
  c.seen('192.168.42.20', 300);
  c.seen('not an address', 300);
  c.seen(undefined, 300);
  c.setNames(new Map([['192.168.42.21', 'laptop']]));
  assert.deepEqual(c.list(400), [
    { address: '192.168.42.20', lastSeenAt: 300 },
    { address: '192.168.42.21', lastSeenAt: 200, name: 'laptop' },
  ]);
  assert.deepEqual(c.list(1250).map((x) => x.address), ['192.168.42.20'], 'seen more than the window ago: gone');
  for (let i = 0; i < 10; i++) c.seen(`10.0.0.${i}`, 500 + i);
  assert.deepEqual(c.list(600).map((x) => x.address), ['10.0.0.9', '10.0.0.8', '10.0.0.7'], 'the least recently seen go first');
  assert.equal(normalizeClientAddress('fe80::1'), 'fe80::1');
  assert.equal(normalizeClientAddress('::ffff:zz'), undefined);
});

test('dnsmasq leases: names of unexpired leases; hostile lines ignored', () => {
  const now = 1_800_000_000;
  const text = [
    `${now + 100} aa:bb:cc:dd:ee:01 192.168.42.50 Laptop 01:aa:bb`,
    `${now - 1} aa:bb:cc:dd:ee:02 192.168.42.51 expired *`,
    `0 aa:bb:cc:dd:ee:03 192.168.42.52 forever *`,
    `${now + 100} aa:bb:cc:dd:ee:04 192.168.42.53 * *`,
    `${now + 100} aa:bb:cc:dd:ee:05 192.168.42.54 evil;name *`,
    `${now + 100} aa:bb:cc:dd:ee:06 not-an-ip phone *`,
    `${now + 100} aa:bb:cc:dd:ee:07 192.168.42.55 ${'x'.repeat(64)} *`,
    'garbage',
    `x${now} aa 192.168.42.56 tv *`,
    '',
  ].join('\n');
  assert.deepEqual([...parseDnsmasqLeases(text, now)], [
    ['192.168.42.50', 'laptop'],
    ['192.168.42.52', 'forever'],
  ]);
});

test('dnsmasq leases file: missing is empty; a huge file is read up to the bound, no partial line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ggh-leases-'));
  try {
    assert.equal((await readDnsmasqLeases(join(dir, 'none'), 0)).size, 0);
    const line = (i: number) => `0 aa:bb:cc:dd:ee:ff 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} host${i} *\n`;
    let text = '';
    for (let i = 0; text.length < MAX_LEASE_FILE_BYTES + 1000; i++) text += line(i);
    writeFileSync(join(dir, 'leases'), text);
    const names = await readDnsmasqLeases(join(dir, 'leases'), 0);
    assert.ok(names.size > 1000 && names.size <= 4096);
    for (const [ip, name] of names) assert.equal(name, `host${Number(ip.split('.')[3]) + Number(ip.split('.')[2]) * 256 + Number(ip.split('.')[1]) * 65536}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
