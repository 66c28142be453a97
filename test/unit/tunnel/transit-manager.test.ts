import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { TunnelBuildHop } from '../../../src/tunnel/build/build-request.js';
import { createTunnelBuild } from '../../../src/tunnel/build/build-creator.js';
import { TransitManager } from '../../../src/tunnel/transit-manager.js';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { decodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import { silentLogger } from '../../../src/util/log.js';
import { localMessages, openOneTimeReply } from '../../../src/garlic/one-time-reply.js';

const NOW = 1_764_000_000_000;

function hop(): { hash: Buffer; key: X25519KeyPair } {
  return { hash: randomBytes(32), key: X25519KeyPair.generate() };
}

function manager(me: { hash: Buffer; key: X25519KeyPair }, max = 10): { tm: TransitManager; sent: Array<{ to: Buffer; m: I2NPMessage }> } {
  const sent: Array<{ to: Buffer; m: I2NPMessage }> = [];
  const tm = new TransitManager({
    hop: new TunnelBuildHop({ identHash: me.hash, encryptionKey: me.key }),
    ourHash: me.hash,
    maxTransitTunnels: max,
    deliver: (to, m) => sent.push({ to, m }),
    newMessageId: () => 7,
    now: () => NOW,
    log: silentLogger(),
  });
  return { tm, sent };
}

test('a short outbound build through two hops: middle forwards, endpoint replies via TunnelGateway+garlic; the creator reads both accepts', () => {
  const us = hop();
  const a = hop();
  const b = hop();
  const replyGateway = randomBytes(32);
  const req = createTunnelBuild({
    format: 'short',
    direction: 'outbound',
    hops: [{ identHash: a.hash, encryptionKey: a.key.publicKey }, { identHash: b.hash, encryptionKey: b.key.publicKey }],
    ourIdentHash: us.hash,
    replyTunnelId: 4242,
    replyGateway,
    now: NOW,
  });
  const A = manager(a);
  const B = manager(b);
  assert.equal(A.tm.handle({ type: req.type, msgId: req.msgId, expiration: NOW + 60_000, payload: req.payload }), true);
  assert.equal(A.sent.length, 1);
  assert.deepEqual(A.sent[0]!.to, b.hash, 'forwarded to the next hop');
  assert.equal(A.sent[0]!.m.type, I2NPType.ShortTunnelBuild);
  B.tm.handle(A.sent[0]!.m);
  assert.equal(B.sent.length, 1);
  assert.deepEqual(B.sent[0]!.to, replyGateway, 'the endpoint sends the reply to the reply gateway');
  assert.equal(B.sent[0]!.m.type, I2NPType.TunnelGateway);
  const tg = decodeTunnelGateway(B.sent[0]!.m.payload);
  assert.equal(tg.tunnelId, 4242);
  assert.equal(tg.message.type, I2NPType.Garlic, 'short build replies are garlic-wrapped');
  // The creator opens the garlic with the key/tag it put in the endpoint's record and reads both accepts.
  const [reply] = localMessages(openOneTimeReply(req.pending.garlicReplyKey!, req.pending.garlicReplyTag!, tg.message.payload));
  assert.ok(reply);
  assert.equal(reply.msgId, req.pending.replyMessageId);
  const result = req.pending.handleReply(reply.type, reply.payload);
  assert.equal(result.accepted, true);
  assert.deepEqual(result.hops.map((h) => h.code), [0, 0]);
  assert.equal(A.tm.size, 1);
  assert.equal(B.tm.size, 1);
  assert.equal(A.tm.counters.accepted, 1);
  const [listed] = B.tm.list();
  assert.equal(listed?.role, 'outboundEndpoint', 'list() shows the tunnel we carry and our role in it');
  assert.ok(listed.expiresAt - listed.createdAt === 10 * 60_000);
});

test('over the limit the request is answered with a refusal and nothing is kept; garbage is counted', () => {
  const us = hop();
  const a = hop();
  const req = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [{ identHash: a.hash, encryptionKey: a.key.publicKey }], ourIdentHash: us.hash, replyTunnelId: 9, replyGateway: us.hash, now: NOW });
  const A = manager(a, 0);
  A.tm.handle({ type: req.type, msgId: req.msgId, expiration: NOW + 60_000, payload: req.payload });
  assert.equal(A.tm.size, 0);
  assert.deepEqual(A.tm.counters.rejected, { limit: 1 });
  assert.equal(A.sent.length, 1, 'the refusal still goes back to the creator');
  const tg = decodeTunnelGateway(A.sent[0]!.m.payload);
  const [reply] = localMessages(openOneTimeReply(req.pending.garlicReplyKey!, req.pending.garlicReplyTag!, tg.message.payload));
  const result = req.pending.handleReply(reply!.type, reply!.payload);
  assert.equal(result.accepted, false);
  assert.equal(result.hops[0]!.code, 30, 'TUNNEL_REJECT_BANDWIDTH');
  // Replaying the same build message is refused by the replay cache, silently.
  A.tm.handle({ type: req.type, msgId: req.msgId, expiration: NOW + 60_000, payload: req.payload });
  assert.equal(A.sent.length, 1);
  A.tm.handle({ type: I2NPType.ShortTunnelBuild, msgId: 1, expiration: NOW, payload: Buffer.concat([Buffer.of(4), randomBytes(4 * 218)]) });
  A.tm.handle({ type: I2NPType.ShortTunnelBuild, msgId: 1, expiration: NOW, payload: randomBytes(7) });
  A.tm.handle({ type: I2NPType.TunnelData, msgId: 1, expiration: NOW, payload: randomBytes(1028) });
  A.tm.handle({ type: I2NPType.TunnelGateway, msgId: 1, expiration: NOW, payload: randomBytes(40) });
  const dropped = A.tm.counters.dropped;
  assert.ok(Object.keys(dropped).some((k) => k.startsWith('build:replay')), JSON.stringify(dropped));
  assert.ok(Object.keys(dropped).some((k) => k.startsWith('build:not-ours')), JSON.stringify(dropped));
  assert.ok(Object.keys(dropped).length >= 5, `a truncated build message is counted too: ${JSON.stringify(dropped)}`);
  assert.equal(dropped['TunnelData:unknown-tunnel'], 1);
  assert.ok(Object.keys(dropped).some((k) => k.startsWith('TunnelGateway:')), JSON.stringify(dropped));
});

test('transit tunnels expire ten minutes after creation', () => {
  const us = hop();
  const a = hop();
  const req = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [{ identHash: a.hash, encryptionKey: a.key.publicKey }], ourIdentHash: us.hash, replyTunnelId: 9, replyGateway: us.hash, now: NOW });
  const A = manager(a);
  A.tm.handle({ type: req.type, msgId: req.msgId, expiration: NOW + 60_000, payload: req.payload });
  assert.equal(A.tm.size, 1);
  assert.equal(A.tm.expire(NOW + 9 * 60_000), 0);
  assert.equal(A.tm.expire(NOW + 10 * 60_000), 1);
  assert.equal(A.tm.size, 0);
  assert.equal(A.tm.counters.expired, 1);
});

test('over the transit bandwidth share, new tunnels are refused', () => {
  const us = hop();
  const a = hop();
  const req = createTunnelBuild({ format: 'short', direction: 'outbound', hops: [{ identHash: a.hash, encryptionKey: a.key.publicKey }], ourIdentHash: us.hash, replyTunnelId: 9, replyGateway: us.hash, now: NOW });
  const sent: I2NPMessage[] = [];
  const tm = new TransitManager({
    hop: new TunnelBuildHop({ identHash: a.hash, encryptionKey: a.key }),
    ourHash: a.hash,
    maxTransitTunnels: 10,
    deliver: (_to, m) => sent.push(m),
    newMessageId: () => 7,
    now: () => NOW,
    log: silentLogger(),
    overBandwidth: () => true,
  });
  tm.handle({ type: req.type, msgId: req.msgId, expiration: NOW + 60_000, payload: req.payload });
  assert.equal(tm.size, 0);
  assert.deepEqual(tm.counters.rejected, { bandwidth: 1 });
  assert.equal(sent.length, 1);
});
