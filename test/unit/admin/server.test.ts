import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeAdmin } from './fixture.js';
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
