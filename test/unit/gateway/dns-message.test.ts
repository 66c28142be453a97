import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { checkQuery, encodeResponse, MAX_DNS_QUERY, RCODE } from '../../../src/gateway/dns-message.js';

function query(name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: 0x1234, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }], ...extra });
}

test('a plain query is accepted with its id, flags and question', () => {
  const r = checkQuery(query('Example.I2P'));
  assert.ok(r.ok);
  assert.equal(r.query.id, 0x1234);
  assert.deepEqual(r.query.question, { name: 'Example.I2P', type: 'A', class: 'IN' });
  assert.equal(r.query.edns, undefined);
});

test('EDNS0: the OPT record is read; a second OPT is FORMERR, version 1 is BADVERS', () => {
  const opt = (v = 0): dnsPacket.Answer => ({ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: v, flags: 0, flag_do: false, options: [] });
  const ok = checkQuery(query('a.i2p', 'A', { additionals: [opt()] }));
  assert.ok(ok.ok);
  assert.deepEqual(ok.query.edns, { udpPayloadSize: 4096, version: 0 });
  const two = checkQuery(query('a.i2p', 'A', { additionals: [opt(), opt()] }));
  assert.ok(!two.ok && !two.drop && two.rcode === RCODE.FORMERR);
  const v1 = checkQuery(query('a.i2p', 'A', { additionals: [opt(1)] }));
  assert.ok(!v1.ok && !v1.drop && v1.rcode === RCODE.BADVERS);
  // BADVERS (16) = extended RCODE 1 in the OPT, 0 in the header.
  const resp = dnsPacket.decode(encodeResponse({ id: 1, queryFlags: 0, rcode: RCODE.BADVERS, question: v1.question, edns: v1.edns }, 'udp'));
  assert.equal(resp.flags! & 0xf, 0);
  const ropt = resp.additionals!.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer;
  assert.equal(ropt.extendedRcode, 1);
  assert.equal(ropt.ednsVersion, 0);
});

test('hostile shapes: dropped or FORMERR, never a throw', () => {
  const drop = (b: Buffer, why: string): void => {
    const r = checkQuery(b);
    assert.ok(!r.ok && r.drop, why);
  };
  const formerr = (b: Buffer, why: string): void => {
    const r = checkQuery(b);
    assert.ok(!r.ok && !r.drop && r.rcode === RCODE.FORMERR, `${why}: ${JSON.stringify(r)}`);
  };
  drop(Buffer.alloc(0), 'empty');
  drop(Buffer.alloc(11), 'shorter than a header');
  drop(Buffer.alloc(MAX_DNS_QUERY + 1), 'oversized');
  const resp = query('a.i2p');
  resp.writeUInt16BE(0x8000, 2);
  drop(resp, 'a response');
  formerr(Buffer.from('000100000000000000000000', 'hex'), 'no question');
  const q = query('a.i2p');
  formerr(q.subarray(0, q.length - 3), 'truncated question');
  formerr(Buffer.concat([q, Buffer.from([1, 2, 3])]), 'trailing bytes');
  const two = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'a.i2p' }, { type: 'A', name: 'b.i2p' }] });
  formerr(two, 'two questions');
  const many = Buffer.from(query('a.i2p'));
  many.writeUInt16BE(0xffff, 4);
  formerr(many, '65535 questions announced');
  const withAnswer = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'a.i2p' }], answers: [{ type: 'A', name: 'a.i2p', data: '1.2.3.4' }] });
  formerr(withAnswer, 'answer in a query');
  // A name that is a compression pointer to itself (offset 12): a loop.
  formerr(Buffer.from('0001010000010000000000 00c00c00010001'.replace(/ /g, ''), 'hex'), 'pointer loop');
  // A forward pointer.
  formerr(Buffer.from('000101000001000000000000c01400010001', 'hex'), 'forward pointer');
  // A label length running past the end.
  formerr(Buffer.from('000101000001000000000000' + '3f6161', 'hex'), 'label past the end');
  // 0x40 label type (extended labels, RFC 6891 deprecated).
  formerr(Buffer.from('000101000001000000000000' + '4100' + '00010001', 'hex'), 'bad label type');
  // A name longer than 255 bytes.
  const long = Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), Buffer.concat(Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]))), Buffer.from('0000010001', 'hex')]);
  formerr(long, 'name too long');
  // An OPT whose RDLEN runs past the end.
  const opt = Buffer.concat([query('a.i2p'), Buffer.from('0000291000000000000010', 'hex')]);
  opt.writeUInt16BE(1, 10);
  formerr(opt, 'OPT past the end');
  for (let i = 0; i < 2000; i++) checkQuery(Buffer.from(Array.from({ length: 12 + (i % 60) }, (_, j) => (i * 7919 + j * 104729) & 0xff)));
});

test('other opcodes are NOTIMP, other classes REFUSED, unknown classes dropped', () => {
  const notify = Buffer.from(query('a.i2p'));
  notify.writeUInt16BE(4 << 11, 2);
  const r = checkQuery(notify);
  assert.ok(!r.ok && !r.drop && r.rcode === RCODE.NOTIMP);
  const ch = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'TXT', name: 'version.bind', class: 'CH' }] });
  const c = checkQuery(ch);
  assert.ok(!c.ok && !c.drop && c.rcode === RCODE.REFUSED && c.question?.class === 'CH');
  const odd = Buffer.from(query('a.i2p'));
  odd.writeUInt16BE(77, odd.length - 2);
  const o = checkQuery(odd);
  assert.ok(!o.ok && o.drop);
});

test('a label containing a dot cannot be echoed faithfully: REFUSED without a question', () => {
  const msg = Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), Buffer.from([5]), Buffer.from('a.i2p'), Buffer.from([0]), Buffer.from('00010001', 'hex')]);
  const r = checkQuery(msg);
  assert.ok(!r.ok && !r.drop && r.rcode === RCODE.REFUSED && r.question === undefined);
});

test('responses echo id, RD and CD, set QR and RA, and truncate over UDP when too big', () => {
  const q = { name: 'a.i2p', type: 'A', class: 'IN' };
  const b = encodeResponse({ id: 7, queryFlags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED, rcode: RCODE.NXDOMAIN, question: q, edns: undefined }, 'udp');
  const d = dnsPacket.decode(b);
  assert.equal(d.id, 7);
  assert.ok(d.flag_qr && d.flag_rd && d.flag_cd && d.flag_ra && !d.flag_tc);
  assert.equal(d.flags! & 0xf, RCODE.NXDOMAIN);
  const answers: dnsPacket.Answer[] = Array.from({ length: 40 }, (_, i) => ({ type: 'A', name: 'a.i2p', ttl: 30, data: `10.0.0.${i}` }));
  const big = dnsPacket.decode(encodeResponse({ id: 7, queryFlags: 0, rcode: RCODE.NOERROR, question: q, edns: undefined, answers }, 'udp'));
  assert.ok(big.flag_tc);
  assert.equal(big.answers!.length, 0);
  const viaEdns = dnsPacket.decode(encodeResponse({ id: 7, queryFlags: 0, rcode: RCODE.NOERROR, question: q, edns: { udpPayloadSize: 4096, version: 0 }, answers }, 'udp'));
  assert.ok(!viaEdns.flag_tc);
  assert.equal(viaEdns.answers!.length, 40);
  const tcp = dnsPacket.decode(encodeResponse({ id: 7, queryFlags: 0, rcode: RCODE.NOERROR, question: q, edns: undefined, answers }, 'tcp'));
  assert.equal(tcp.answers!.length, 40);
});
