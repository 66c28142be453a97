import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { makeAdmin, tempDir } from './fixture.js';
import { AdminServer } from '../../../src/admin/server.js';
import { silentLogger } from '../../../src/util/log.js';

test('admin server: listens on loopback; an address not configured yet is retried, not fatal', async () => {
  const t = await makeAdmin();
  // 192.0.2.1 (TEST-NET-1) is on no interface here: EADDRNOTAVAIL, as the LAN address before its link is up.
  const server = await AdminServer.start(t.admin, ['127.0.0.1', '192.0.2.1'], 0, silentLogger(), 60_000);
  try {
    assert.deepEqual(server.listening, [`127.0.0.1:${server.boundPort()}`]);
    const r = await fetch(`http://127.0.0.1:${server.boundPort()}/api/v1/status`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const root = await fetch(`http://127.0.0.1:${server.boundPort()}/`);
    assert.match(await root.text(), /web page is not installed/);
  } finally {
    await server.close();
  }
});

test('the page is served from webui/dist with the same headers; /api paths never fall through to it', async () => {
  const root = tempDir('webui');
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>GarlicGate</title>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
  const t = await makeAdmin({ app: { staticRoot: root } });
  try {
    const page = await t.admin.app.inject({ url: '/', headers: { host: '127.0.0.1:7070' } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>GarlicGate/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await t.admin.app.inject({ url: '/app.js', headers: { host: '127.0.0.1:7070' } })).statusCode, 200);
    const api = await t.admin.app.inject({ url: '/api/v1/unknown', headers: { host: '127.0.0.1:7070' } });
    assert.equal(api.statusCode, 404);
    assert.deepEqual(JSON.parse(api.body), { error: 'not found' });
    assert.equal((await t.admin.app.inject({ url: '/', headers: { host: 'evil.example' } })).statusCode, 403);
  } finally {
    await t.close();
  }
});

test('the page is sent pre-compressed (brotli, else gzip) to browsers that accept it, plain to others', async () => {
  const root = tempDir('webui-compressed');
  const html = '<!doctype html><title>GarlicGate</title>' + '<p>x</p>'.repeat(200);
  const js = 'console.log(1);'.repeat(500);
  writeFileSync(join(root, 'index.html'), html);
  writeFileSync(join(root, 'index.html.br'), brotliCompressSync(html));
  writeFileSync(join(root, 'index.html.gz'), gzipSync(html));
  writeFileSync(join(root, 'app.js'), js);
  writeFileSync(join(root, 'app.js.gz'), gzipSync(js));
  const t = await makeAdmin({ app: { staticRoot: root } });
  try {
    const get = (url: string, enc?: string) => t.admin.app.inject({ url, headers: { host: '127.0.0.1:7070', ...(enc ? { 'accept-encoding': enc } : {}) } });
    const br = await get('/', 'gzip, deflate, br');
    assert.equal(br.statusCode, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers.vary), /accept-encoding/i);
    assert.equal(brotliDecompressSync(br.rawPayload).toString(), html);
    assert.match(String(br.headers['content-type']), /^text\/html/);
    assert.match(String(br.headers['content-security-policy']), /script-src 'self'/, 'the same security headers');
    const gz = await get('/app.js', 'gzip, deflate, br');
    assert.equal(gz.headers['content-encoding'], 'gzip', 'no .br for app.js here: the .gz');
    assert.equal(gunzipSync(gz.rawPayload).toString(), js);
    assert.match(String(gz.headers['content-type']), /javascript/);
    const plain = await get('/app.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, js);
  } finally {
    await t.close();
  }
});
