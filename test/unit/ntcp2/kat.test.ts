// Known-answer tests against vectors computed by an independent Python implementation of
// ntcp2.rst (kat/gen_vectors.py, using the `cryptography` package), plus i2pd's published
// constants for the protocol-name hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X25519KeyPair, sha256 } from '../../../src/crypto/index.js';
import { NTCP2_PROTOCOL_NAME, SymmetricState, ntcp2DataPhaseKeys } from '../../../src/crypto/noise.js';
import { NTCP2Initiator } from '../../../src/transport/ntcp2/handshake-initiator.js';
import { NTCP2Responder } from '../../../src/transport/ntcp2/handshake-responder.js';
import { ReplayCache } from '../../../src/transport/ntcp2/replay-cache.js';
import { BlockType } from '../../../src/transport/ntcp2/blocks.js';
import type { EstablishedEvent, HandshakeEvent } from '../../../src/transport/ntcp2/handshake-common.js';
import { VECTORS as V } from './kat/vectors.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('protocol name hashes match the constants i2pd hard-codes', () => {
  assert.equal(Buffer.byteLength(NTCP2_PROTOCOL_NAME), 48);
  const h = sha256(Buffer.from(NTCP2_PROTOCOL_NAME));
  assert.equal(h.toString('hex'), '72e842c545e18080d39c4493bb91d7edf228981771218c1f624e206f28d32f71');
  assert.equal(sha256(h).toString('hex'), '49ff483fc404b9b26b11943672ff05b561270331ba89b8fc3315938757dd3d1e');
  const s = SymmetricState.initialize(NTCP2_PROTOCOL_NAME);
  assert.ok(s.ck.equals(h) && s.h.equals(h));
});

function first<T extends HandshakeEvent['type']>(ev: HandshakeEvent[], type: T): Extract<HandshakeEvent, { type: T }> {
  const e = ev.find((x) => x.type === type);
  assert.ok(e, `no ${type} event in ${JSON.stringify(ev.map((x) => (x.type === 'fail' ? x.message : x.type)))}`);
  return e as Extract<HandshakeEvent, { type: T }>;
}

test('handshake messages and data-phase frames match the independent implementation', () => {
  const now = V.ts * 1000;
  const init = new NTCP2Initiator({
    staticKey: X25519KeyPair.fromPrivate(hex(V.aliceStatic)),
    routerInfo: hex(V.ri),
    remote: { routerHash: hex(V.rhB), staticKey: X25519KeyPair.fromPrivate(hex(V.bobStatic)).publicKey, iv: hex(V.ivB) },
    netId: V.netId,
    ephemeral: X25519KeyPair.fromPrivate(hex(V.aliceEph)),
    padding: 0,
    message3Padding: 0,
  });
  const resp = new NTCP2Responder({
    staticKey: X25519KeyPair.fromPrivate(hex(V.bobStatic)),
    routerHash: hex(V.rhB),
    iv: hex(V.ivB),
    netId: V.netId,
    replayCache: new ReplayCache(),
    ephemeral: X25519KeyPair.fromPrivate(hex(V.bobEph)),
    padding: 0,
  });
  const msg1 = init.start(now);
  assert.equal(msg1.toString('hex'), V.msg1);
  const msg2 = first(resp.receive(msg1, now), 'send').data;
  assert.equal(msg2.toString('hex'), V.msg2);
  const aliceEv = init.receive(msg2, now);
  assert.equal(first(aliceEv, 'send').data.toString('hex'), V.msg3);
  const alice: EstablishedEvent = first(aliceEv, 'established');

  // Alice -> Bob frames: k_ab, sipkeys_ab, nonces 0 and 1.
  const dt = { type: BlockType.DateTime, timestamp: V.ts } as const;
  const f0 = alice.dataPhase.encodeFrame([dt], 0);
  const f1 = alice.dataPhase.encodeFrame([dt, { type: BlockType.Padding, length: 1, data: Buffer.of(0xee) }], 0);
  assert.equal(Buffer.concat([f0, f1]).toString('hex'), V.framesAB);

  // Bob -> Alice frames from the independent implementation decrypt at Alice.
  const r = alice.dataPhase.receive(hex(V.framesBA));
  assert.equal(r.error, undefined);
  assert.deepEqual(r.frames, [[dt], [{ type: BlockType.Padding, length: 0 }]]);
});

test('ntcp2DataPhaseKeys derives k_ab, k_ba and the SipHash keys as the spec', () => {
  const s = SymmetricState.initialize(NTCP2_PROTOCOL_NAME);
  s.ck = hex(V.ck);
  s.h = hex(V.h);
  const k = ntcp2DataPhaseKeys(s);
  assert.equal(k.kAB.toString('hex'), V.kAB);
  assert.equal(k.kBA.toString('hex'), V.kBA);
  assert.equal(Buffer.concat([k.sipAB.k1, k.sipAB.k2, k.sipAB.iv]).toString('hex'), V.sipAB.slice(0, 48));
  assert.equal(Buffer.concat([k.sipBA.k1, k.sipBA.k2, k.sipBA.iv]).toString('hex'), V.sipBA.slice(0, 48));
});
