import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Client, makeAdmin } from './fixture.js';
import { destinationB64 } from './destinations.js';
import { ALL_ROUTES } from '../../../src/admin/routes/index.js';
import type { RouteSpec } from '../../../src/admin/routes/spec.js';

/** Why `value` does not match `schema` (undefined when it does), by Fastify's own validator: strict, no coercion, no stripping. */
async function check(schema: object, value: unknown): Promise<string | undefined> {
  const app = Fastify({ ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false } } });
  app.post('/check', { schema: { body: schema } }, async () => ({}));
  const r = await app.inject({ method: 'POST', url: '/check', payload: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
  await app.close();
  return r.statusCode === 200 ? undefined : (JSON.parse(r.body) as { message: string }).message;
}

test('real answers match the schemas docs/api.md is made of (every GET route, the SSE first event, a lookup)', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    await c.post('/api/v1/addressbook', { name: 'site.i2p', destination: destinationB64(1) });
    await c.post('/api/v1/addressbook/subscriptions', { url: 'http://reg.i2p/hosts.txt' });
    t.logs.write('{"level":30,"time":1,"msg":"hello","sub":"x"}');
    // A pending change and a finished one, so the nullable fields are seen both ways.
    const p1 = await c.put('/api/v1/settings', { changes: { share: 90 } });
    await c.post('/api/v1/settings/rollback', { id: p1.body.pending.id });
    await c.put('/api/v1/settings', { changes: { share: 80 } });

    const gets = ALL_ROUTES.filter((r: RouteSpec) => r.method === 'GET' && !r.produces && !r.url.includes(':'));
    assert.ok(gets.length >= 10);
    let checked = 0;
    for (const r of gets) {
      const res = await c.get(r.url);
      const schema = r.schema.response[res.status];
      assert.ok(schema, `${r.url} answered ${res.status}, which its spec does not document`);
      const body = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
      assert.equal(await check(schema, body), undefined, `${r.url}: ${JSON.stringify(body).slice(0, 300)}`);
      checked++;
    }
    assert.equal(checked, gets.length);

    // The dashboard's stream sends the same shape as GET /dashboard.
    const dash = (await c.get('/api/v1/dashboard')).body;
    t.router.values.bytesIn += 10;
    await new Promise((r) => setTimeout(r, 5));
    const streamed = await t.admin.dashboard.current();
    assert.equal(await check(ALL_ROUTES.find((r) => r.url === '/api/v1/dashboard')!.schema.response[200]!, JSON.parse(JSON.stringify(streamed))), undefined);
    assert.ok(dash.snapshot.bandwidth);
    // The check can fail: a snapshot missing a field does not pass.
    const broken = JSON.parse(JSON.stringify(dash));
    delete broken.snapshot.router.caps;
    assert.match((await check(ALL_ROUTES.find((r) => r.url === '/api/v1/dashboard')!.schema.response[200]!, broken)) ?? '', /caps/);

    const dns = ALL_ROUTES.find((r) => r.url === '/api/v1/diagnostics/dns')!;
    for (const name of ['site.i2p', 'none.i2p', `${'a'.repeat(52)}.b32.i2p`]) {
      const res = await c.post(dns.url, { name });
      assert.equal(await check(dns.schema.response[200]!, res.body), undefined, name);
    }
  } finally {
    await t.close();
  }
});
