import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Duplex } from 'node:stream';
import { httpConnect } from '../../../src/gateway/http-connect.js';
import { connectAuthority, encodeHttpConnect, parseHttpConnectReply, MAX_CONNECT_REPLY_HEAD } from '../../../src/util/http-connect.js';
import { I2PBackendError } from '../../../src/gateway/i2p-backend.js';
import { ProtocolError } from '../../../src/util/errors.js';

test('CONNECT request and reply head (the shared codec)', () => {
  assert.equal(encodeHttpConnect('example.com:443').toString(), 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  assert.equal(connectAuthority('::1', 80), '[::1]:80');
  assert.throws(() => encodeHttpConnect('a b:1\r\nX: y'), RangeError);
  assert.equal(parseHttpConnectReply(Buffer.from('HTTP/1.1 200 Connection established\r\n')), undefined);
  assert.deepEqual(parseHttpConnectReply(Buffer.from('HTTP/1.1 200 Connection established\r\nProxy-Agent: x\r\n\r\nTLS')), { status: 200, statusLine: 'HTTP/1.1 200 Connection established', headLength: 55 });
  assert.deepEqual(parseHttpConnectReply(Buffer.from('HTTP/1.0 403\r\n\r\n')), { status: 403, statusLine: 'HTTP/1.0 403', headLength: 16 });
  assert.throws(() => parseHttpConnectReply(Buffer.from('SSH-2.0-x\r\n\r\n')), ProtocolError);
  assert.throws(() => parseHttpConnectReply(Buffer.alloc(MAX_CONNECT_REPLY_HEAD, 0x41)), ProtocolError);
  assert.throws(() => parseHttpConnectReply(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nX: '), Buffer.alloc(MAX_CONNECT_REPLY_HEAD, 0x41), Buffer.from('\r\n\r\n')])), ProtocolError);
});

/** Two PassThroughs as the two directions of a stream to an "outproxy" the test plays. */
function pair(): { ours: Duplex; toProxy: PassThrough; fromProxy: PassThrough } {
  const toProxy = new PassThrough();
  const fromProxy = new PassThrough();
  const ours = Duplex.from({ readable: fromProxy, writable: toProxy });
  return { ours, toProxy, fromProxy };
}

test('httpConnect: 200 resolves and bytes after the head stay in the stream', async () => {
  const { ours, toProxy, fromProxy } = pair();
  const p = httpConnect(ours, 'example.com:443');
  const request = await new Promise<Buffer>((resolve) => toProxy.once('data', resolve));
  assert.equal(request.toString(), 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  fromProxy.write('HTTP/1.1 200 OK\r\n');
  fromProxy.write('\r\nfirst bytes');
  await p;
  // httpConnect leaves the stream paused for the pipe that follows.
  assert.ok(ours.isPaused());
  const rest = await new Promise<Buffer>((resolve) => ours.once('data', resolve).resume());
  assert.equal(rest.toString(), 'first bytes');
});

test('httpConnect: 403, garbage and an early close are typed errors', async () => {
  const a = pair();
  const pa = httpConnect(a.ours, 'x.com:80');
  a.fromProxy.write('HTTP/1.1 403 Forbidden\r\n\r\n');
  await assert.rejects(pa, (e: I2PBackendError) => e.kind === 'refused');
  const b = pair();
  const pb = httpConnect(b.ours, 'x.com:80');
  b.fromProxy.write('garbage\r\n\r\n');
  await assert.rejects(pb, (e: I2PBackendError) => e.kind === 'protocol');
  const c = pair();
  const pc = httpConnect(c.ours, 'x.com:80');
  c.fromProxy.end();
  await assert.rejects(pc, (e: I2PBackendError) => e.kind === 'unreachable');
});
