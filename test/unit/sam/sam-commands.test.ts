import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  compareSamVersions,
  helloCommand,
  helloOutcome,
  namingLookupCommand,
  namingOutcome,
  sessionCreateCommand,
  sessionStatusOutcome,
  streamConnectCommand,
  streamStatusOutcome,
} from '../../../src/client/sam/sam-commands.js';
import { SamProtocolError, parseSamReply } from '../../../src/client/sam/sam-line.js';
import { Destination } from '../../../src/data/destination.js';

const DEST = Destination.create(randomBytes(32)).toBase64();

const protocolError = (code: string) => (e: unknown) => e instanceof SamProtocolError && e.code === code;

test('command lines, byte for byte', () => {
  assert.equal(helloCommand().line.toString(), 'HELLO VERSION MIN=3.1 MAX=3.3\n');
  assert.equal(
    sessionCreateCommand('gg-1', [
      ['inbound.length', '2'],
      ['outbound.quantity', '3'],
    ]).line.toString(),
    'SESSION CREATE STYLE=STREAM ID=gg-1 DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 inbound.length=2 outbound.quantity=3\n',
  );
  assert.equal(namingLookupCommand('foo.i2p').line.toString(), 'NAMING LOOKUP NAME=foo.i2p\n');
  assert.equal(streamConnectCommand('gg-1', 'foo.i2p', 80).line.toString(), 'STREAM CONNECT ID=gg-1 DESTINATION=foo.i2p SILENT=false TO_PORT=80\n');
  assert.equal(streamConnectCommand('gg-1', 'foo.i2p').line.toString(), 'STREAM CONNECT ID=gg-1 DESTINATION=foo.i2p SILENT=false\n');
  assert.equal(streamConnectCommand('gg-1', 'foo.i2p').streamOnOk, true);
  assert.throws(() => sessionCreateCommand('has space'), RangeError);
  assert.throws(() => sessionCreateCommand('a/b'), RangeError);
  assert.throws(() => streamConnectCommand('gg-1', 'x.i2p', 65536), RangeError);
});

test('versions compare numerically', () => {
  assert.ok(compareSamVersions('3.10', '3.3') > 0);
  assert.equal(compareSamVersions('3', '3.0'), 0);
  assert.ok(compareSamVersions('3.1', '3.3') < 0);
  assert.throws(() => compareSamVersions('x', '3.1'), RangeError);
});

test('HELLO: the chosen version must be within MIN..MAX', () => {
  assert.deepEqual(helloOutcome(parseSamReply('HELLO REPLY RESULT=OK VERSION=3.1')), { ok: true, value: '3.1' });
  assert.deepEqual(helloOutcome(parseSamReply('HELLO REPLY RESULT=OK VERSION=3.3')), { ok: true, value: '3.3' });
  assert.throws(() => helloOutcome(parseSamReply('HELLO REPLY RESULT=OK VERSION=3.0')), protocolError('bad-version'));
  assert.throws(() => helloOutcome(parseSamReply('HELLO REPLY RESULT=OK VERSION=4.0')), protocolError('bad-version'));
  assert.throws(() => helloOutcome(parseSamReply('HELLO REPLY RESULT=OK')), protocolError('bad-version'));
  assert.throws(() => helloOutcome(parseSamReply('HELLO REPLY RESULT=OK VERSION=three')), protocolError('bad-version'));
  assert.deepEqual(helloOutcome(parseSamReply('HELLO REPLY RESULT=NOVERSION')), { ok: false, result: 'NOVERSION', message: undefined });
  assert.deepEqual(helloOutcome(parseSamReply('HELLO REPLY RESULT=I2P_ERROR MESSAGE="auth required"')), { ok: false, result: 'I2P_ERROR', message: 'auth required' });
});

test('missing or empty RESULT is a protocol error for every reply', () => {
  const cases: [string, (r: ReturnType<typeof parseSamReply>) => unknown][] = [
    ['HELLO REPLY VERSION=3.1', helloOutcome],
    ['SESSION STATUS DESTINATION=abc', sessionStatusOutcome],
    ['NAMING REPLY NAME=ME VALUE=abc', namingOutcome],
    ['STREAM STATUS', streamStatusOutcome],
    ['STREAM STATUS RESULT=', streamStatusOutcome],
  ];
  for (const [line, outcome] of cases) assert.throws(() => outcome(parseSamReply(line)), protocolError('missing-result'), line);
});

test('SESSION STATUS: OK needs DESTINATION; failures keep their code', () => {
  assert.deepEqual(sessionStatusOutcome(parseSamReply('SESSION STATUS RESULT=OK DESTINATION=AAAA')), { ok: true, value: undefined });
  assert.throws(() => sessionStatusOutcome(parseSamReply('SESSION STATUS RESULT=OK')), SamProtocolError);
  for (const r of ['DUPLICATED_ID', 'DUPLICATED_DEST', 'INVALID_ID', 'INVALID_KEY', 'I2P_ERROR']) {
    assert.equal((sessionStatusOutcome(parseSamReply(`SESSION STATUS RESULT=${r}`)) as { result: string }).result, r);
  }
});

test('NAMING REPLY: VALUE must be a Destination; i2pd names it ME whatever was asked', () => {
  assert.deepEqual(namingOutcome(parseSamReply(`NAMING REPLY RESULT=OK NAME=ME VALUE=${DEST}`)), { ok: true, value: DEST });
  assert.throws(() => namingOutcome(parseSamReply('NAMING REPLY RESULT=OK NAME=ME')), protocolError('bad-destination'));
  assert.throws(() => namingOutcome(parseSamReply('NAMING REPLY RESULT=OK NAME=ME VALUE=notbase64!')), protocolError('bad-destination'));
  // Valid base64, but not a Destination (truncated certificate).
  assert.throws(() => namingOutcome(parseSamReply(`NAMING REPLY RESULT=OK NAME=ME VALUE=${DEST.slice(0, 520)}`)), protocolError('bad-destination'));
  assert.deepEqual(namingOutcome(parseSamReply('NAMING REPLY RESULT=KEY_NOT_FOUND NAME=x.i2p')), { ok: false, result: 'KEY_NOT_FOUND', message: undefined });
  assert.deepEqual(namingOutcome(parseSamReply('NAMING REPLY RESULT=INVALID_KEY NAME=x.i2p')), { ok: false, result: 'INVALID_KEY', message: undefined });
});

test('STREAM STATUS: OK or a failure code', () => {
  assert.deepEqual(streamStatusOutcome(parseSamReply('STREAM STATUS RESULT=OK')), { ok: true, value: undefined });
  assert.deepEqual(streamStatusOutcome(parseSamReply('STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE="no lease"')), { ok: false, result: 'CANT_REACH_PEER', message: 'no lease' });
});
