import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Client, makeAdmin } from './fixture.js';
import { HttpClient } from './http-client.js';
import { entryJson, LogRingBuffer } from '../../../src/admin/log-buffer.js';
import { AdminServer } from '../../../src/admin/server.js';
import { createLogger, silentLogger } from '../../../src/util/log.js';

test('ring buffer: bounded in lines and bytes, level filter, oversized and foreign lines made safe', () => {
  const b = new LogRingBuffer({ maxEntries: 5, maxBytes: 10_000, maxLineBytes: 200 });
  for (let i = 0; i < 8; i++) b.write(`{"level":${i % 2 ? 40 : 30},"time":${1000 + i},"msg":"m${i}"}\n`);
  assert.equal(b.size, 5);
  assert.deepEqual(b.recent(0, 100).map((e) => e.seq), [4, 5, 6, 7, 8]);
  assert.deepEqual(b.recent(40, 100).map((e) => e.seq), [4, 6, 8]);
  assert.deepEqual(b.recent(0, 2).map((e) => e.seq), [7, 8], 'the newest lines');
  assert.deepEqual(b.recent(0, 100, 6).map((e) => e.seq), [7, 8], 'after a seq');
  b.write(`{"level":50,"time":1,"msg":"${'x'.repeat(500)}"}\n`);
  const big = b.recent(0, 1)[0]!;
  assert.equal(JSON.parse(big.line).truncated, true);
  assert.equal(big.level, 50);
  b.write('not json at all');
  assert.equal(JSON.parse(b.recent(0, 1)[0]!.line).msg, 'not json at all');
  assert.deepEqual(JSON.parse(entryJson(b.recent(0, 1)[0]!)).record.msg, 'not json at all');

  const bytes = new LogRingBuffer({ maxEntries: 1000, maxBytes: 1000 });
  for (let i = 0; i < 100; i++) bytes.write(`{"level":30,"time":1,"msg":"${'y'.repeat(90)}"}\n`);
  assert.ok(bytes.size <= 9, `bounded by bytes: ${bytes.size} lines`);
});

test('the logger tap feeds the buffer while stdout keeps every line', () => {
  const out: string[] = [];
  const dest = new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) });
  const b = new LogRingBuffer();
  const log = createLogger('info', dest, b);
  log.child({ sub: 'netdb' }).info({ n: 1 }, 'hello');
  log.debug('hidden');
  log.warn('careful');
  assert.equal(b.size, 2);
  const e = JSON.parse(entryJson(b.recent(0, 10)[0]!));
  assert.equal(e.level, 'info');
  assert.equal(e.record.sub, 'netdb');
  assert.equal(e.record.msg, 'hello');
  assert.equal(out.length, 2);
  // Without a tap, createLogger behaves as before.
  const plain: string[] = [];
  createLogger('info', new Writable({ write: (c, _e, cb) => (plain.push(String(c)), cb()) })).info('x');
  assert.equal(plain.length, 1);
});

test('logs API: recent lines with a level filter', async () => {
  const t = await makeAdmin();
  try {
    for (let i = 0; i < 10; i++) t.logs.write(JSON.stringify({ level: i < 7 ? 30 : 50, time: i, msg: `line ${i}` }));
    const c = new Client(t.admin);
    await c.logIn();
    const all = await c.get('/api/v1/logs?limit=3');
    assert.deepEqual(all.body.entries.map((e: { record: { msg: string } }) => e.record.msg), ['line 7', 'line 8', 'line 9']);
    const errors = await c.get('/api/v1/logs?level=error');
    assert.equal(errors.body.entries.length, 3);
    assert.ok(errors.body.entries.every((e: { level: string }) => e.level === 'error'));
    assert.equal((await c.get('/api/v1/logs?level=loud')).status, 400);
  } finally {
    await t.close();
  }
});

test('logs SSE: backlog, live lines at the level, resume after Last-Event-ID', async () => {
  const t = await makeAdmin();
  const server = await AdminServer.start(t.admin, ['127.0.0.1'], 0, silentLogger());
  try {
    const log = createLogger('info', new Writable({ write: (_c, _e, cb) => cb() }), t.logs);
    log.info('before 1');
    log.error('before 2');
    const c = new HttpClient(server.boundPort()!);
    await c.logIn();
    const s = await c.openStream('/api/v1/logs/stream?level=warn');
    assert.equal(s.status, 200);
    await s.waitFor(1);
    log.info('quiet');
    log.warn('live warning');
    const ev = await s.waitFor(2);
    assert.deepEqual(ev.map((e) => JSON.parse(e.data).record.msg), ['before 2', 'live warning']);
    assert.ok(ev.every((e) => e.event === 'log' && /^\d+$/.test(e.id!)));
    s.close();
    log.error('while away');
    const again = await c.openStream('/api/v1/logs/stream?level=info', { 'last-event-id': ev[1]!.id! });
    const missed = await again.waitFor(1);
    assert.deepEqual(missed.map((e) => JSON.parse(e.data).record.msg), ['while away']);
    again.close();
  } finally {
    await server.close();
  }
});
