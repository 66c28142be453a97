/**
 * The SAM pieces of hidden services (src/client/sam): DEST GENERATE / DEST REPLY, SESSION CREATE with
 * persistent keys, STREAM FORWARD, the private key file and the peer line of forwarded connections —
 * including hostile replies (truncated, oversized, mismatched, garbage).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { ForwardHeaderDecoder, MAX_FORWARD_HEADER, parseForwardHeader } from '../../../src/client/sam/forward-header.js';
import { parsePrivateKeys } from '../../../src/client/sam/private-keys.js';
import { destGenerateCommand, destReplyOutcome, sessionCreateCommand, streamForwardCommand } from '../../../src/client/sam/sam-commands.js';
import { parseSamReply, SamProtocolError } from '../../../src/client/sam/sam-line.js';
import { DataFormatError } from '../../../src/util/errors.js';
import { destination } from '../admin/destinations.js';

/** A private key file as i2pd writes it for DEST GENERATE SIGNATURE_TYPE=7: Destination (crypto 0), 256-byte private key, 32-byte signing key. */
function keyFile(seed: number, signing: Buffer = randomBytes(32)): { priv: string; pub: string; b32: string } {
  const d = destination(seed);
  return { priv: i2pBase64Encode(Buffer.concat([d.raw, Buffer.alloc(256), signing])), pub: d.toBase64(), b32: d.b32Address() };
}

test('private keys: the Destination and its b32 come out; truncated, trailing, offline and garbage keys are refused', () => {
  const k = keyFile(1);
  const p = parsePrivateKeys(k.priv);
  assert.equal(p.destination, k.pub);
  assert.equal(p.b32, k.b32);
  assert.match(p.b32, /^[a-z2-7]{52}\.b32\.i2p$/);
  assert.equal(p.sigType, 7);
  const raw = Buffer.from(k.priv.replace(/-/g, '+').replace(/~/g, '/'), 'base64');
  assert.throws(() => parsePrivateKeys(i2pBase64Encode(raw.subarray(0, raw.length - 1))), DataFormatError, 'truncated');
  assert.throws(() => parsePrivateKeys(i2pBase64Encode(Buffer.concat([raw, Buffer.alloc(1)]))), DataFormatError, 'trailing byte');
  assert.throws(() => parsePrivateKeys(i2pBase64Encode(raw.subarray(0, 300))), DataFormatError, 'half a Destination');
  assert.throws(() => parsePrivateKeys(keyFile(2, Buffer.alloc(32)).priv), /offline/);
  assert.throws(() => parsePrivateKeys(''), DataFormatError);
  assert.throws(() => parsePrivateKeys('A'.repeat(5000)), DataFormatError, 'oversized');
  assert.throws(() => parsePrivateKeys('not base64 at all!'), DataFormatError);
});

test('DEST GENERATE: the command, and DEST REPLY checked (PRIV must be the key file of PUB)', () => {
  assert.equal(destGenerateCommand().line.toString(), 'DEST GENERATE SIGNATURE_TYPE=7\n');
  const k = keyFile(3);
  const ok = destReplyOutcome(parseSamReply(`DEST REPLY PUB=${k.pub} PRIV=${k.priv}`));
  assert.deepEqual(ok, { ok: true, value: { destination: k.pub, privateKeys: k.priv } });
  assert.deepEqual(destReplyOutcome(parseSamReply('DEST REPLY RESULT=I2P_ERROR MESSAGE="no keys"')), { ok: false, result: 'I2P_ERROR', message: 'no keys' });
  const other = keyFile(4);
  assert.throws(() => destReplyOutcome(parseSamReply(`DEST REPLY PUB=${k.pub} PRIV=${other.priv}`)), SamProtocolError, 'PRIV of another destination');
  assert.throws(() => destReplyOutcome(parseSamReply(`DEST REPLY PUB=${k.pub}`)), SamProtocolError, 'no PRIV');
  assert.throws(() => destReplyOutcome(parseSamReply(`DEST REPLY PRIV=${k.priv}`)), SamProtocolError, 'no PUB');
  assert.throws(() => destReplyOutcome(parseSamReply(`DEST REPLY PUB=${k.pub} PRIV=${k.priv.slice(0, -8)}`)), SamProtocolError, 'truncated PRIV');
});

test('SESSION CREATE with persistent keys: DESTINATION=<keys>, no SIGNATURE_TYPE; bad keys never reach the line', () => {
  const k = keyFile(5);
  const line = sessionCreateCommand('hs-1', [['inbound.length', '2']], 7, '4,0', k.priv).line.toString();
  assert.equal(line, `SESSION CREATE STYLE=STREAM ID=hs-1 DESTINATION=${k.priv} i2cp.leaseSetEncType=4,0 inbound.length=2\n`);
  assert.match(sessionCreateCommand('hs-1').line.toString(), /DESTINATION=TRANSIENT SIGNATURE_TYPE=7 /);
  assert.throws(() => sessionCreateCommand('hs-1', [], 7, '4,0', `${k.priv} STYLE=RAW`), RangeError);
  assert.throws(() => sessionCreateCommand('hs-1', [], 7, '4,0', `x\nSESSION`), RangeError);
});

test('STREAM FORWARD: ID, PORT, HOST (an IP address only), SILENT=false', () => {
  const c = streamForwardCommand('hs-1', 40123, '127.0.0.1');
  assert.equal(c.line.toString(), 'STREAM FORWARD ID=hs-1 PORT=40123 HOST=127.0.0.1 SILENT=false\n');
  assert.deepEqual(c.reply, { command: 'STREAM', subcommand: 'STATUS' });
  assert.equal(c.streamOnOk, undefined, 'the forwarding socket stays a command socket');
  assert.throws(() => streamForwardCommand('hs-1', 0, '127.0.0.1'), RangeError);
  assert.throws(() => streamForwardCommand('hs-1', 70000, '127.0.0.1'), RangeError);
  assert.throws(() => streamForwardCommand('hs-1', 80, 'localhost'), RangeError);
  assert.throws(() => streamForwardCommand('bad id', 80, '127.0.0.1'), RangeError);
});

test('forward header: the peer line in pieces, with SAM 3.2 ports, and the stream bytes behind it', () => {
  const peer = destination(6);
  const dec = new ForwardHeaderDecoder();
  const bytes = Buffer.from(`${peer.toBase64()} FROM_PORT=0 TO_PORT=80\nGET / HTTP/1.0\r\n\r\n`);
  assert.deepEqual(dec.push(bytes.subarray(0, 100)), { done: false });
  const r = dec.push(bytes.subarray(100));
  assert.ok(r.done);
  assert.equal(r.peer.destination, peer.toBase64());
  assert.equal(r.peer.b32, peer.b32Address());
  assert.equal(r.peer.fromPort, 0);
  assert.equal(r.peer.toPort, 80);
  assert.equal(r.rest.toString(), 'GET / HTTP/1.0\r\n\r\n');
  // SAM 3.1 (i2pd 2.45.1): the destination alone.
  const plain = parseForwardHeader(peer.toBase64());
  assert.equal(plain.fromPort, undefined);
  assert.equal(plain.toPort, undefined);
});

test('forward header: hostile lines are refused (status line, garbage, bad ports, repeats, oversized, no newline)', () => {
  const peer = destination(7).toBase64();
  for (const line of ['STREAM STATUS RESULT=I2P_ERROR', '', 'GET / HTTP/1.1', `${peer} TO_PORT=99999`, `${peer} TO_PORT=80 TO_PORT=81`, `${peer} EVIL=1`, `${peer.slice(0, 400)}`, `${peer} TO_PORT=-1`]) {
    assert.throws(() => parseForwardHeader(line), SamProtocolError, JSON.stringify(line.slice(0, 40)));
  }
  const dec = new ForwardHeaderDecoder();
  assert.throws(() => dec.push(Buffer.alloc(MAX_FORWARD_HEADER + 2, 0x41)), SamProtocolError, 'no newline within the bound');
  assert.throws(() => new ForwardHeaderDecoder().push(Buffer.from([0xff, 0xfe, 0x0a])), SamProtocolError, 'not UTF-8');
});
