import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { RouterAddress } from '../../../src/data/router-address.js';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { PeerProfiles } from '../../../src/tunnel/peer-profile.js';
import { PeerSelector, capsWeight, cryptoRandom, hopIneligibility, subnetKeys, versionAtLeast } from '../../../src/tunnel/peer-selector.js';
import { SIM_START, seededRandom, simRouterInfo, type RouterInfoParams } from './pool-sim.js';

const NOW = SIM_START;
const US = randomBytes(32);

function ri(p: RouterInfoParams = {}): RouterInfo {
  return simRouterInfo(X25519KeyPair.generate(), p);
}

function hex(r: RouterInfo): string {
  return r.hash.toString('hex');
}

test('the default random source is uniform in [0, 1) and drives a selection', () => {
  const xs = Array.from({ length: 2000 }, cryptoRandom);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  const peers = Array.from({ length: 5 }, (_, i) => ri({ host: `10.${i}.0.1` }));
  assert.equal(new PeerSelector({ ourHash: US }).select(peers, 3, NOW)?.length, 3);
});

test('versionAtLeast compares dotted versions numerically and refuses malformed ones', () => {
  assert.equal(versionAtLeast('0.9.51', '0.9.51'), true);
  assert.equal(versionAtLeast('0.9.57', '0.9.51'), true);
  assert.equal(versionAtLeast('0.9.100', '0.9.51'), true);
  assert.equal(versionAtLeast('0.10', '0.9.51'), true);
  assert.equal(versionAtLeast('0.9.50', '0.9.51'), false);
  assert.equal(versionAtLeast('0.9', '0.9.51'), false);
  assert.equal(versionAtLeast(undefined, '0.9.51'), false);
  assert.equal(versionAtLeast('0.9.51-rc', '0.9.51'), false);
  assert.equal(versionAtLeast('1.2.3.4.5', '0.9.51'), false);
  assert.equal(versionAtLeast('9'.repeat(40), '0.9.51'), false, 'absurd numbers are malformed, not huge');
});

test('eligibility: ECIES + Ed25519, >= 0.9.51, published NTCP2, not U, not E/G-congested, not us', () => {
  assert.equal(hopIneligibility(ri(), US), undefined);
  const me = ri();
  assert.equal(hopIneligibility(me, me.hash), 'us');
  assert.equal(hopIneligibility(ri({ elGamal: true }), US), 'crypto-type');
  assert.equal(hopIneligibility(ri({ version: '0.9.50' }), US), 'version');
  assert.equal(hopIneligibility(ri({ version: 'garbage' }), US), 'version');
  assert.equal(hopIneligibility(ri({ caps: 'LU' }), US), 'unreachable');
  assert.equal(hopIneligibility(ri({ published: false }), US), 'unreachable', 'an NTCP2 address without i is not published');
  assert.equal(hopIneligibility(ri({ caps: 'XRE' }), US), 'congested');
  assert.equal(hopIneligibility(ri({ caps: 'XRG' }), US), 'congested');
  assert.equal(hopIneligibility(ri({ caps: 'XRD' }), US), undefined, 'D only lowers the weight');
  assert.equal(capsWeight('XRD'), capsWeight('XR') / 2);
  assert.ok(capsWeight('X') > capsWeight('O') && capsWeight('O') > capsWeight('L') && capsWeight('L') > capsWeight('K'));
  assert.equal(capsWeight('XO'), capsWeight('X'), 'the best letter counts');
  assert.equal(capsWeight('R'), 1, 'no bandwidth letter: the default weight');
});

test('subnet keys: IPv4 /16 and IPv6 /32 of published NTCP2 addresses', () => {
  assert.deepEqual(subnetKeys(ri({ host: '198.18.0.7' })), ['4:198.18']);
  const v6 = (host: string, published = true): RouterAddress =>
    new RouterAddress(3, 0, 'NTCP2', new Map([['host', host], ['port', '1'], ['s', i2pBase64Encode(randomBytes(32))], ['v', '2'], ...(published ? [['i', i2pBase64Encode(randomBytes(16))] as [string, string]] : [])]));
  assert.deepEqual(subnetKeys(ri({ host: '10.1.2.3', extraAddresses: [v6('2001:db8::1')] })), ['4:10.1', '6:2001:db8']);
  assert.deepEqual(subnetKeys(ri({ host: '10.1.2.3', extraAddresses: [v6('2001:db8::1', false)] })), ['4:10.1'], 'unpublished addresses do not count');
  const good = ri({ host: '2001:0db8:0000::5' });
  assert.deepEqual(subnetKeys(good), ['6:2001:db8']);
  assert.deepEqual(subnetKeys(ri({ host: '::ffff' })), ['6:0:0']);
  assert.deepEqual(subnetKeys(ri({ host: 'example.invalid' })), [], 'host names give no key');
});

test('select: distinct hops, none in the same /16 unless allowed; undefined when there are not enough', () => {
  const same = [1, 2, 3, 4].map((i) => ri({ host: `198.18.0.${i}` }));
  const strict = new PeerSelector({ ourHash: US, random: seededRandom(1) });
  assert.equal(strict.select(same, 2, NOW), undefined, 'four routers in one /16 give one hop at most');
  assert.equal(strict.select(same, 1, NOW)?.length, 1);
  const lax = new PeerSelector({ ourHash: US, sameSubnetAllowed: true, random: seededRandom(1) });
  const three = lax.select(same, 3, NOW)!;
  assert.equal(three.length, 3);
  assert.equal(new Set(three.map(hex)).size, 3, 'no router twice');
  assert.equal(lax.select(same, 5, NOW), undefined);
  const spread = [...same, ri({ host: '203.0.113.9' }), ri({ host: '192.0.2.1' })];
  for (let seed = 0; seed < 20; seed++) {
    const hops = new PeerSelector({ ourHash: US, random: seededRandom(seed) }).select(spread, 3, NOW)!;
    assert.equal(hops.length, 3);
    const nets = hops.flatMap(subnetKeys);
    assert.equal(new Set(nets).size, 3, `seed ${seed}: three different /16s`);
  }
  assert.throws(() => lax.select(same, 0, NOW), RangeError);
});

test('select is deterministic for a given random source and skips ineligible, excluded and bad peers', () => {
  const peers = Array.from({ length: 12 }, (_, i) => ri({ host: `10.${i}.0.1` }));
  const a = new PeerSelector({ ourHash: US, random: seededRandom(42) }).select(peers, 3, NOW)!.map(hex);
  const b = new PeerSelector({ ourHash: US, random: seededRandom(42) }).select(peers, 3, NOW)!.map(hex);
  assert.deepEqual(a, b);
  const exclude = new Set(peers.slice(0, 11).map(hex));
  const only = new PeerSelector({ ourHash: US, random: seededRandom(3) }).select(peers, 1, NOW, { exclude })!;
  assert.equal(hex(only[0]!), hex(peers[11]!));

  const profiles = new PeerProfiles();
  profiles.recordBuild(peers[0]!.hash, 'rejected', NOW);
  const sel = new PeerSelector({ ourHash: US, profiles, random: seededRandom(5) });
  assert.equal(sel.ineligibility(peers[0]!, NOW), 'bad-profile');
  for (let i = 0; i < 50; i++) assert.ok(!sel.select(peers, 11, NOW)!.some((r) => r === peers[0]), 'a peer that just declined is left out');
  assert.equal(sel.select(peers, 12, NOW), undefined);
  assert.equal(sel.ineligibility(peers[0]!, NOW + 151_000), undefined, 'a decline is forgiven after 150 s');
  const broken = ri({ elGamal: true });
  assert.equal(sel.ineligibility(broken, NOW), 'crypto-type');
});

test('select prefers peers with good profiles and high bandwidth', () => {
  const profiles = new PeerProfiles();
  const good = ri({ host: '10.1.0.1' });
  const poor = ri({ host: '10.2.0.1' });
  for (let i = 0; i < 10; i++) {
    profiles.recordBuild(good.hash, 'accepted', NOW - 600_000, 100);
    profiles.recordTest(good.hash, true, NOW - 600_000);
  }
  profiles.recordBuild(poor.hash, 'accepted', NOW - 600_000, 3000);
  profiles.recordBuild(poor.hash, 'timeout', NOW - 600_000);
  profiles.recordTest(poor.hash, false, NOW - 600_000);
  assert.equal(profiles.isBad(poor.hash, NOW), false, 'some failures do not make a peer bad');
  const sel = new PeerSelector({ ourHash: US, profiles, random: seededRandom(9) });
  let goodFirst = 0;
  for (let i = 0; i < 1000; i++) if (sel.select([good, poor], 1, NOW)![0] === good) goodFirst++;
  assert.ok(goodFirst > 800, `good profile picked ${goodFirst}/1000`);

  const fast = ri({ host: '10.3.0.1', caps: 'XR' });
  const slow = ri({ host: '10.4.0.1', caps: 'LR' });
  const plain = new PeerSelector({ ourHash: US, random: seededRandom(10) });
  let x = 0;
  for (let i = 0; i < 1000; i++) if (plain.select([fast, slow], 1, NOW)![0] === fast) x++;
  assert.ok(x > 700 && x < 880, `X over L about 4:1, got ${x}/1000`);
});

test('profiles decay, stay bounded, and mark mostly-failing peers bad', () => {
  const p = new PeerProfiles({ maxPeers: 3, halfLifeMs: 60_000 });
  const h = [1, 2, 3, 4].map(() => randomBytes(32));
  p.recordBuild(h[0]!, 'accepted', NOW, 200);
  p.recordBuild(h[0]!, 'accepted', NOW, 400);
  let s = p.get(h[0]!, NOW)!;
  assert.equal(s.accepted, 2);
  assert.equal(s.replyMs, 260, 'moving average of reply times');
  s = p.get(h[0]!, NOW + 60_000)!;
  assert.ok(Math.abs(s.accepted - 1) < 1e-9, 'halved after one half-life');
  for (const x of h.slice(1)) p.recordBuild(x, 'accepted', NOW + 1);
  assert.equal(p.size, 3);
  assert.equal(p.evicted, 1);
  assert.equal(p.get(h[0]!, NOW), undefined, 'the least recently updated profile went first');

  const q = new PeerProfiles();
  const flaky = randomBytes(32);
  for (let i = 0; i < 5; i++) q.recordBuild(flaky, 'timeout', NOW);
  assert.equal(q.isBad(flaky, NOW), true, 'builds that are never answered');
  const tested = randomBytes(32);
  q.recordBuild(tested, 'accepted', NOW);
  for (let i = 0; i < 8; i++) q.recordTest(tested, false, NOW);
  assert.equal(q.isBad(tested, NOW), true, 'tunnels through it keep failing their tests');
  assert.equal(q.isBad(randomBytes(32), NOW), false, 'unknown peers are not bad');
  assert.ok(Math.abs(q.score(randomBytes(32), NOW) - 0.5 / 1.5) < 1e-9, 'unknown: reliability 1/2 at the default speed');
  assert.throws(() => new PeerProfiles({ maxPeers: 0 }), RangeError);
});
