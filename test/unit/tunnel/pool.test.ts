import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { PeerProfiles } from '../../../src/tunnel/peer-profile.js';
import { PeerSelector } from '../../../src/tunnel/peer-selector.js';
import {
  CLIENT_POOL_DEFAULTS,
  EXPLORATORY_POOL_DEFAULTS,
  TunnelPool,
  poolConfigFromOptions,
  type PoolAction,
  type TunnelPoolConfig,
} from '../../../src/tunnel/tunnel-pool.js';
import { SIM_START, seededRandom, simRouterInfo } from './pool-sim.js';

const NOW = SIM_START;
const TEN_MIN = 600_000;
const PEERS: RouterInfo[] = Array.from({ length: 10 }, (_, i) => simRouterInfo(X25519KeyPair.generate(), { host: `10.${i}.0.1` }));

function pool(config: Partial<TunnelPoolConfig> = {}, profiles = new PeerProfiles(), seed = 1): TunnelPool {
  const random = seededRandom(seed);
  return new TunnelPool({
    kind: 'exploratory',
    config: { ...EXPLORATORY_POOL_DEFAULTS, ...config },
    selector: new PeerSelector({ ourHash: randomBytes(32), profiles, random }),
    profiles,
    random,
  });
}

type Build = Extract<PoolAction, { kind: 'build' }>;
type Test = Extract<PoolAction, { kind: 'test' }>;

const builds = (a: PoolAction[]): Build[] => a.filter((x): x is Build => x.kind === 'build');
const tests = (a: PoolAction[]): Test[] => a.filter((x): x is Test => x.kind === 'test');

/** Every hop of every build accepts. */
function acceptAll(p: TunnelPool, actions: PoolAction[], now: number): void {
  for (const b of builds(actions)) {
    const t = p.buildReplied(b.buildId, b.hops.map((h) => ({ identHash: h.hash, code: 0 })), now, now + TEN_MIN);
    assert.ok(t, 'accepted by every hop: a tunnel');
  }
}

test('options use i2pd names and defaults; bad values are refused', () => {
  assert.deepEqual(poolConfigFromOptions('exploratory'), { ...EXPLORATORY_POOL_DEFAULTS });
  assert.deepEqual(EXPLORATORY_POOL_DEFAULTS, { inboundLength: 2, outboundLength: 2, inboundQuantity: 3, outboundQuantity: 3, inboundLengthVariance: 0, outboundLengthVariance: 0 });
  assert.deepEqual(CLIENT_POOL_DEFAULTS, { inboundLength: 3, outboundLength: 3, inboundQuantity: 5, outboundQuantity: 5, inboundLengthVariance: 0, outboundLengthVariance: 0 });
  const c = poolConfigFromOptions('exploratory', { 'exploratory.inbound.length': '3', 'exploratory.outbound.quantity': 4, 'inbound.length': '7' });
  assert.equal(c.inboundLength, 3);
  assert.equal(c.outboundQuantity, 4);
  assert.equal(c.outboundLength, 2, 'client option names do not apply to the exploratory pool');
  const client = poolConfigFromOptions('client', new Map([['inbound.lengthVariance', '-1'], ['outbound.length', ' 1 ']]));
  assert.equal(client.inboundLengthVariance, -1);
  assert.equal(client.outboundLength, 1);
  for (const bad of ['0', '8', 'two', '2.5', '', '99999999999']) {
    assert.throws(() => poolConfigFromOptions('client', { 'inbound.length': bad }), RangeError, bad);
  }
  assert.throws(() => poolConfigFromOptions('client', { 'outbound.quantity': '17' }), RangeError);
  assert.throws(() => poolConfigFromOptions('client', { 'outbound.lengthVariance': '4' }), RangeError);
  assert.throws(() => pool({ inboundLength: 0 }), RangeError);
});

test('keeps quantity tunnels each way, builds replacements 90 s before expiry, expires them at 10 minutes', () => {
  const p = pool();
  let a = p.tick(NOW, () => PEERS);
  assert.equal(builds(a).filter((b) => b.direction === 'inbound').length, 3);
  assert.equal(builds(a).filter((b) => b.direction === 'outbound').length, 3);
  for (const b of builds(a)) {
    assert.equal(b.hops.length, 2);
    assert.equal(b.via, undefined, 'no tunnels yet: zero-hop replies / direct sends');
  }
  assert.equal(builds(p.tick(NOW + 1000, () => PEERS)).length, 0, 'builds under way count');
  acceptAll(p, a, NOW + 1000);
  assert.equal(p.usable('inbound', NOW + 1000).length, 3);
  assert.equal(p.usable('outbound', NOW + 1000).length, 3);

  // Nothing to build until a tunnel is within 90 s of its expiry.
  a = p.tick(NOW + 1000 + TEN_MIN - 91_000, () => PEERS);
  assert.equal(builds(a).length, 0);
  a = p.tick(NOW + 1000 + TEN_MIN - 89_000, () => PEERS);
  assert.equal(builds(a).length, 6, 'replacements for all six');
  for (const b of builds(a)) assert.notEqual(b.via, undefined, 'replacements go through the tunnels we have');
  const old = p.all().map((t) => t.id);
  acceptAll(p, a, NOW + TEN_MIN - 80_000);
  // In their last minute the old tunnels are no longer handed out.
  const late = NOW + 1000 + TEN_MIN - 30_000;
  assert.ok(p.usable('outbound', late).every((t) => !old.includes(t.id)));
  a = p.tick(NOW + 1000 + TEN_MIN, () => PEERS);
  assert.deepEqual(
    a.filter((x) => x.kind === 'expired').map((x) => (x as { tunnelId: number }).tunnelId).sort(),
    old.sort(),
  );
  assert.equal(p.counters.tunnelsExpired, 6);
  assert.equal(p.usable('inbound', NOW + 1000 + TEN_MIN).length, 3);
});

test('a rejected build is recorded per hop, backs off, and is retried', () => {
  const profiles = new PeerProfiles();
  const p = pool({ inboundQuantity: 1, outboundQuantity: 1 }, profiles);
  const [b] = builds(p.tick(NOW, () => PEERS)).filter((x) => x.direction === 'outbound');
  assert.ok(b);
  assert.equal(p.buildReplied(b.buildId, [{ identHash: b.hops[0]!.hash, code: 0 }, { identHash: b.hops[1]!.hash, code: 30 }], NOW + 500, NOW + TEN_MIN), undefined);
  assert.equal(p.counters.buildsRejected, 1);
  assert.equal(profiles.get(b.hops[0]!.hash, NOW + 500)!.accepted, 1);
  assert.equal(profiles.get(b.hops[0]!.hash, NOW + 500)!.replyMs, 250, 'reply time per hop');
  assert.equal(profiles.get(b.hops[1]!.hash, NOW + 500)!.rejected, 1);
  assert.equal(builds(p.tick(NOW + 600, () => PEERS)).filter((x) => x.direction === 'outbound').length, 0, 'backing off');
  const retry = builds(p.tick(NOW + 1600, () => PEERS)).filter((x) => x.direction === 'outbound');
  assert.equal(retry.length, 1);
  assert.ok(!retry[0]!.hops.some((h) => h.hash.equals(b.hops[1]!.hash)), 'not through the peer that just declined');
  assert.equal(p.buildReplied(retry[0]!.buildId, [], NOW + 1700, NOW + TEN_MIN), undefined, 'a reply without every hop is no tunnel');
  assert.equal(p.buildReplied(12345, [], NOW, NOW), undefined, 'unknown builds are ignored');
});

test('unanswered builds time out after 30 s and count against every hop', () => {
  const profiles = new PeerProfiles();
  const p = pool({ inboundQuantity: 1, outboundQuantity: 1 }, profiles);
  const first = builds(p.tick(NOW, () => PEERS));
  assert.equal(p.tick(NOW + 29_999, () => PEERS).filter((x) => x.kind === 'buildTimedOut').length, 0);
  const a = p.tick(NOW + 30_000, () => PEERS);
  assert.equal(a.filter((x) => x.kind === 'buildTimedOut').length, 2);
  assert.equal(p.counters.buildsTimedOut, 2);
  for (const b of first) for (const h of b.hops) assert.equal(profiles.get(h.hash, NOW + 30_000)!.timedOut, 1);
  assert.equal(p.pendingBuilds, 0);
  p.buildFailed(99, NOW);
  assert.equal(p.counters.buildsFailed, 0, 'unknown build ids are ignored');
});

test('not enough eligible peers: no build, counted, retried later', () => {
  const p = pool({ inboundLength: 3, outboundLength: 3 });
  const a = p.tick(NOW, () => PEERS.slice(0, 2));
  assert.equal(builds(a).length, 0);
  assert.equal(p.counters.noPeers, 2);
  assert.equal(builds(p.tick(NOW + 1000, () => PEERS)).length, 0, 'waits noPeersRetryMs');
  assert.equal(builds(p.tick(NOW + 5000, () => PEERS)).length, 6);
});

test('tests pair outbound with inbound tunnels; two failures in a row fail a tunnel, a success resets', () => {
  const profiles = new PeerProfiles();
  const p = pool({ inboundQuantity: 2, outboundQuantity: 2 }, profiles);
  acceptAll(p, p.tick(NOW, () => PEERS), NOW);
  let a = p.tick(NOW + 1, () => PEERS);
  let t = tests(a);
  assert.equal(t.length, 2, 'every new tunnel is tested at once');
  for (const x of t) assert.ok(x.outbound !== undefined && x.inbound !== undefined);
  assert.equal(new Set(t.map((x) => x.outbound)).size, 2);
  assert.equal(new Set(t.map((x) => x.inbound)).size, 2);
  assert.equal(p.testReplied(t[0]!.testId, NOW + 51), 50, 'round trip');
  assert.equal(p.tunnel(t[0]!.outbound!)!.latencyMs, 50);
  const hop = p.tunnel(t[0]!.inbound!)!.hops[0]!;
  assert.equal(profiles.get(hop, NOW + 51)!.testsOk, 1);
  assert.equal(p.testReplied(t[0]!.testId, NOW + 52), undefined, 'only once');
  // The other pair never answers.
  const failing = t[1]!;
  a = p.tick(NOW + 1 + 15_000, () => PEERS);
  assert.equal(a.filter((x) => x.kind === 'testTimedOut').length, 1);
  assert.equal(p.tunnel(failing.outbound!)!.testFailures, 1);
  assert.equal(p.tunnel(failing.outbound!)!.state, 'ready');
  // Next round (30 s after the last test): test again, fail again -> failed, and a replacement.
  a = p.tick(NOW + 1 + 30_000, () => PEERS);
  t = tests(a);
  assert.equal(t.length, 2);
  const again = t.find((x) => x.outbound === failing.outbound || x.inbound === failing.inbound)!;
  const other = t.find((x) => x !== again)!;
  assert.ok(p.testReplied(other.testId, NOW + 30_100) !== undefined);
  a = p.tick(NOW + 1 + 45_000, () => PEERS);
  const failedNow = p.all().filter((x) => x.state === 'failed');
  assert.ok(failedNow.length >= 1, 'a tunnel failed twice in a row');
  assert.ok(failedNow.every((x) => x.testFailures >= 2));
  assert.ok(builds(a).length >= 1, 'and is replaced');
  assert.ok(failedNow.every((x) => !p.usable(x.direction, NOW + 45_001).includes(x)), 'failed tunnels are not used');
  assert.ok(p.counters.tunnelsFailed >= 1);
});

test('test pairs change from round to round', () => {
  const p = pool({ inboundQuantity: 3, outboundQuantity: 3 }, new PeerProfiles(), 4);
  acceptAll(p, p.tick(NOW, () => PEERS), NOW);
  const pairings = new Set<string>();
  for (let round = 0; round < 6; round++) {
    const now = NOW + 1 + round * 30_000;
    for (const t of tests(p.tick(now, () => PEERS))) {
      pairings.add(`${t.outbound}-${t.inbound}`);
      p.testReplied(t.testId, now + 10);
    }
  }
  assert.ok(pairings.size > 3, `${pairings.size} different pairs in 6 rounds`);
});

test('a pool with only one direction tests through a zero-hop side', () => {
  const p = pool({ inboundQuantity: 1, outboundQuantity: 1 });
  const a = builds(p.tick(NOW, () => PEERS));
  const out = a.find((b) => b.direction === 'outbound')!;
  p.buildReplied(out.buildId, out.hops.map((h) => ({ identHash: h.hash, code: 0 })), NOW, NOW + TEN_MIN);
  const t = tests(p.tick(NOW + 1, () => PEERS));
  assert.equal(t.length, 1);
  assert.equal(t[0]!.inbound, undefined);
  assert.equal(t[0]!.outbound, out.buildId);
});

test('length variance stays within bounds (i2pd semantics) and never below one hop', () => {
  const lengths = (config: Partial<TunnelPoolConfig>, seed: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < 40; i++) {
      const p = pool({ inboundQuantity: 1, outboundQuantity: 1, ...config }, new PeerProfiles(), seed + i);
      for (const b of builds(p.tick(NOW, () => PEERS))) out.push(b.hops.length);
    }
    return out;
  };
  const up = lengths({ inboundLength: 2, outboundLength: 2, inboundLengthVariance: 2, outboundLengthVariance: 2 }, 100);
  assert.ok(up.every((n) => n >= 2 && n <= 4));
  assert.deepEqual([...new Set(up)].sort(), [2, 3, 4]);
  const down = lengths({ inboundLength: 2, outboundLength: 2, inboundLengthVariance: -3, outboundLengthVariance: -3 }, 200);
  assert.ok(down.every((n) => n >= 1 && n <= 2));
  assert.deepEqual([...new Set(down)].sort(), [1, 2]);
});
