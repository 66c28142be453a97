import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helloCommand, namingLookupCommand, sessionCreateCommand, streamConnectCommand } from '../../../src/client/sam/sam-commands.js';
import { SamExchange, type SamExchangeEvent } from '../../../src/client/sam/sam-exchange.js';
import { SamProtocolError } from '../../../src/client/sam/sam-line.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

function afterHello(): SamExchange {
  const x = new SamExchange();
  x.send(helloCommand(), 0, 1000);
  const ev = x.receive(b('HELLO REPLY RESULT=OK VERSION=3.1\n'), 1);
  assert.equal(ev.length, 1);
  assert.equal(x.state, 'ready');
  return x;
}

function replies(ev: SamExchangeEvent[]): string[] {
  return ev.map((e) => (e.type === 'reply' ? `${e.reply.command} ${e.reply.subcommand} ${e.reply.options.get('RESULT')}` : e.type));
}

test('HELLO first, then one command at a time', () => {
  const x = new SamExchange();
  assert.throws(() => x.send(namingLookupCommand('a.i2p'), 0, 1000), /cannot send NAMING in state new/);
  assert.equal(x.send(helloCommand(), 0, 1000).toString(), 'HELLO VERSION MIN=3.1 MAX=3.3\n');
  assert.equal(x.state, 'waiting');
  assert.throws(() => x.send(namingLookupCommand('a.i2p'), 0, 1000), /state waiting/);
  x.receive(b('HELLO REPLY RESULT=OK VERSION=3.1\n'), 1);
  assert.throws(() => x.send(helloCommand(), 2, 1000), /cannot send HELLO/);
  x.send(namingLookupCommand('a.i2p'), 2, 1000);
  assert.deepEqual(replies(x.receive(b('NAMING REPLY RESULT=INVALID_KEY NAME=a.i2p\n'), 3)), ['NAMING REPLY INVALID_KEY']);
  assert.equal(x.state, 'ready');
});

test('a reply fed one byte at a time is delivered once, when complete', () => {
  const x = afterHello();
  x.send(sessionCreateCommand('gg-1'), 0, 60_000);
  const all: SamExchangeEvent[] = [];
  for (const byte of b('SESSION STATUS RESULT=OK DESTINATION=AAAA\n')) all.push(...x.receive(Buffer.from([byte]), 5));
  assert.deepEqual(replies(all), ['SESSION STATUS OK']);
});

test('a reply that answers another command is a protocol error', () => {
  const x = afterHello();
  x.send(namingLookupCommand('a.i2p'), 0, 1000);
  assert.throws(() => x.receive(b('STREAM STATUS RESULT=OK\n'), 1), (e: unknown) => e instanceof SamProtocolError && e.code === 'unexpected-reply');
  const h = new SamExchange();
  h.send(helloCommand(), 0, 1000);
  assert.throws(() => h.receive(b('SESSION STATUS RESULT=I2P_ERROR MESSAGE=timeout\n'), 1), SamProtocolError);
});

test('the bridge speaking before HELLO is a protocol error', () => {
  const x = new SamExchange();
  assert.throws(() => x.receive(b('HELLO REPLY RESULT=OK VERSION=3.1\n'), 0), (e: unknown) => e instanceof SamProtocolError && e.code === 'unexpected-reply');
});

test('a line when nothing was asked is reported as unsolicited (session socket)', () => {
  const x = afterHello();
  x.send(sessionCreateCommand('gg-1'), 0, 60_000);
  const ev = x.receive(b('SESSION STATUS RESULT=OK DESTINATION=AAAA\nSESSION STATUS RESULT=I2P_ERROR MESSAGE="bye"\n'), 1);
  assert.deepEqual(ev.map((e) => e.type), ['reply', 'unsolicited']);
  const u = ev[1]!;
  assert.ok(u.type === 'unsolicited' && u.reply.options.get('MESSAGE') === 'bye');
});

test('PING is answered with PONG and its text (SAM 3.2); PONG is ignored', () => {
  const x = afterHello();
  const ev = x.receive(b('PING 12345\nPONG whatever\nPING\n'), 1);
  assert.deepEqual(
    ev.map((e) => (e.type === 'write' ? e.bytes.toString() : e.type)),
    ['PONG 12345\n', 'PONG\n'],
  );
});

test('STREAM STATUS RESULT=OK: nothing after the line is parsed; the stream gets every byte', () => {
  const x = afterHello();
  x.send(streamConnectCommand('gg-1', 'a.i2p', 80), 0, 90_000);
  // An HTTP response and binary right behind the reply line, in the same read, and an overlong
  // "line": none of it is SAM's business any more.
  const data = Buffer.concat([b('HTTP/1.1 200 OK\r\n\r\n'), Buffer.from([0, 0xff, 0x0a]), Buffer.alloc(20_000, 0x41)]);
  const ev = x.receive(Buffer.concat([b('STREAM STATUS RESULT=OK\n'), data]), 1);
  assert.deepEqual(replies(ev), ['STREAM STATUS OK']);
  assert.equal(x.state, 'stream');
  assert.deepEqual(x.takeStream(), data);
  assert.throws(() => x.receive(b('x'), 2), /receive\(\) in state stream/);
});

test('STREAM STATUS failure: back to ready (the bridge closes the socket), no stream', () => {
  const x = afterHello();
  x.send(streamConnectCommand('gg-1', 'a.i2p', 80), 0, 90_000);
  assert.deepEqual(replies(x.receive(b('STREAM STATUS RESULT=CANT_REACH_PEER\n'), 1)), ['STREAM STATUS CANT_REACH_PEER']);
  assert.equal(x.state, 'ready');
  assert.throws(() => x.takeStream(), /takeStream\(\) in state ready/);
});

test('deadline: tick() past it closes the exchange with a timeout event; a late reply is refused', () => {
  const x = afterHello();
  x.send(namingLookupCommand('a.i2p'), 1000, 500);
  assert.equal(x.nextDeadline(), 1500);
  assert.deepEqual(x.tick(1499), []);
  assert.deepEqual(x.tick(1500), [{ type: 'timeout', command: 'NAMING LOOKUP' }]);
  assert.equal(x.state, 'closed');
  assert.equal(x.nextDeadline(), undefined);
  assert.throws(() => x.receive(b('NAMING REPLY RESULT=OK\n'), 1600), /state closed/);
});

test('deadline: bytes arriving after it count as a timeout, not a reply', () => {
  const x = afterHello();
  x.send(namingLookupCommand('a.i2p'), 0, 100);
  assert.deepEqual(x.receive(b('NAMING REPLY RESULT=KEY_NOT_FOUND\n'), 100), [{ type: 'timeout', command: 'NAMING LOOKUP' }]);
});

test('an overlong reply without newline is refused before it is complete', () => {
  const x = afterHello();
  x.send(namingLookupCommand('a.i2p'), 0, 1000);
  assert.throws(() => x.receive(Buffer.alloc(9000, 0x41), 1), (e: unknown) => e instanceof SamProtocolError && e.code === 'line-too-long');
});
