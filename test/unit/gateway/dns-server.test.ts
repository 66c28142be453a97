import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import * as dnsPacket from 'dns-packet';
import type { GatewayMode } from '../../../src/config/gateway-options.js';
import { base32Encode } from '../../../src/data/base32.js';
import { DnsResponder, reverseName } from '../../../src/gateway/dns-responder.js';
import { DnsServer, type DnsServerLimits } from '../../../src/gateway/dns-server.js';
import { frameDnsMessage } from '../../../src/gateway/dns-tcp-framer.js';
import { Ipv4Range } from '../../../src/gateway/ipv4-range.js';
import { NameChecker } from '../../../src/gateway/name-checker.js';
import { VirtualAddressMap } from '../../../src/gateway/virtual-address-map.js';
import { silentLogger } from '../../../src/util/log.js';
import { LocalTcpTestBackend } from '../../helpers/local-tcp-test-backend.js';

const TTL = 30;
const B32 = `${base32Encode(randomBytes(32))}.b32.i2p`;

interface Harness {
  server: DnsServer;
  backend: LocalTcpTestBackend;
  responder: DnsResponder;
  map: VirtualAddressMap;
  udpPort: number;
  tcpPort: number;
}

async function start(mode: GatewayMode = 'i2p', limits: Partial<DnsServerLimits> = { rate: false }, checkerTimeoutMs = 1800): Promise<Harness> {
  const backend = new LocalTcpTestBackend(() => undefined);
  backend.knownNames.add('known.i2p');
  const map = new VirtualAddressMap(new Ipv4Range('10.191.0.0/16'), { holdMs: 90_000 });
  const responder = new DnsResponder({ map, checker: new NameChecker(backend, { timeoutMs: checkerTimeoutMs }), mode, ttl: TTL });
  const server = new DnsServer({ responder, log: silentLogger(), udp: { host: '127.0.0.1', port: 0 }, tcp: { host: '127.0.0.1', port: 0 }, limits });
  await server.start();
  const a = server.addresses();
  return { server, backend, responder, map, udpPort: a.udp!.port, tcpPort: a.tcp!.port };
}

function query(name: string, type: dnsPacket.RecordType = 'A', id = 0x4242, edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

/** One UDP exchange; undefined when nothing came back within `waitMs`. */
async function udp(port: number, msg: Buffer, waitMs = 1000): Promise<Buffer | undefined> {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), waitMs);
      s.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
      s.send(msg, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

async function ask(h: Harness, name: string, type: dnsPacket.RecordType = 'A', edns = false): Promise<dnsPacket.DecodedPacket & { rcode: number }> {
  const r = await udp(h.udpPort, query(name, type, 0x4242, edns));
  assert.ok(r, `an answer for ${name} ${type}`);
  const d = dnsPacket.decode(r);
  assert.equal(d.id, 0x4242);
  return Object.assign(d, { rcode: d.flags! & 0xf });
}

const NOERROR = 0;
const FORMERR = 1;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const NOTIMP = 4;

test('b32 names get a virtual address (same one again), AAAA and other types an empty NOERROR', async () => {
  const h = await start();
  try {
    const a = await ask(h, B32);
    assert.equal(a.rcode, NOERROR);
    assert.ok(a.flag_aa && a.flag_ra && a.flag_rd);
    assert.equal(a.answers!.length, 1);
    const rr = a.answers![0] as dnsPacket.StringAnswer;
    assert.equal(rr.type, 'A');
    assert.equal(rr.ttl, TTL);
    assert.match(rr.data, /^10\.191\./);
    assert.equal(h.map.nameOf(rr.data), B32);
    assert.equal(((await ask(h, B32.toUpperCase())).answers![0] as dnsPacket.StringAnswer).data, rr.data);
    for (const type of ['AAAA', 'MX', 'TXT'] as const) {
      const r = await ask(h, B32, type);
      assert.equal(r.rcode, NOERROR, type);
      assert.equal(r.answers!.length, 0, type);
      assert.equal(r.authorities![0]!.type, 'SOA', 'a SOA lets the empty answer be cached');
    }
    // ANY: a minimal answer (RFC 8482), the A record.
    assert.equal(((await ask(h, B32, 'ANY' as dnsPacket.RecordType)).answers![0] as dnsPacket.StringAnswer).data, rr.data);
    assert.equal(h.backend.lookups.length, 0, 'b32 names are never looked up');
  } finally {
    await h.server.stop();
  }
});

test('address-book names: known → A, unknown → NXDOMAIN, backend down or slow → SERVFAIL in time', async () => {
  const h = await start('i2p', { rate: false }, 300);
  try {
    assert.equal((await ask(h, 'known.i2p')).answers!.length, 1);
    const nx = await ask(h, 'unknown.i2p');
    assert.equal(nx.rcode, NXDOMAIN);
    assert.equal(nx.authorities![0]!.type, 'SOA');
    assert.equal((await ask(h, 'bad--name.i2p')).rcode, NXDOMAIN);
    h.backend.failWith = 'backend-down';
    assert.equal((await ask(h, 'other.i2p')).rcode, SERVFAIL);
    h.backend.failWith = undefined;
    h.backend.lookupDelayMs = 5000;
    const t0 = Date.now();
    assert.equal((await ask(h, 'slow.i2p')).rcode, SERVFAIL);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((await ask(h, 'known.i2p')).rcode, NOERROR, 'cached');
  } finally {
    await h.server.stop();
  }
});

test('I2P-only mode: clearnet names and the DoH canary are NXDOMAIN', async () => {
  const h = await start('i2p');
  try {
    for (const n of ['example.com', 'use-application-dns.net', 'localhost', 'printer.local', 'x.onion']) {
      assert.equal((await ask(h, n)).rcode, NXDOMAIN, n);
      assert.equal((await ask(h, n, 'AAAA')).rcode, NXDOMAIN, n);
    }
    assert.equal(h.map.size, 0);
  } finally {
    await h.server.stop();
  }
});

test('outproxy mode: clearnet names get virtual addresses too; the canary and special names do not', async () => {
  const h = await start('outproxy');
  try {
    const a = await ask(h, 'Example.COM');
    assert.equal(a.rcode, NOERROR);
    const rr = a.answers![0] as dnsPacket.StringAnswer;
    assert.equal(rr.name, 'Example.COM', 'the question name is echoed as asked');
    assert.equal(h.map.nameOf(rr.data), 'example.com');
    assert.ok(!a.flag_aa);
    assert.equal((await ask(h, 'example.com', 'AAAA')).answers!.length, 0);
    for (const n of ['use-application-dns.net', 'localhost', 'x.onion', 'wpad']) assert.equal((await ask(h, n)).rcode, NXDOMAIN, n);
  } finally {
    await h.server.stop();
  }
});

test('PTR of a virtual address gives its name', async () => {
  const h = await start();
  try {
    const addr = ((await ask(h, 'known.i2p')).answers![0] as dnsPacket.StringAnswer).data;
    const ptr = await ask(h, reverseName(addr), 'PTR');
    assert.equal(ptr.rcode, NOERROR);
    assert.equal((ptr.answers![0] as dnsPacket.StringAnswer).data, 'known.i2p');
    assert.equal((await ask(h, reverseName('10.191.255.254'), 'PTR')).rcode, NXDOMAIN);
    assert.equal((await ask(h, reverseName('192.168.1.1'), 'PTR')).rcode, NXDOMAIN);
  } finally {
    await h.server.stop();
  }
});

test('EDNS0 queries get an OPT back', async () => {
  const h = await start();
  try {
    const r = await ask(h, B32, 'A', true);
    const opt = r.additionals!.find((x) => x.type === 'OPT') as dnsPacket.OptAnswer;
    assert.ok(opt);
    assert.equal(opt.udpPayloadSize, 1232);
  } finally {
    await h.server.stop();
  }
});

test("node's own resolver gets answers from us (a real stub resolver)", async () => {
  const h = await start();
  try {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${h.udpPort}`]);
    const [addr] = await r.resolve4(B32);
    assert.equal(h.map.nameOf(addr!), B32);
    await assert.rejects(r.resolve4('example.com'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve6(B32), { code: 'ENODATA' }, 'NOERROR without records');
    assert.deepEqual(await r.reverse(addr!), [B32]);
  } finally {
    await h.server.stop();
  }
});

test('hostile UDP: garbage, truncated, oversized, many-question and pointer-loop packets get FORMERR or nothing; the server carries on', async () => {
  const h = await start();
  try {
    const valid = query(B32);
    const hostile: [string, Buffer][] = [
      ['garbage', randomBytes(40)],
      ['empty', Buffer.alloc(0)],
      ['header only', Buffer.alloc(12)],
      ['truncated', valid.subarray(0, valid.length - 5)],
      ['oversized', Buffer.concat([valid, randomBytes(5000)])],
      ['65535 questions', Buffer.from([0, 1, 1, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, ...valid.subarray(12)])],
      ['pointer loop', Buffer.from('000101000001000000000000c00c00010001', 'hex')],
      ['label past the end', Buffer.from('0001010000010000000000003f6161', 'hex')],
      ['response', Buffer.from([0, 1, 0x81, 0x80, ...valid.subarray(4)])],
    ];
    for (const [why, msg] of hostile) {
      const r = await udp(h.udpPort, msg, 150);
      // Random bytes may carry another opcode: NOTIMP is the right answer to that.
      if (r !== undefined) assert.ok([FORMERR, NOTIMP].includes(r.readUInt16BE(2) & 0xf), why);
    }
    for (let i = 0; i < 300; i++) {
      const junk = Buffer.from(valid);
      junk[12 + (i % (junk.length - 12))] = i & 0xff;
      junk.writeUInt16BE(i * 131, 6);
      await udp(h.udpPort, i % 2 ? junk : randomBytes(1 + (i % 100)), 20);
    }
    assert.equal((await ask(h, B32)).rcode, NOERROR, 'still answering');
    const c = h.responder.counters;
    assert.ok(c.formerr >= 4, `formerr ${c.formerr}`);
    assert.ok(c.dropped >= 4, `dropped ${c.dropped}`);
  } finally {
    await h.server.stop();
  }
});

/** Opens a TCP connection and collects framed messages. */
function tcpClient(port: number): { sock: net.Socket; messages: Buffer[]; closed: Promise<void>; next: (n: number) => Promise<Buffer[]> } {
  const sock = net.connect(port, '127.0.0.1');
  const messages: Buffer[] = [];
  let buf = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      messages.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
    waiter?.();
  });
  sock.on('error', () => {});
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  const next = async (n: number): Promise<Buffer[]> => {
    while (messages.length < n) {
      await Promise.race([new Promise<void>((r) => (waiter = r)), closed]);
      if (sock.destroyed && messages.length < n) break;
    }
    return messages.slice(0, n);
  };
  return { sock, messages, closed, next };
}

test('TCP: many queries on one connection, answered by id; bad framing closes only that connection', async () => {
  const h = await start();
  try {
    const c = tcpClient(h.tcpPort);
    const names = [B32, 'known.i2p', 'unknown.i2p', 'example.com'];
    // All queries in one write, as a pipelining client sends them.
    c.sock.write(Buffer.concat(names.map((n, i) => frameDnsMessage(query(n, 'A', 100 + i)))));
    const got = (await c.next(4)).map((m) => dnsPacket.decode(m));
    const byId = new Map(got.map((d) => [d.id, d.flags! & 0xf]));
    assert.deepEqual([...byId.entries()].sort(), [[100, NOERROR], [101, NOERROR], [102, NXDOMAIN], [103, NXDOMAIN]]);
    // A garbage message on TCP gets FORMERR; an impossible length closes the connection.
    c.sock.write(frameDnsMessage(Buffer.concat([Buffer.from('777701000001000000000000', 'hex'), randomBytes(30).fill(0xff, 0, 1)])));
    const fe = (await c.next(5))[4]!;
    assert.equal(fe.readUInt16BE(0), 0x7777);
    assert.equal(fe.readUInt16BE(2) & 0xf, FORMERR);
    c.sock.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
    await c.closed;
    assert.equal(h.server.counters.tcpFramingErrors, 1);
    // The server is fine.
    const d = tcpClient(h.tcpPort);
    d.sock.write(frameDnsMessage(query(B32)));
    assert.equal((await d.next(1)).length, 1);
    d.sock.destroy();
  } finally {
    await h.server.stop();
  }
});

test('TCP limits: idle connections are closed, a connection answers at most N queries, connections are bounded', async () => {
  const h = await start('i2p', { rate: false, tcpIdleMs: 200, tcpMaxQueriesPerConnection: 3, tcpMaxConnections: 2 });
  try {
    const idle = tcpClient(h.tcpPort);
    const t0 = Date.now();
    await idle.closed;
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(h.server.counters.tcpIdleClosed, 1);

    const c = tcpClient(h.tcpPort);
    c.sock.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => frameDnsMessage(query(B32, 'A', i)))));
    await c.closed;
    assert.equal(c.messages.length, 3, 'three answers, then FIN');

    const a = tcpClient(h.tcpPort);
    const b = tcpClient(h.tcpPort);
    await new Promise((r) => setTimeout(r, 50));
    const third = tcpClient(h.tcpPort);
    await third.closed;
    assert.equal(h.server.counters.tcpRejected, 1);
    a.sock.destroy();
    b.sock.destroy();
  } finally {
    await h.server.stop();
  }
});

test('TCP: a client that half-closes after its query still gets the answer', async () => {
  const h = await start();
  try {
    const c = tcpClient(h.tcpPort);
    c.sock.end(frameDnsMessage(query('known.i2p')));
    await c.closed;
    assert.equal(c.messages.length, 1);
    assert.equal(dnsPacket.decode(c.messages[0]!).answers!.length, 1);
  } finally {
    await h.server.stop();
  }
});

test('per-client rate limit: a burst beyond it is dropped and counted', async () => {
  const h = await start('i2p', { rate: { ratePerSecond: 1, burst: 5, maxClients: 16 } });
  try {
    const s = dgram.createSocket('udp4');
    let answers = 0;
    s.on('message', () => answers++);
    for (let i = 0; i < 20; i++) s.send(query(B32, 'A', i), h.udpPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    s.close();
    assert.equal(answers, 5);
    assert.equal(h.server.counters.rateLimited, 15);
  } finally {
    await h.server.stop();
  }
});
