import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsTcpFramer, frameDnsMessage } from '../../../src/gateway/dns-tcp-framer.js';
import { ProtocolError } from '../../../src/util/errors.js';

test('messages split across and packed into chunks come out whole', () => {
  const f = new DnsTcpFramer(4096);
  const a = Buffer.alloc(30, 1);
  const b = Buffer.alloc(300, 2);
  const stream = Buffer.concat([frameDnsMessage(a), frameDnsMessage(b), frameDnsMessage(a)]);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 7) out.push(...f.push(stream.subarray(i, i + 7)));
  assert.deepEqual(out, [a, b, a]);
  assert.equal(f.buffered, 0);
});

test('a zero or oversized length is a protocol error before anything is buffered', () => {
  assert.throws(() => new DnsTcpFramer(4096).push(Buffer.from([0, 0])), ProtocolError);
  assert.throws(() => new DnsTcpFramer(4096).push(Buffer.from([0x10, 0x01, 0])), (e: ProtocolError) => e.code === 'dns-tcp-oversized');
});
