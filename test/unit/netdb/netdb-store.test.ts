import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ed25519Signer, randomBytes, sha256 } from '../../../src/crypto/index.js';
import { CryptoType, KeyCertificate, SigType } from '../../../src/data/certificate.js';
import { buildKeysAndCert } from '../../../src/data/keys-and-cert.js';
import { LeaseSet2Flags } from '../../../src/data/lease-set2.js';
import type { Mapping } from '../../../src/data/mapping.js';
import { RouterAddress } from '../../../src/data/router-address.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { RouterInfo } from '../../../src/data/router-info.js';
import { closest, routingKey } from '../../../src/netdb/kademlia.js';
import { NetDbStore } from '../../../src/netdb/netdb-store.js';
import { makeRouterInfo, type TestRouter } from '../data/make-router-info.js';
import { T0, lease, makeDestination, makeEcdsaDestination, makeEncryptedLeaseSet, makeLeaseSet, makeLeaseSet2, makeMetaLeaseSet } from './make-lease-sets.js';

const NOW = 1_764_000_100_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

function opts(caps: string, version = '0.9.57'): Mapping {
  return new Map([
    ['caps', caps],
    ['netId', '99'],
    ['router.version', version],
  ]);
}

/** A newer RouterInfo for the same router (same identity and key), with other options. */
function republish(t: TestRouter, published: number, options: Mapping): RouterInfo {
  return RouterInfo.create({ identity: t.ri.identity, signer: t.signer, published, addresses: [...t.ri.addresses], options });
}

function store(extra: Partial<ConstructorParameters<typeof NetDbStore>[0]> = {}): NetDbStore {
  return new NetDbStore({ netId: 99, ourHash: Buffer.alloc(32), now: () => NOW, ...extra });
}

test('RouterInfos: only verified entries of our network with modern keys; newest wins', () => {
  const ours = makeRouterInfo();
  const s = store({ ourHash: ours.ri.hash });
  const events: [RouterInfo, boolean][] = [];
  s.on('routerInfo', (ri: RouterInfo, isNew: boolean) => events.push([ri, isNew]));

  const a = makeRouterInfo();
  assert.equal(s.addRouterInfo(a.ri), true);
  assert.equal(s.addRouterInfo(a.ri), 'older');
  const newer = republish(a, a.ri.published + 1000, opts('XR'));
  assert.equal(s.addRouterInfo(newer), true);
  assert.equal(s.getRouterInfo(a.ri.hash), newer);
  assert.deepEqual(events.map(([ri, isNew]) => [ri.published, isNew]), [[a.ri.published, true], [newer.published, false]]);

  assert.equal(s.addRouterInfo(ours.ri), 'ourselves');
  assert.equal(s.addRouterInfo(makeRouterInfo({ options: new Map([['netId', '2']]) }).ri), 'wrong-netid');
  assert.equal(s.addRouterInfo(makeRouterInfo({ options: new Map() }).ri), 'wrong-netid', 'no netId means the main network (2)');
  assert.equal(s.addRouterInfo(makeRouterInfo({ published: NOW + 3 * MIN }).ri), 'future');
  assert.equal(s.addRouterInfo(makeRouterInfo({ published: NOW + 1 * MIN }).ri), true, 'within the clock-skew allowance');
  assert.equal(s.addRouterInfo(makeRouterInfo({ published: NOW - 28 * HOUR }).ri), 'expired');
  const big = makeRouterInfo({ options: new Map([...opts('XR'), ...Array.from({ length: 17 }, (_, i): [string, string] => [`pad${i}`, 'x'.repeat(250)])]) });
  assert.equal(s.addRouterInfo(big.ri), 'too-large');

  // ElGamal encryption key (crypto type 0): parses, but is useless to us.
  const signer = Ed25519Signer.generate();
  const elg = RouterIdentity.parse(buildKeysAndCert(randomBytes(256), signer.publicKey, KeyCertificate.create(SigType.EdDSA_SHA512_Ed25519, CryptoType.ElGamal)));
  const elgRi = RouterInfo.create({ identity: elg, signer, published: NOW, addresses: [], options: opts('XR') });
  assert.ok(elgRi.verify());
  assert.equal(s.addRouterInfo(elgRi), 'unsupported-keys');

  // A byte changed in the signed part: parses, signature fails; `verified` skips the check.
  const forged = Buffer.from(makeRouterInfo().ri.raw);
  forged[100]! ^= 1;
  assert.equal(s.addRouterInfo(RouterInfo.parse(forged)), 'bad-signature');
  assert.equal(s.add(RouterInfo.parse(forged), NOW, true), true, 'ReseedTarget form, already verified by the caller');

  assert.equal(s.size, 3);
  assert.equal(s.rejected['bad-signature'], 1);
  assert.equal(s.rejected['wrong-netid'], 2);
  assert.equal(s.rejected.older, 1);
  assert.equal(s.removeRouterInfo(a.ri.hash), true);
  assert.equal(s.removeRouterInfo(a.ri.hash), false);
  assert.equal(s.size, 2);
});

test('floodfills(): f cap, version >= 0.9.51 and a published NTCP2 address; kept current on updates', () => {
  const s = store();
  const ff = makeRouterInfo({ options: opts('XfR') });
  const oldFf = makeRouterInfo({ options: opts('XfR', '0.9.50') });
  const hiddenFf = makeRouterInfo({
    options: opts('XfR'),
    addresses: [new RouterAddress(3, 0, 'NTCP2', new Map([['s', ff.ri.ntcp2()!.staticKey.toString('base64').replace(/\+/g, '-').replace(/\//g, '~')], ['v', '2']]))],
  });
  const plain = makeRouterInfo({ options: opts('XR') });
  for (const t of [ff, oldFf, hiddenFf, plain]) assert.equal(s.addRouterInfo(t.ri), true);
  assert.deepEqual(s.floodfills(), [ff.ri]);
  assert.deepEqual(s.counts, { routerInfos: 4, floodfills: 1, leaseSets: 0 });

  const ff2 = makeRouterInfo({ options: opts('XfR') });
  s.addRouterInfo(ff2.ri);
  assert.equal(s.floodfills().length, 2);
  // ff stops being a floodfill.
  s.addRouterInfo(republish(ff, ff.ri.published + 1000, opts('XR')));
  assert.deepEqual(s.floodfills(), [ff2.ri]);
  s.removeRouterInfo(ff2.ri.hash);
  assert.deepEqual(s.floodfills(), []);

  const many = Array.from({ length: 12 }, () => makeRouterInfo({ options: opts('XfR') }).ri);
  for (const ri of many) s.addRouterInfo(ri);
  const key = randomBytes(32);
  const exclude = new Set([many[0]!.hash.toString('hex')]);
  assert.deepEqual(s.closestFloodfills(key, 3, exclude), closest(routingKey(key, NOW), many, 3, exclude));
});

test('eviction: non-floodfills oldest first, down to 95% of the limit; an old newcomer is refused as full', () => {
  const s = store({ maxRouterInfos: 10 });
  const ffs = Array.from({ length: 3 }, (_, i) => makeRouterInfo({ published: NOW - 10 * HOUR - i, options: opts('XfR') }).ri);
  const plain = Array.from({ length: 7 }, (_, i) => makeRouterInfo({ published: NOW - i * MIN, options: opts('XR') }).ri);
  for (const ri of [...ffs, ...plain]) assert.equal(s.addRouterInfo(ri), true);
  assert.equal(s.size, 10);

  const old = makeRouterInfo({ published: NOW - 2 * HOUR, options: opts('XR') }).ri;
  assert.equal(s.addRouterInfo(old), 'full');
  assert.equal(s.rejected.full, 1);
  assert.equal(s.getRouterInfo(old.hash), undefined);
  // 11 -> 9: the newcomer and the oldest non-floodfill went; the (older) floodfills stayed.
  assert.equal(s.size, 9);
  assert.equal(s.getRouterInfo(plain[6]!.hash), undefined);
  for (const ri of [...ffs, ...plain.slice(0, 6)]) assert.ok(s.getRouterInfo(ri.hash));

  // Only floodfills left to evict: the oldest floodfill goes.
  const t = store({ maxRouterInfos: 3 });
  for (const ri of ffs) t.addRouterInfo(ri);
  assert.equal(t.addRouterInfo(makeRouterInfo({ options: opts('XfR') }).ri), true);
  assert.equal(t.size, 2);
  assert.equal(t.getRouterInfo(ffs[2]!.hash), undefined);
});

test('memory: estimate tracks adds and removals and stays under maxMemoryBytes', () => {
  const probe = store();
  const ri = makeRouterInfo().ri;
  probe.addRouterInfo(ri);
  const per = probe.memoryBytes;
  assert.ok(per > ri.raw.length && per < 10_000, String(per));
  probe.removeRouterInfo(ri.hash);
  assert.equal(probe.memoryBytes, 0);

  const s = store({ maxMemoryBytes: per * 10 });
  for (let i = 0; i < 25; i++) s.addRouterInfo(makeRouterInfo({ published: NOW - i * 1000 }).ri);
  assert.ok(s.memoryBytes <= per * 10, `${s.memoryBytes} > ${per * 10}`);
  assert.ok(s.size >= 9 && s.size <= 10, String(s.size));
});

test('expire(): i2pd schedule (grace period, size-scaled timeout, firewalled routers, minimum kept)', () => {
  let clock = NOW;
  const s = store({ now: () => clock, minRouterInfos: 3 });
  const add = (age: number, caps = 'XR'): RouterInfo => {
    const ri = makeRouterInfo({ published: NOW - age, options: opts(caps) }).ri;
    assert.equal(s.addRouterInfo(ri), true);
    return ri;
  };
  const a = add(1 * MIN);
  const b = add(2 * HOUR);
  const c = add(20 * HOUR);
  const d = add(26 * HOUR);
  const e = add(70 * MIN, 'LU');
  const f = add(30 * MIN, 'LU');
  const ls = makeLeaseSet2({ now: NOW });
  assert.equal(s.addLeaseSet(3, ls.hash, ls.raw), true);

  clock = NOW + 5 * MIN; // uptime 5 min: nothing expires
  assert.deepEqual(s.expire(), { routerInfos: 0, leaseSets: 0 });
  clock = NOW + 20 * MIN; // uptime 20 min: 27 h limit; 'U' routers after 65 min; the LeaseSet has expired
  assert.deepEqual(s.expire(), { routerInfos: 1, leaseSets: 1 });
  assert.equal(s.getRouterInfo(e.hash), undefined);
  assert.equal(s.getLeaseSet(ls.hash), undefined);
  // uptime 2 h, 5 routers: limit 1.5 h + 25.5 h * 3/5 = 16.8 h, so c (22 h) and d (28 h) are
  // stale, and f ('U', 2.5 h); oldest first, stopping at the minimum of 3.
  clock = NOW + 2 * HOUR;
  assert.deepEqual(s.expire(), { routerInfos: 2, leaseSets: 0 });
  assert.deepEqual([a, b, f].map((ri) => !!s.getRouterInfo(ri.hash)), [true, true, true]);
  assert.deepEqual([c, d].map((ri) => !!s.getRouterInfo(ri.hash)), [false, false]);
  assert.equal(s.size, 3);
});

test('LeaseSets of every type: stored under their key, checked, newer wins', () => {
  const s = store({ now: () => T0 });
  const seen: [string, number][] = [];
  s.on('leaseSet', (key: Buffer, type: number) => seen.push([key.toString('hex'), type]));
  const { dest, signer } = makeDestination();

  const ls1 = makeLeaseSet({ dest, signer, leaseEnds: [T0 + 8 * MIN, T0 + 10 * MIN] });
  assert.equal(s.addLeaseSet(1, ls1.hash, ls1.raw), true);
  assert.deepEqual(s.getLeaseSet(dest.hash), { key: dest.hash, storeType: 1, raw: ls1.raw, published: T0 + 8 * MIN, expires: T0 + 10 * MIN });
  assert.equal(s.addLeaseSet(1, ls1.hash, ls1.raw), 'older');
  const ls1b = makeLeaseSet({ dest, signer, leaseEnds: [T0 + 9 * MIN, T0 + 11 * MIN] });
  assert.equal(s.addLeaseSet(1, ls1b.hash, ls1b.raw), true);
  // A LeaseSet2 for the same Destination replaces it only if it stays useful longer.
  const ls2short = makeLeaseSet2({ dest, signer, expires: T0 + 10 * MIN });
  assert.equal(s.addLeaseSet(3, dest.hash, ls2short.raw), 'older');
  const ls2 = makeLeaseSet2({ dest, signer, expires: T0 + 12 * MIN });
  assert.equal(s.addLeaseSet(3, dest.hash, ls2.raw), true);
  assert.equal(s.getLeaseSet(dest.hash)?.storeType, 3);
  const ls2same = makeLeaseSet2({ dest, signer, expires: T0 + 13 * MIN });
  assert.equal(s.addLeaseSet(3, dest.hash, ls2same.raw), 'older', 'same published second');
  const ls2newer = makeLeaseSet2({ dest, signer, published: T0 + 1000, expires: T0 + 13 * MIN });
  assert.equal(s.addLeaseSet(3, dest.hash, ls2newer.raw), true);

  const meta = makeMetaLeaseSet({ offlineExpires: T0 + HOUR });
  assert.equal(s.addLeaseSet(7, meta.hash, meta.raw), true, 'MetaLeaseSets may last hours');
  const { ls: enc } = makeEncryptedLeaseSet();
  assert.equal(s.addLeaseSet(5, enc.hash, enc.raw), true);
  const ecdsa = makeEcdsaDestination();
  const lsE = makeLeaseSet2({ dest: ecdsa.dest, signer: ecdsa.signer });
  assert.equal(s.addLeaseSet(3, lsE.hash, lsE.raw), true);

  assert.deepEqual(s.counts, { routerInfos: 0, floodfills: 0, leaseSets: 4 });
  assert.equal(seen.length, 7);
  assert.deepEqual(seen[6], [lsE.hash.toString('hex'), 3]);
  assert.deepEqual([...s.leaseSets()].map((l) => l.storeType).sort(), [3, 3, 5, 7]);
  assert.ok(s.memoryBytes > 0);
});

test('LeaseSets: refusals', () => {
  const s = store({ now: () => T0 });
  const reject = (type: number, key: Buffer, raw: Buffer, reason: string): void => assert.equal(s.addLeaseSet(type, key, raw), reason, reason);
  const ok = makeLeaseSet2();
  reject(3, randomBytes(32), ok.raw, 'key-mismatch');
  reject(3, ok.hash.subarray(0, 31), ok.raw, 'key-mismatch');
  reject(1, ok.hash, ok.raw, 'malformed');
  reject(2, ok.hash, ok.raw, 'bad-store-type');
  reject(0, ok.hash, ok.raw, 'bad-store-type');
  reject(3, ok.hash, Buffer.alloc(9000), 'too-large');
  reject(3, ok.hash, Buffer.from('garbage'), 'malformed');
  const t = Buffer.from(ok.raw);
  t[t.length - 100]! ^= 1;
  reject(3, ok.hash, t, 'bad-signature');

  const past = makeLeaseSet2({ published: T0 - 20 * MIN, expires: T0 - 1000 });
  reject(3, past.hash, past.raw, 'expired');
  const ahead = makeLeaseSet2({ published: T0 + 5 * MIN, expires: T0 + 15 * MIN });
  reject(3, ahead.hash, ahead.raw, 'future');
  const long = makeLeaseSet2({ expires: T0 + 60 * MIN });
  reject(3, long.hash, long.raw, 'future');
  const unpublished = makeLeaseSet2({ flags: LeaseSet2Flags.UNPUBLISHED });
  reject(3, unpublished.hash, unpublished.raw, 'unpublished');
  const { ls: encUnpub } = makeEncryptedLeaseSet({ flags: LeaseSet2Flags.UNPUBLISHED });
  reject(5, encUnpub.hash, encUnpub.raw, 'unpublished');
  const empty = makeLeaseSet2({ leaseCount: 0 });
  reject(3, empty.hash, empty.raw, 'no-leases');
  const ls1Empty = makeLeaseSet({ leaseEnds: [] });
  reject(1, ls1Empty.hash, ls1Empty.raw, 'no-leases');
  const ls1Old = makeLeaseSet({ leaseEnds: [T0 - 1] });
  reject(1, ls1Old.hash, ls1Old.raw, 'expired');
  const ls1Far = makeLeaseSet({ leaseEnds: [T0 + 30 * MIN] });
  reject(1, ls1Far.hash, ls1Far.raw, 'future');
  const offlineGone = makeLeaseSet2({ offlineExpires: T0 - 1000 });
  reject(3, offlineGone.hash, offlineGone.raw, 'offline-expired');

  // DSA_SHA1 Destination (NULL certificate) with a random key and signature: checked, and refused.
  const dsaDest = Buffer.concat([randomBytes(384), Buffer.of(0, 0, 0)]);
  const dsa = Buffer.concat([dsaDest, randomBytes(256 + 128), Buffer.of(1), lease(T0 + 5 * MIN).gateway, Buffer.alloc(4), Buffer.alloc(8)]);
  dsa.writeBigUInt64BE(BigInt(T0 + 5 * MIN), dsa.length - 8);
  reject(1, sha256(dsaDest), Buffer.concat([dsa, randomBytes(40)]), 'bad-signature');

  assert.equal(s.counts.leaseSets, 0);
  assert.equal(s.rejected['key-mismatch'], 2);
  assert.equal(s.rejected.future, 3);
});

test('LeaseSets: bounded count, soonest-expiring evicted first', () => {
  const s = store({ now: () => T0, maxLeaseSets: 4 });
  const sets = [7, 9, 10, 8].map((m) => makeLeaseSet2({ expires: T0 + m * MIN }));
  for (const ls of sets) assert.equal(s.addLeaseSet(3, ls.hash, ls.raw), true);
  // A fifth that expires soonest of all: 5 -> 3, it and the 7-minute one go.
  const soon = makeLeaseSet2({ expires: T0 + 6 * MIN });
  assert.equal(s.addLeaseSet(3, soon.hash, soon.raw), 'full');
  assert.deepEqual([...s.leaseSets()].map((l) => (l.expires - T0) / MIN).sort(), [10, 8, 9].sort());
  const late = makeLeaseSet2({ expires: T0 + 11 * MIN });
  assert.equal(s.addLeaseSet(3, late.hash, late.raw), true);
  assert.equal(s.counts.leaseSets, 4);
});
