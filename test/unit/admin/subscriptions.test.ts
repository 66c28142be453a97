import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Client, makeAdmin } from './fixture.js';
import { Destination } from '../../../src/data/destination.js';
import { HttpResponseError, HttpResponseReader } from '../../../src/admin/addressbook/http-response.js';
import { LocalTcpTestBackend } from '../../helpers/local-tcp-test-backend.js';

const dest = () => Destination.create(randomBytes(32)).toBase64();

test('HTTP response reader: Content-Length or end of stream; hostile heads and bodies refused', () => {
  const r = new HttpResponseReader(100);
  assert.equal(r.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: "x"\r\n\r\nhel')), false);
  assert.equal(r.push(Buffer.from('lo')), true);
  const res = r.end();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), '"x"');
  assert.equal(res.body.toString(), 'hello');
  const eof = new HttpResponseReader(100);
  eof.push(Buffer.from('HTTP/1.0 304 Not Modified\r\n\r\n'));
  assert.equal(eof.end().status, 304);
  const bad: Array<[string[], RegExp, number?]> = [
    [['SSH-2.0-x\r\n\r\n'], /status line/],
    [['HTTP/1.1 200 OK\r\nbad header\r\n\r\n'], /malformed header/],
    [['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'], /chunked/],
    [['HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n'], /Content-Length/],
    [['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'], /larger than 100/],
    [['HTTP/1.1 200 OK\r\n\r\n', 'x'.repeat(101)], /larger than 100/],
    [['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc'], /more body/],
    [['HTTP/1.1 200 OK\r\nX: ' + 'y'.repeat(20_000)], /head is larger/],
  ];
  for (const [chunks, why] of bad) {
    const rr = new HttpResponseReader(100);
    assert.throws(() => chunks.forEach((c) => rr.push(Buffer.from(c))), (e: unknown) => e instanceof HttpResponseError && why.test(e.message), chunks[0]!.slice(0, 40));
  }
  const short = new HttpResponseReader(100);
  short.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'));
  assert.throws(() => short.end(), /ended after 3 of 9/);
  assert.throws(() => new HttpResponseReader(10).end(), /without answering/);
});

test('subscriptions: fetched through the gateway backend, imported without replacing the owner\'s names, conditional the second time', async () => {
  const known = dest();
  const theirs = dest();
  const fresh = dest();
  const requests: http.IncomingHttpHeaders[] = [];
  const site = http.createServer((req, res) => {
    requests.push(req.headers);
    if (req.url !== '/hosts.txt') return void res.writeHead(404).end();
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
    res.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain' });
    res.end(`# a subscription\nmine.i2p=${theirs}\nfresh.i2p=${fresh}\nbroken.i2p=AAAA\n`);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const port = (site.address() as AddressInfo).port;
  const backend = new LocalTcpTestBackend((target, p) => (target === 'reg.i2p' && p === 80 ? { host: '127.0.0.1', port } : undefined));
  const t = await makeAdmin({ gateway: { backend: () => backend } });
  try {
    const c = new Client(t.admin);
    await c.logIn();
    assert.equal((await c.post('/api/v1/addressbook', { name: 'mine.i2p', destination: known })).status, 201);
    await c.post('/api/v1/addressbook/subscriptions', { url: 'http://reg.i2p/hosts.txt' });
    await c.post('/api/v1/addressbook/subscriptions', { url: 'http://gone.i2p/hosts.txt' });
    assert.deepEqual((await c.get('/api/v1/addressbook/subscriptions')).body.fetching, [], 'available, nothing fetched yet');

    const first = await c.post('/api/v1/addressbook/subscriptions/fetch');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const [reg, gone] = first.body.results;
    assert.equal(reg.result, 'imported', JSON.stringify(reg));
    assert.equal(reg.added, 1);
    assert.match(reg.detail, /1 added, 0 unchanged, 1 left alone .*, 1 refused/);
    assert.equal(gone.result, 'failed');
    assert.match(gone.detail, /unreachable|unknown/);
    assert.deepEqual(backend.connects.slice(0, 1), [{ target: 'reg.i2p', port: 80 }]);
    assert.equal(requests[0]!['user-agent'], 'MYOB/6.66 (AN/ON)', 'the user agent every I2P proxy sends');
    const book = (await c.get('/api/v1/addressbook')).body.rows as { name: string; destination: string }[];
    assert.equal(book.find((e) => e.name === 'mine.i2p')!.destination, known, "the owner's entry is kept");
    assert.equal(book.find((e) => e.name === 'fresh.i2p')!.destination, fresh);

    const second = await c.post('/api/v1/addressbook/subscriptions/fetch');
    assert.equal(second.body.results[0].result, 'not-modified');
    assert.equal(requests[1]!['if-none-match'], '"v1"');
    const listed = (await c.get('/api/v1/addressbook/subscriptions')).body.fetching as { url: string; result: string }[];
    assert.deepEqual(listed.map((x) => [x.url, x.result]), [['http://reg.i2p/hosts.txt', 'not-modified'], ['http://gone.i2p/hosts.txt', 'failed']]);
  } finally {
    await t.close();
    await backend.close();
    await new Promise<void>((r) => site.close(() => r()));
  }
});
