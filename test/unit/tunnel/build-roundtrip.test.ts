/** Creator -> hops -> creator, through our own hop code: every format, direction and length. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, X25519KeyPair } from '../../../src/crypto/index.js';
import { I2NPType } from '../../../src/i2np/message.js';
import { decodeBuildRecords, encodeBuildRecords } from '../../../src/i2np/tunnel-build.js';
import { localMessages, openOneTimeReply, sealOneTimeReply } from '../../../src/garlic/one-time-reply.js';
import { createTunnelBuild } from '../../../src/tunnel/build/build-creator.js';
import { TunnelBuildHop } from '../../../src/tunnel/build/build-request.js';
import { encodeShortBuildRequest } from '../../../src/tunnel/build/build-record.js';
import { sealRequestRecord } from '../../../src/tunnel/build/record-crypto.js';
import { BuildRecordReplayCache } from '../../../src/tunnel/build/replay-cache.js';
import { AuthenticationError, DataFormatError, ProtocolError } from '../../../src/util/errors.js';
import { makeRouter, runBuild, type TestRouter } from './build-helpers.js';

const isProtocolError = (code: string) => (e: unknown) => e instanceof ProtocolError && e.code === code;
const now = 1_770_000_123_456;
const us = makeRouter();
const pool: TestRouter[] = Array.from({ length: 8 }, () => makeRouter());

for (const format of ['short', 'long'] as const) {
  for (const direction of ['inbound', 'outbound'] as const) {
    for (let n = 1; n <= 3; n++) {
      test(`${format} ${direction} build through ${n} hop(s): every hop accepts, keys agree, the reply reaches us`, () => {
        const routers = pool.slice(0, n);
        const replyGateway = direction === 'outbound' ? pool[7]!.identity.hash : undefined;
        const run = runBuild({ format, direction, ourIdentHash: us.identity.hash, replyTunnelId: 0xabcdef, replyGateway, now }, routers, routers.map(() => true));
        const pending = run.request.pending;
        assert.equal(pending.recordCount, 4);
        assert.equal(run.request.type, format === 'short' ? I2NPType.ShortTunnelBuild : I2NPType.VariableTunnelBuild);
        run.requests.forEach((r, k) => {
          const h = pending.hops[k]!;
          assert.equal(r.format, format);
          assert.equal(r.recordIndex, h.recordIndex);
          assert.equal(r.receiveTunnelId, h.receiveTunnelId);
          assert.equal(r.nextTunnelId, h.nextTunnelId);
          assert.deepEqual(r.nextIdent, h.nextIdent);
          assert.equal(r.role, h.role);
          assert.deepEqual(r.layerKey, h.layerKey, 'both ends hold the same tunnel layer key');
          assert.deepEqual(r.ivKey, h.ivKey);
          if (k > 0) assert.equal(r.receiveTunnelId, pending.hops[k - 1]!.nextTunnelId);
          assert.equal(r.expirationSeconds, 600);
          assert.equal(r.requestTime, Math.floor(now / 60_000) * 60_000);
        });
        assert.equal(new Set(pending.hops.map((h) => h.recordIndex)).size, n, 'distinct positions');
        if (direction === 'inbound') {
          assert.equal(run.requests[0]!.role, 'inboundGateway');
          assert.deepEqual(run.last.to, us.identity.hash, 'the last hop sends the build message to us');
          assert.equal(run.last.type, run.request.type);
          assert.equal(run.last.replyTunnelId, undefined);
        } else {
          assert.equal(run.requests.at(-1)!.role, 'outboundEndpoint');
          assert.deepEqual(run.last.to, replyGateway, 'the OBEP sends the reply to the reply tunnel gateway');
          assert.equal(run.last.type, format === 'short' ? I2NPType.OutboundTunnelBuildReply : I2NPType.VariableTunnelBuildReply);
          assert.equal(run.last.replyTunnelId, 0xabcdef);
          if (format === 'short') assert.deepEqual(run.last.garlicReply, { key: pending.garlicReplyKey, tag: pending.garlicReplyTag });
          else assert.equal(run.last.garlicReply, undefined);
        }
        assert.equal(run.last.msgId, pending.replyMessageId);
        assert.equal(run.last.type, pending.replyType);
        const result = pending.handleReply(run.last.type, run.last.payload);
        assert.equal(result.accepted, true);
        assert.deepEqual(result.hops.map((h) => h.code), routers.map(() => 0));
        assert.deepEqual(result.hops.map((h) => h.identHash), routers.map((r) => r.identity.hash));
      });
    }
  }
}

test('rejections and reply options come back per hop', () => {
  for (const format of ['short', 'long'] as const) {
    const routers = pool.slice(0, 3);
    const request = createTunnelBuild({ format, direction: 'inbound', hops: routers.map((r) => r.target), ourIdentHash: us.identity.hash, replyTunnelId: 5, now });
    let { type, payload } = request;
    const answers: [boolean | number, Map<string, string>][] = [[true, new Map([['b', '500']])], [20, new Map()], [false, new Map()]];
    routers.forEach((r, k) => ({ type, payload } = r.hop.open(type, payload, now).reply(answers[k]![0], answers[k]![1])));
    const result = request.pending.handleReply(type, payload);
    assert.equal(result.accepted, false);
    assert.deepEqual(result.hops.map((h) => h.code), [0, 20, 30]);
    assert.deepEqual(result.hops[0]!.options, new Map([['b', '500']]));
  }
});

test('a build of 8 records: 7 hops inbound (plus our own record), 8 outbound', () => {
  for (const format of ['short', 'long'] as const) {
    const inbound = runBuild({ format, direction: 'inbound', ourIdentHash: us.identity.hash, replyTunnelId: 9, now }, pool.slice(0, 7), Array(7).fill(true));
    assert.equal(inbound.request.pending.recordCount, 8);
    assert.equal(inbound.request.pending.handleReply(inbound.last.type, inbound.last.payload).accepted, true);
    const outbound = runBuild({ format, direction: 'outbound', ourIdentHash: us.identity.hash, replyTunnelId: 9, replyGateway: us.identity.hash, now }, pool, Array(8).fill(true));
    assert.equal(outbound.request.pending.handleReply(outbound.last.type, outbound.last.payload).accepted, true);
  }
  assert.throws(() => createTunnelBuild({ format: 'short', direction: 'inbound', hops: pool.map((r) => r.target), ourIdentHash: us.identity.hash, replyTunnelId: 9, now }), RangeError);
  assert.throws(() => createTunnelBuild({ format: 'short', direction: 'outbound', hops: pool.slice(0, 2).map((r) => r.target), ourIdentHash: us.identity.hash, replyTunnelId: 9, now }), RangeError, 'outbound without reply gateway');
  assert.throws(() => createTunnelBuild({ format: 'short', direction: 'inbound', hops: [], ourIdentHash: us.identity.hash, replyTunnelId: 9, now }), RangeError);
  assert.throws(() => createTunnelBuild({ format: 'short', direction: 'inbound', hops: pool.slice(0, 3).map((r) => r.target), ourIdentHash: us.identity.hash, replyTunnelId: 0, now }), RangeError);
});

test('short outbound: the OBEP reply garlic-wrapped with the derived key and tag opens at the creator', () => {
  const routers = pool.slice(0, 3);
  const run = runBuild({ format: 'short', direction: 'outbound', ourIdentHash: us.identity.hash, replyTunnelId: 77, replyGateway: pool[5]!.identity.hash, now }, routers, [true, true, true]);
  const g = run.last.garlicReply!;
  const garlic = sealOneTimeReply(g.key, g.tag, { type: run.last.type, msgId: run.last.msgId, expiration: now + 60_000, payload: run.last.payload });
  const p = run.request.pending;
  const [msg] = localMessages(openOneTimeReply(p.garlicReplyKey!, p.garlicReplyTag!, garlic));
  assert.equal(msg!.type, I2NPType.OutboundTunnelBuildReply);
  assert.equal(msg!.msgId, p.replyMessageId);
  assert.equal(p.handleReply(msg!.type, msg!.payload).accepted, true);
});

test('TunnelBuild (21) through our hops: the OBEP answers with TunnelBuildReply (22)', () => {
  const routers = pool.slice(0, 2);
  const request = createTunnelBuild({ format: 'long', direction: 'outbound', hops: routers.map((r) => r.target), ourIdentHash: us.identity.hash, replyTunnelId: 3, replyGateway: us.identity.hash, now, recordCount: 8 });
  let type: number = I2NPType.TunnelBuild;
  let payload = encodeBuildRecords(type, decodeBuildRecords(request.type, request.payload));
  for (const r of routers) ({ type, payload } = r.hop.open(type, payload, now).reply(true));
  assert.equal(type, I2NPType.TunnelBuildReply);
  const asVariable = encodeBuildRecords(I2NPType.VariableTunnelBuildReply, decodeBuildRecords(type, payload));
  assert.equal(request.pending.handleReply(I2NPType.VariableTunnelBuildReply, asVariable).accepted, true);
});

test('tampering: a changed request record fails its MAC at the hop; a changed reply fails at the creator', () => {
  for (const format of ['short', 'long'] as const) {
    const [a, b] = [makeRouter(), makeRouter()];
    const request = createTunnelBuild({ format, direction: 'inbound', hops: [a.target, b.target], ourIdentHash: us.identity.hash, replyTunnelId: 5, now });
    const fwd = a.hop.open(request.type, request.payload, now).reply(true);
    const recs = decodeBuildRecords(fwd.type, fwd.payload);
    const bIndex = request.pending.hops[1]!.recordIndex;
    recs[bIndex]![100]! ^= 1;
    assert.throws(() => b.hop.open(fwd.type, encodeBuildRecords(fwd.type, recs), now), AuthenticationError);
    assert.equal(b.hop.counters.authFailed, 1);
    // The untouched message still works (a bad MAC is not remembered as seen).
    const done = b.hop.open(fwd.type, fwd.payload, now).reply(true);
    const back = decodeBuildRecords(done.type, done.payload);
    for (const k of [0, 1]) {
      const copy = back.map((r) => Buffer.from(r));
      copy[request.pending.hops[k]!.recordIndex]![7]! ^= 0x80;
      assert.throws(() => request.pending.handleReply(done.type, encodeBuildRecords(done.type, copy)), AuthenticationError, `reply of hop ${k}`);
    }
    assert.equal(request.pending.handleReply(done.type, done.payload).accepted, true);
  }
});

test('inbound: our own record must come back exactly as we made it', () => {
  const routers = pool.slice(0, 2);
  const run = runBuild({ format: 'short', direction: 'inbound', ourIdentHash: us.identity.hash, replyTunnelId: 5, now, positions: [2, 0, 3] }, routers, [true, true]);
  const recs = decodeBuildRecords(run.last.type, run.last.payload);
  recs[3]![0]! ^= 1;
  assert.throws(() => run.request.pending.handleReply(run.last.type, encodeBuildRecords(run.last.type, recs)), isProtocolError('tampered'));
});

test('reply handling refuses the wrong type and record count', () => {
  const run = runBuild({ format: 'short', direction: 'outbound', ourIdentHash: us.identity.hash, replyTunnelId: 5, replyGateway: us.identity.hash, now }, pool.slice(0, 2), [true, true]);
  const p = run.request.pending;
  assert.throws(() => p.handleReply(I2NPType.VariableTunnelBuildReply, run.last.payload), (e: unknown) => e instanceof DataFormatError && e.code === 'type');
  const five = encodeBuildRecords(run.last.type, [...decodeBuildRecords(run.last.type, run.last.payload), randomBytes(218)]);
  assert.throws(() => p.handleReply(run.last.type, five), (e: unknown) => e instanceof DataFormatError && e.code === 'record-count');
  assert.throws(() => p.handleReply(run.last.type, run.last.payload.subarray(0, 100)), DataFormatError);
});

test('hop: a message without our record is "not-ours"; no DH is spent on it', () => {
  const stranger = makeRouter();
  const request = createTunnelBuild({ format: 'short', direction: 'inbound', hops: pool.slice(0, 2).map((r) => r.target), ourIdentHash: us.identity.hash, replyTunnelId: 5, now });
  assert.throws(() => stranger.hop.open(request.type, request.payload, now), isProtocolError('not-ours'));
  assert.equal(stranger.hop.counters.notOurs, 1);
  assert.equal(stranger.hop.replayCache.size, 0);
});

test('hop: the same record twice is a replay, also across hop objects sharing the cache; later it is stale', () => {
  const me = makeRouter();
  const cache = new BuildRecordReplayCache();
  const hop1 = new TunnelBuildHop({ identHash: me.identity.hash, encryptionKey: me.key, replayCache: cache });
  const hop2 = new TunnelBuildHop({ identHash: me.identity.hash, encryptionKey: me.key, replayCache: cache });
  const request = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [me.target], ourIdentHash: us.identity.hash, replyTunnelId: 5, replyGateway: us.identity.hash, now });
  hop1.open(request.type, request.payload, now).reply(true);
  assert.throws(() => hop1.open(request.type, request.payload, now + 1000), isProtocolError('replay'));
  assert.throws(() => hop2.open(request.type, request.payload, now + 5 * 60_000), isProtocolError('replay'));
  assert.equal(hop1.counters.replayed + hop2.counters.replayed, 2);
  // Once the cache has forgotten it, the request time refuses it.
  assert.throws(() => hop2.open(request.type, request.payload, now + 60 * 60_000), isProtocolError('stale'));
});

test('hop: request time window (minutes on the wire), loops and unknown layer encryption', () => {
  const me = makeRouter();
  const build = (t: number) => createTunnelBuild({ format: 'long', direction: 'inbound', hops: [me.target], ourIdentHash: us.identity.hash, replyTunnelId: 5, now: t });
  const ok = build(now - 6 * 60_000);
  me.hop.open(ok.type, ok.payload, now); // within the 6-minute window (+ the minute of rounding)
  const old = build(now - 8 * 60_000);
  assert.throws(() => me.hop.open(old.type, old.payload, now), isProtocolError('stale'));
  const ahead = build(now + 6 * 60_000);
  assert.throws(() => me.hop.open(ahead.type, ahead.payload, now), isProtocolError('future'));
  const slightlyAhead = build(now + 60_000);
  me.hop.open(slightlyAhead.type, slightlyAhead.payload, now);
  assert.deepEqual([me.hop.counters.stale, me.hop.counters.future, me.hop.counters.opened], [1, 1, 2]);

  // Asked to forward to ourselves: the same router twice in a row.
  const a = makeRouter();
  const loop = createTunnelBuild({ format: 'short', direction: 'inbound', hops: [a.target, a.target], ourIdentHash: us.identity.hash, replyTunnelId: 5, now });
  assert.throws(() => a.hop.open(loop.type, loop.payload, now), isProtocolError('loop'));
  // ... but an OBEP whose reply tunnel starts at itself is fine.
  const selfReply = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [a.target], ourIdentHash: us.identity.hash, replyTunnelId: 5, replyGateway: a.identity.hash, now });
  assert.deepEqual(a.hop.open(selfReply.type, selfReply.payload, now).reply(true).to, a.identity.hash);

  const clear = encodeShortBuildRequest({ receiveTunnelId: 1, nextTunnelId: 2, nextIdent: randomBytes(32), role: 'participant', requestTime: now, expirationSeconds: 600, nextMessageId: 3, options: new Map(), layerEncryption: 1 });
  const rec = sealRequestRecord(a.identity.hash, a.key.publicKey, clear).record;
  const msg = encodeBuildRecords(I2NPType.ShortTunnelBuild, [rec, randomBytes(218), randomBytes(218), randomBytes(218)]);
  assert.throws(() => a.hop.open(I2NPType.ShortTunnelBuild, msg, now), isProtocolError('layer-encryption'));
});

test('hop: hostile messages are refused with typed errors and counted', () => {
  const me = makeRouter();
  const hop = me.hop;
  const prefix = me.identity.hash.subarray(0, 16);
  // Our prefix followed by garbage: the MAC fails.
  const garbage = Buffer.concat([prefix, X25519KeyPair.generate().publicKey, randomBytes(170)]);
  assert.throws(() => hop.open(I2NPType.ShortTunnelBuild, encodeBuildRecords(I2NPType.ShortTunnelBuild, [garbage]), now), AuthenticationError);
  // A low-order ephemeral key (all zeros) is refused before any AEAD.
  const zero = Buffer.concat([prefix, Buffer.alloc(32), randomBytes(170)]);
  assert.throws(() => hop.open(I2NPType.ShortTunnelBuild, encodeBuildRecords(I2NPType.ShortTunnelBuild, [zero]), now), AuthenticationError);
  // Wrong message types, wrong sizes.
  assert.throws(() => hop.open(I2NPType.OutboundTunnelBuildReply, encodeBuildRecords(I2NPType.OutboundTunnelBuildReply, [garbage]), now), (e: unknown) => e instanceof DataFormatError && e.code === 'type');
  assert.throws(() => hop.open(I2NPType.DatabaseStore, Buffer.alloc(10), now), DataFormatError);
  assert.throws(() => hop.open(I2NPType.VariableTunnelBuild, encodeBuildRecords(I2NPType.ShortTunnelBuild, [garbage]), now), DataFormatError);
  assert.throws(() => hop.open(I2NPType.ShortTunnelBuild, Buffer.alloc(0), now), DataFormatError);
  for (let i = 0; i < 100; i++) assert.throws(() => hop.open(I2NPType.ShortTunnelBuild, randomBytes(1 + i * 13), now), ProtocolError);
  assert.equal(hop.counters.authFailed, 2);
  assert.ok(hop.counters.malformed >= 4);
  assert.equal(hop.counters.opened, 0);
  assert.equal(hop.replayCache.size, 0, 'nothing unauthenticated is remembered');
});

test('a request is answered once', () => {
  const me = makeRouter();
  const request = createTunnelBuild({ format: 'short', direction: 'inbound', hops: [me.target], ourIdentHash: us.identity.hash, replyTunnelId: 5, now });
  const r = me.hop.open(request.type, request.payload, now);
  r.reply(true);
  assert.throws(() => r.reply(true), /already answered/);
});
