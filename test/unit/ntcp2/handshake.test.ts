import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X25519KeyPair, aes256CbcDecrypt, aes256CbcEncrypt, randomBytes } from '../../../src/crypto/index.js';
import { ntcp2InitialState } from '../../../src/crypto/noise.js';
import { NTCP2Initiator, type InitiatorOptions } from '../../../src/transport/ntcp2/handshake-initiator.js';
import { NTCP2Responder, type ResponderOptions } from '../../../src/transport/ntcp2/handshake-responder.js';
import { ReplayCache } from '../../../src/transport/ntcp2/replay-cache.js';
import { encodeSessionCreatedOptions, type EstablishedEvent, type FailEvent, type HandshakeEvent } from '../../../src/transport/ntcp2/handshake-common.js';
import { BlockType, TerminationReason, decodeBlocks } from '../../../src/transport/ntcp2/blocks.js';
import { I2NPType } from '../../../src/i2np/message.js';
import { NET_ID, makeRouter, type TestRouter } from './helpers.js';

const NOW = 1_764_000_000_000;
const NO_PROBING = { maxReadMore: 0, minDelayMs: 0, maxDelayMs: 0 };

interface Pair {
  alice: TestRouter;
  bob: TestRouter;
  init: NTCP2Initiator;
  resp: NTCP2Responder;
  cache: ReplayCache;
}

function pair(o: { alice?: TestRouter; initiator?: Partial<InitiatorOptions>; responder?: Partial<ResponderOptions> } = {}): Pair {
  const alice = o.alice ?? makeRouter({ published: NOW });
  const bob = makeRouter({ published: NOW });
  const cache = o.responder?.replayCache ?? new ReplayCache();
  const init = new NTCP2Initiator({
    staticKey: alice.staticKey,
    routerInfo: alice.ri.raw,
    remote: { routerHash: bob.ri.hash, staticKey: bob.staticKey.publicKey, iv: bob.iv },
    netId: NET_ID,
    ...o.initiator,
  });
  const resp = new NTCP2Responder({
    staticKey: bob.staticKey,
    routerHash: bob.ri.hash,
    iv: bob.iv,
    netId: NET_ID,
    replayCache: cache,
    probing: NO_PROBING,
    ...o.responder,
  });
  return { alice, bob, init, resp, cache };
}

function only<T extends HandshakeEvent['type']>(events: HandshakeEvent[], type: T): Extract<HandshakeEvent, { type: T }> {
  const e = events.find((x) => x.type === type);
  assert.ok(e, `expected a '${type}' event, got ${JSON.stringify(events.map((x) => (x.type === 'fail' ? `fail:${x.reason}` : x.type)))}`);
  return e as Extract<HandshakeEvent, { type: T }>;
}

function failOf(events: HandshakeEvent[]): FailEvent {
  return only(events, 'fail');
}

/** Runs the three messages, delivering each in one piece; returns both sides' events. */
function run(p: Pair, now = NOW): { alice: EstablishedEvent; bob: EstablishedEvent; msg3: Buffer } {
  const msg1 = p.init.start(now);
  const msg2 = only(p.resp.receive(msg1, now), 'send').data;
  const aliceEvents = p.init.receive(msg2, now);
  const msg3 = only(aliceEvents, 'send').data;
  const bobEvents = p.resp.receive(msg3, now);
  return { alice: only(aliceEvents, 'established'), bob: only(bobEvents, 'established'), msg3 };
}

test('initiator and responder complete the handshake and agree on data-phase keys', () => {
  const p = pair();
  const { alice, bob } = run(p);
  assert.ok(bob.routerInfo);
  assert.ok(bob.routerInfo.hash.equals(p.alice.ri.hash));
  assert.ok(bob.remoteStaticKey.equals(p.alice.staticKey.publicKey));
  assert.ok(alice.remoteStaticKey.equals(p.bob.staticKey.publicKey));
  // Alice -> Bob and Bob -> Alice frames decrypt on the other side.
  const msg = { type: I2NPType.Data, msgId: 42, expiration: NOW + 60_000, payload: Buffer.from('hello bob') };
  const a2b = alice.dataPhase.packMessages([msg]).data;
  const got = bob.dataPhase.receive(a2b);
  assert.equal(got.error, undefined);
  const i2np = got.frames.flat().find((b) => b.type === BlockType.I2NP);
  assert.ok(i2np && i2np.type === BlockType.I2NP);
  assert.equal(i2np.message.msgId, 42);
  assert.equal(i2np.message.payload.toString(), 'hello bob');
  const b2a = bob.dataPhase.encodeFrame([{ type: BlockType.DateTime, timestamp: 1234 }]);
  const back = alice.dataPhase.receive(b2a);
  assert.equal(back.error, undefined);
  assert.deepEqual(back.frames[0]![0], { type: BlockType.DateTime, timestamp: 1234 });
});

test('handshake works with every message split into 1-byte chunks and zero padding', () => {
  const p = pair({ initiator: { padding: 0, message3Padding: 0 }, responder: { padding: 0 } });
  const msg1 = p.init.start(NOW);
  assert.equal(msg1.length, 64);
  let ev: HandshakeEvent[] = [];
  for (const b of msg1) ev = ev.concat(p.resp.receive(Buffer.of(b), NOW));
  const msg2 = only(ev, 'send').data;
  assert.equal(msg2.length, 64);
  ev = [];
  for (const b of msg2) ev = ev.concat(p.init.receive(Buffer.of(b), NOW));
  const msg3 = only(ev, 'send').data;
  ev = [];
  for (const b of msg3) ev = ev.concat(p.resp.receive(Buffer.of(b), NOW));
  only(ev, 'established');
});

test('message 1 layout: X is AES-CBC(RH_B, i) of the ephemeral key, options carry netId/version/m3p2len/tsA', () => {
  const eph = X25519KeyPair.generate();
  const p = pair({ initiator: { ephemeral: eph, padding: 17 } });
  const msg1 = p.init.start(NOW);
  assert.equal(msg1.length, 64 + 17);
  const X = aes256CbcDecrypt(p.bob.ri.hash, p.bob.iv, msg1.subarray(0, 32));
  assert.ok(X.equals(eph.publicKey));
});

test('data appended by Alice after message 3 reaches the data phase (extra bytes)', () => {
  const p = pair();
  const msg1 = p.init.start(NOW);
  const msg2 = only(p.resp.receive(msg1, NOW), 'send').data;
  const aliceEv = p.init.receive(msg2, NOW);
  const msg3 = only(aliceEv, 'send').data;
  const alice = only(aliceEv, 'established');
  const frame = alice.dataPhase.encodeFrame([{ type: BlockType.DateTime, timestamp: 99 }]);
  const bob = only(p.resp.receive(Buffer.concat([msg3, frame]), NOW), 'established');
  assert.ok(bob.extra.equals(frame));
  const r = bob.dataPhase.receive(bob.extra);
  assert.deepEqual(r.frames[0]![0], { type: BlockType.DateTime, timestamp: 99 });
});

test('garbage message 1 fails with probing resistance and no response', () => {
  const p = pair({ responder: { probing: { maxReadMore: 100, minDelayMs: 10, maxDelayMs: 20 } } });
  const ev = p.resp.receive(randomBytes(64), NOW);
  assert.equal(ev.filter((e) => e.type === 'send').length, 0);
  const f = failOf(ev);
  assert.ok(['msg1-aead', 'msg1-bad-key'].includes(f.reason), f.reason);
  assert.equal(f.action.close, 'reset');
  assert.ok(f.action.delayMs >= 10 && f.action.delayMs <= 20);
  assert.ok(f.action.readMore >= 0 && f.action.readMore < 100);
  // Further input is ignored.
  assert.deepEqual(p.resp.receive(randomBytes(10), NOW), []);
});

test('X with the high bit set is rejected before any DH', () => {
  const p = pair();
  const msg1 = p.init.start(NOW);
  // Flip the top bit of X[31] through the CBC: X[31] is in block 2, which decrypts as D(c2) ^ c1;
  // flipping c1[15] flips X[31] (and garbles block 1, which we do not look at first).
  const bad = Buffer.from(msg1);
  bad[15]! ^= 0x80;
  const X = aes256CbcDecrypt(p.bob.ri.hash, p.bob.iv, bad.subarray(0, 32));
  const ev = p.resp.receive(bad, NOW);
  assert.equal(failOf(ev).reason, X[31]! & 0x80 ? 'msg1-bad-key' : 'msg1-aead');
});

test('wrong netId in message 1 is rejected', () => {
  const p = pair({ initiator: { netId: 2 } });
  assert.equal(failOf(p.resp.receive(p.init.start(NOW), NOW)).reason, 'msg1-netid');
});

test('netId 0 in message 1 is accepted (spec: only a nonzero mismatch fails)', () => {
  const p = pair({ initiator: { netId: 0 } });
  only(p.resp.receive(p.init.start(NOW), NOW), 'send');
});

test('clock skew: Bob still answers with SessionCreated, then closes; Alice rejects Bob\'s skewed time', () => {
  const p = pair();
  const msg1 = p.init.start(NOW - 61_000);
  const ev = p.resp.receive(msg1, NOW);
  const msg2 = only(ev, 'send').data;
  const f = failOf(ev);
  assert.equal(f.reason, 'clock-skew');
  assert.equal(f.action.close, 'end');
  // Alice (whose clock is 61 s behind) sees Bob's timestamp as skewed.
  assert.equal(failOf(p.init.receive(msg2, NOW - 61_000)).reason, 'clock-skew');
});

test('skew within 60 s is accepted', () => {
  const p = pair();
  run(p, NOW);
  const q = pair();
  const msg1 = q.init.start(NOW + 59_000);
  only(q.resp.receive(msg1, NOW), 'send');
});

test('each side learns the peer\'s clock from its handshake timestamp (clock skew samples)', () => {
  const p = pair();
  // Alice's clock is 20 s ahead of Bob's.
  const alice = NOW + 20_000;
  const msg1 = p.init.start(alice);
  const msg2 = only(p.resp.receive(msg1, NOW), 'send').data;
  const aliceEvents = p.init.receive(msg2, alice + 5);
  const bobEvents = p.resp.receive(only(aliceEvents, 'send').data, NOW + 5);
  const atAlice = only(aliceEvents, 'established').peerClockSkewMs;
  const atBob = only(bobEvents, 'established').peerClockSkewMs;
  assert.ok(Math.abs(atAlice - -20_000) <= 1_005, `Alice sees Bob 20 s behind: ${atAlice}`);
  assert.ok(Math.abs(atBob - 20_000) <= 1_005, `Bob sees Alice 20 s ahead: ${atBob}`);
});

test('a replayed SessionRequest (same X) is rejected', () => {
  const cache = new ReplayCache();
  const p = pair({ responder: { replayCache: cache } });
  const msg1 = p.init.start(NOW);
  only(p.resp.receive(msg1, NOW), 'send');
  const bob2 = new NTCP2Responder({
    staticKey: p.bob.staticKey,
    routerHash: p.bob.ri.hash,
    iv: p.bob.iv,
    netId: NET_ID,
    replayCache: cache,
    probing: NO_PROBING,
  });
  assert.equal(failOf(bob2.receive(msg1, NOW + 1000)).reason, 'msg1-replay');
  // After the cache lifetime the same X would be accepted again (its timestamp would fail).
  assert.equal(cache.has(aes256CbcDecrypt(p.bob.ri.hash, p.bob.iv, msg1.subarray(0, 32)), NOW + cache.ttlMs + 1), false);
});

test('extra bytes after message 1 (before Bob answered) fail the handshake', () => {
  const p = pair({ initiator: { padding: 5 } });
  const msg1 = p.init.start(NOW);
  assert.equal(failOf(p.resp.receive(Buffer.concat([msg1, Buffer.of(1, 2, 3)]), NOW)).reason, 'msg1-extra-data');
});

test('tampered message 1 padding makes message 2 fail at Alice (padding is authenticated)', () => {
  const p = pair({ initiator: { padding: 8 } });
  const msg1 = Buffer.from(p.init.start(NOW));
  msg1[msg1.length - 1]! ^= 1;
  const msg2 = only(p.resp.receive(msg1, NOW), 'send').data;
  assert.equal(failOf(p.init.receive(msg2, NOW)).reason, 'msg2-aead');
});

test('extra bytes after message 2 fail at Alice', () => {
  const p = pair();
  const msg2 = only(p.resp.receive(p.init.start(NOW), NOW), 'send').data;
  assert.equal(failOf(p.init.receive(Buffer.concat([msg2, Buffer.of(0)]), NOW)).reason, 'msg2-extra-data');
});

test('message 2 from a different Bob (wrong static key) fails at Alice', () => {
  const alice = makeRouter({ published: NOW });
  const bob = makeRouter({ published: NOW });
  const init = new NTCP2Initiator({
    staticKey: alice.staticKey,
    routerInfo: alice.ri.raw,
    // Alice believes Bob's key is some other key.
    remote: { routerHash: bob.ri.hash, staticKey: X25519KeyPair.generate().publicKey, iv: bob.iv },
    netId: NET_ID,
  });
  const resp = new NTCP2Responder({ staticKey: bob.staticKey, routerHash: bob.ri.hash, iv: bob.iv, netId: NET_ID, replayCache: new ReplayCache(), probing: NO_PROBING });
  // Bob cannot even authenticate message 1.
  assert.equal(failOf(resp.receive(init.start(NOW), NOW)).reason, 'msg1-aead');
});

function msg3Failure(alice: TestRouter, mutate?: (msg3: Buffer) => Buffer): FailEvent {
  const p = pair({ alice });
  const msg2 = only(p.resp.receive(p.init.start(NOW), NOW), 'send').data;
  let msg3 = only(p.init.receive(msg2, NOW), 'send').data;
  if (mutate) msg3 = mutate(Buffer.from(msg3));
  return failOf(p.resp.receive(msg3, NOW));
}

test('message 3 with a RouterInfo whose signature does not verify is rejected with a Termination', () => {
  const f = msg3Failure(makeRouter({ published: NOW, badSignature: true }));
  assert.equal(f.reason, 'ri-signature');
  assert.ok(f.action.send, 'a Termination frame is sent');
});

test('message 3 with a RouterInfo whose s does not match the handshake key is rejected', () => {
  const f = msg3Failure(makeRouter({ published: NOW, publishedStaticKey: X25519KeyPair.generate().publicKey }));
  assert.equal(f.reason, 'ri-static-key');
});

test('message 3 with a RouterInfo without NTCP2 address is rejected', () => {
  assert.equal(msg3Failure(makeRouter({ published: NOW, noNtcp2Address: true })).reason, 'ri-static-key');
});

test('message 3 with a RouterInfo of another network is rejected', () => {
  assert.equal(msg3Failure(makeRouter({ published: NOW, netId: 2 })).reason, 'ri-netid');
});

test('message 3 with a stale RouterInfo is rejected', () => {
  assert.equal(msg3Failure(makeRouter({ published: NOW - 2 * 3600_000 })).reason, 'ri-published');
});

test('message 3 with a flipped byte fails AEAD (part 1 and part 2)', () => {
  const alice = makeRouter({ published: NOW });
  assert.equal(
    msg3Failure(alice, (m) => {
      m[5]! ^= 1;
      return m;
    }).reason,
    'msg3-p1-aead',
  );
  const f = msg3Failure(alice, (m) => {
    m[m.length - 1]! ^= 1;
    return m;
  });
  assert.equal(f.reason, 'msg3-p2-aead');
  assert.equal(f.action.send, undefined);
});

test('the Termination sent for a bad RouterInfo decrypts at Alice with the right reason', () => {
  const alice = makeRouter({ published: NOW, badSignature: true });
  const p = pair({ alice });
  const msg2 = only(p.resp.receive(p.init.start(NOW), NOW), 'send').data;
  const aliceEv = p.init.receive(msg2, NOW);
  const f = failOf(p.resp.receive(only(aliceEv, 'send').data, NOW));
  const r = only(aliceEv, 'established').dataPhase.receive(f.action.send!);
  assert.equal(r.error, undefined);
  const term = r.frames[0]!.find((b) => b.type === BlockType.Termination);
  assert.ok(term && term.type === BlockType.Termination);
  assert.equal(term.reason, TerminationReason.RouterInfoSignatureVerificationFail);
});

test('message 3 part 2 payload must start with the RouterInfo block', () => {
  // Sanity of the codec rule the responder relies on.
  assert.throws(() => decodeBlocks(Buffer.from([254, 0, 0]), 'message3'), /message 3 part 2/);
});

test('Alice learns the skew from an i2pd-style SessionCreated that ignores her padding', () => {
  const alice = makeRouter({ published: NOW });
  const bob = makeRouter({ published: NOW });
  const init = new NTCP2Initiator({
    staticKey: alice.staticKey,
    routerInfo: alice.ri.raw,
    remote: { routerHash: bob.ri.hash, staticKey: bob.staticKey.publicKey, iv: bob.iv },
    netId: NET_ID,
    padding: 20,
  });
  const msg1 = init.start(NOW);
  // Bob as i2pd 2.45.1 does it for a skewed request: message 2 KDF without Alice's padding.
  const X = aes256CbcDecrypt(bob.ri.hash, bob.iv, msg1.subarray(0, 32));
  const ss = ntcp2InitialState(bob.staticKey.publicKey);
  ss.mixHash(X);
  ss.mixKey(bob.staticKey.agree(X));
  ss.decryptAndHash(msg1.subarray(32, 64));
  const eph = X25519KeyPair.generate();
  const encY = aes256CbcEncrypt(bob.ri.hash, msg1.subarray(16, 32), eph.publicKey);
  ss.mixHash(eph.publicKey);
  ss.mixKey(eph.agree(X));
  const tsB = Math.round(NOW / 1000) + 3600;
  const msg2 = Buffer.concat([encY, ss.encryptAndHash(encodeSessionCreatedOptions({ padLen: 0, tsB }))]);
  const f = failOf(init.receive(msg2, NOW));
  assert.equal(f.reason, 'clock-skew');
  assert.equal(f.peerClockSkewMs, 3600_000);
});

test('the unpadded fallback never turns a forged message 2 into a success', () => {
  const p = pair({ initiator: { padding: 20 } });
  p.init.start(NOW);
  assert.equal(failOf(p.init.receive(randomBytes(64), NOW)).reason, 'msg2-aead');
});

test('message 1 with excessive padding or an impossible m3p2len is rejected', () => {
  const p = pair({ initiator: { padding: 2000 } });
  assert.equal(failOf(p.resp.receive(p.init.start(NOW), NOW)).reason, 'msg1-padding');
  const tiny = makeRouter({ published: NOW });
  const q = pair({ alice: { ...tiny, ri: tiny.ri }, initiator: { routerInfo: Buffer.alloc(10) } });
  assert.equal(failOf(q.resp.receive(q.init.start(NOW), NOW)).reason, 'msg1-m3p2len');
});

test('ReplayCache expires entries and stays bounded', () => {
  const c = new ReplayCache(1000, 3);
  const k = (i: number): Buffer => Buffer.alloc(32, i);
  assert.equal(c.add(k(1), 0), true);
  assert.equal(c.add(k(1), 10), false);
  assert.equal(c.has(k(1), 999), true);
  assert.equal(c.has(k(1), 1000), false);
  for (let i = 0; i < 10; i++) c.add(k(i + 10), 2000 + i);
  assert.equal(c.size, 3);
  assert.equal(c.has(k(19), 2010), true);
  assert.equal(c.has(k(10), 2010), false);
});
