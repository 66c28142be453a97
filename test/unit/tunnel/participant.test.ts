import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { I2NPType, type I2NPMessage } from '../../../src/i2np/message.js';
import { encodeTunnelGateway } from '../../../src/i2np/tunnel-gateway.js';
import { gatewayMessage } from '../../../src/tunnel/gateway-fragmenter.js';
import { TUNNEL_LIFETIME_MS, TransitTunnel, type TransitRole } from '../../../src/tunnel/participant.js';
import { OutboundTunnelGateway } from '../../../src/tunnel/tunnel-ends.js';
import { i2npOfLength } from './data-path-helpers.js';

const NOW = 1_700_000_000_000;
const layerKey = randomBytes(32);
const ivKey = randomBytes(32);
const nextIdent = randomBytes(32);

function transit(role: TransitRole): TransitTunnel {
  return new TransitTunnel({ role, receiveTunnelId: 1111, nextTunnelId: 2222, nextIdent, layerKey, ivKey, createdAt: NOW });
}

function tunnelData(tunnelId: number, body = randomBytes(1024)): I2NPMessage {
  const payload = Buffer.concat([Buffer.alloc(4), body]);
  payload.writeUInt32BE(tunnelId, 0);
  return { type: I2NPType.TunnelData, msgId: 5, expiration: NOW + 3000, payload };
}

function ecb(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return c.update(block);
}

test('participant: one layer (checked with node:crypto), next tunnel id, next hop, same expiration, fresh msgId', () => {
  const t = transit('participant');
  const body = randomBytes(1024);
  const [a, ...rest] = t.receive(tunnelData(1111, body), NOW);
  assert.equal(rest.length, 0);
  assert.deepEqual(a!.sendTo, nextIdent);
  assert.equal(a!.message.type, I2NPType.TunnelData);
  assert.equal(a!.message.expiration, NOW + 3000);
  const p = a!.message.payload;
  assert.equal(p.length, 1028);
  assert.equal(p.readUInt32BE(0), 2222);
  const ivPrime = ecb(ivKey, body.subarray(0, 16));
  assert.deepEqual(p.subarray(4, 20), ecb(ivKey, ivPrime));
  const cbc = createCipheriv('aes-256-cbc', layerKey, ivPrime);
  cbc.setAutoPadding(false);
  assert.deepEqual(p.subarray(20), cbc.update(body.subarray(16)));
  assert.deepEqual(t.counters, { messagesIn: 1, bytesIn: 1028, messagesOut: 1, bytesOut: 1028, dropped: {} });
});

test('bad input is dropped and counted: wrong type, wrong tunnel, wrong length, tunnel 0, bad TunnelGateway', () => {
  const t = transit('participant');
  assert.deepEqual(t.receive({ ...tunnelData(1111), type: I2NPType.Data }, NOW), []);
  assert.deepEqual(t.receive(tunnelData(1112), NOW), []);
  assert.deepEqual(t.receive({ ...tunnelData(1111), payload: randomBytes(1027) }, NOW), []);
  assert.deepEqual(t.receive({ ...tunnelData(1111), payload: Buffer.alloc(0) }, NOW), []);
  assert.deepEqual(t.receive(tunnelData(0), NOW), []);
  assert.deepEqual(t.counters.dropped, { 'wrong-type': 1, 'wrong-tunnel': 1, length: 2, 'tunnel-id': 1 });
  assert.equal(t.counters.messagesIn, 5);
  assert.equal(t.counters.messagesOut, 0);

  const g = transit('inboundGateway');
  assert.deepEqual(g.receive(tunnelData(1111), NOW), []);
  const tg = encodeTunnelGateway({ tunnelId: 1111, message: i2npOfLength(100) });
  const wrapped = (payload: Buffer): I2NPMessage => ({ type: I2NPType.TunnelGateway, msgId: 1, expiration: NOW, payload });
  const badSum = Buffer.from(tg);
  badSum[tg.length - 1]! ^= 1;
  assert.deepEqual(g.receive(wrapped(badSum), NOW), []);
  assert.deepEqual(g.receive(wrapped(tg.subarray(0, 50)), NOW), []);
  const other = Buffer.from(tg);
  other.writeUInt32BE(9, 0);
  assert.deepEqual(g.receive(wrapped(other), NOW), []);
  assert.deepEqual(g.counters.dropped, { 'wrong-type': 1, checksum: 1, truncated: 1, 'wrong-tunnel': 1 });
  assert.equal(g.receive(wrapped(tg), NOW).length, 1);
});

test('inbound gateway: packs a batch of TunnelGateway messages together, refuses oversize ones', () => {
  const g = transit('inboundGateway');
  const small = [100, 200, 300].map((n) => ({
    type: I2NPType.TunnelGateway, msgId: 1, expiration: NOW, payload: encodeTunnelGateway({ tunnelId: 1111, message: i2npOfLength(n) }),
  }));
  const out = g.receiveBatch(small, NOW);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.message.payload.readUInt32BE(0), 2222);
  assert.equal(out[0]!.message.expiration, NOW + 8000);
  const huge = { type: I2NPType.TunnelGateway, msgId: 1, expiration: NOW, payload: encodeTunnelGateway({ tunnelId: 1111, message: i2npOfLength(65_000) }) };
  assert.deepEqual(g.receive(huge, NOW), []);
  assert.equal(g.counters.dropped['too-large'], 1);
});

test('tunnels expire 10 minutes after creation and then drop everything', () => {
  const t = transit('participant');
  assert.equal(t.expiresAt, NOW + TUNNEL_LIFETIME_MS);
  assert.equal(TUNNEL_LIFETIME_MS, 600_000);
  assert.equal(t.isExpired(NOW + 599_999), false);
  assert.equal(t.receive(tunnelData(1111), NOW + 599_999).length, 1);
  assert.equal(t.isExpired(NOW + 600_000), true);
  assert.deepEqual(t.receive(tunnelData(1111), NOW + 600_000), []);
  assert.equal(t.counters.dropped.expired, 1);
});

test('outbound endpoint: LOCAL delivery is dropped (unimplemented for outbound tunnels); ROUTER to ourselves is still an action', () => {
  const obep = transit('outboundEndpoint');
  const gw = new OutboundTunnelGateway({ firstHop: randomBytes(32), firstTunnelId: 1111, hops: [{ layerKey, ivKey }] });
  const self = randomBytes(32);
  const m = i2npOfLength(3000);
  const { actions } = gw.send([gatewayMessage({ kind: 'local' }, i2npOfLength(50)), gatewayMessage({ kind: 'router', hash: self }, m)], NOW);
  const out = actions.flatMap((a) => obep.receive(a.message, NOW));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.sendTo, self);
  assert.deepEqual(out[0]!.message, m);
  assert.equal(obep.counters.dropped['local-at-obep'], 1);
  assert.equal(obep.counters.messagesIn, actions.length);
  assert.equal(obep.counters.messagesOut, 1);
  assert.equal(obep.reassembly!.delivered, 2);
});

test('outbound endpoint: garbage TunnelData is counted by the reassembler (checksum, missing zero byte), not delivered', () => {
  const obep = transit('outboundEndpoint');
  for (let i = 0; i < 100; i++) assert.deepEqual(obep.receive(tunnelData(1111), NOW), []);
  // Almost all fail the checksum; about 2% of random plaintexts have no zero byte at all.
  const { checksum = 0, 'no-zero-byte': noZero = 0, ...other } = obep.reassembly!.dropped;
  assert.equal(checksum + noZero, 100);
  assert.deepEqual(other, {});
  assert.equal(obep.reassembly!.delivered, 0);
  assert.deepEqual(obep.counters.dropped, {});
});

test('configuration is validated', () => {
  const base = { role: 'participant' as const, receiveTunnelId: 1, nextTunnelId: 2, nextIdent, layerKey, ivKey, createdAt: NOW };
  assert.throws(() => new TransitTunnel({ ...base, receiveTunnelId: 0 }), RangeError);
  assert.throws(() => new TransitTunnel({ ...base, nextTunnelId: 2 ** 32 }), RangeError);
  assert.throws(() => new TransitTunnel({ ...base, nextIdent: randomBytes(31) }), RangeError);
  assert.throws(() => new TransitTunnel({ ...base, layerKey: randomBytes(16) }), RangeError);
});
