import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, LAN_IP, makeAdmin, TEST_HOST, type TestAdmin } from './fixture.js';
import { ALL_ROUTES } from '../../../src/admin/routes/index.js';
import { isStateChanging } from '../../../src/admin/routes/spec.js';
import { HostCheck, hostOf } from '../../../src/admin/host-check.js';
import { planListenAddresses } from '../../../src/admin/listen-addresses.js';

/** The /api routes the server really registered (its onRoute census), not the spec list. */
async function adminWithCensus(): Promise<{ t: TestAdmin; routes: { method: string; url: string }[] }> {
  const t = await makeAdmin();
  return { t, routes: t.admin.routes.filter((r) => r.url.startsWith('/api')) };
}

const ALLOWED_WITHOUT_SESSION = new Set(['GET /api/v1/status', 'GET /api/v1/auth/csrf', 'POST /api/v1/auth/first-run', 'POST /api/v1/auth/login']);

/** A concrete URL for a route path: parameters filled with a plausible value. */
function concrete(url: string): string {
  return url.replace(/:name/g, 'example.i2p').replace(/:id/g, '0123456789abcdef');
}

test('every /api route except first-run, login, status and csrf answers 401 without a session', async () => {
  const { t, routes } = await adminWithCensus();
  try {
    assert.ok(routes.length >= 30, `found ${routes.length} routes`);
    // The census and the spec list agree both ways: no route without a spec, no spec without a route.
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    const specified = new Set(ALL_ROUTES.map((r) => `${r.method} ${r.url}`));
    assert.deepEqual([...registered].sort(), [...specified].sort());

    const c = new Client(t.admin);
    await c.fetchCsrf(); // an anonymous session with a CSRF token: auth must still refuse
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      const res = await c.request(r.method as 'GET', concrete(r.url), isStateChanging(r.method) ? {} : undefined);
      if (ALLOWED_WITHOUT_SESSION.has(key)) {
        assert.notEqual(res.status, 401, `${key} is on the allow-list`);
      } else {
        assert.equal(res.status, 401, `${key} answered ${res.status} without a session`);
        assert.equal(res.body.error, 'not logged in');
      }
    }
    // And the allow-list is exactly the public specs.
    assert.deepEqual(new Set(ALL_ROUTES.filter((r) => r.auth === 'public').map((r) => `${r.method} ${r.url}`)), ALLOWED_WITHOUT_SESSION);
  } finally {
    await t.close();
  }
});

test('every POST, PUT and DELETE needs the CSRF token of the session', async () => {
  const { t, routes } = await adminWithCensus();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const other = new Client(t.admin);
    const foreignToken = await other.fetchCsrf(); // valid, but of another session's secret
    const changing = routes.filter((r) => isStateChanging(r.method));
    assert.ok(changing.length >= 20);
    for (const r of changing) {
      const url = concrete(r.url);
      const none = await c.request(r.method as 'POST', url, {}, { 'x-csrf-token': '' });
      assert.equal(none.status, 403, `${r.method} ${r.url} without a token: ${none.status}`);
      assert.match(none.body.error, /CSRF/);
      const forged = await c.request(r.method as 'POST', url, {}, { 'x-csrf-token': foreignToken });
      assert.equal(forged.status, 403, `${r.method} ${r.url} with another session's token: ${forged.status}`);
    }
    // A form post (no JSON) is refused outright.
    const form = await c.request('POST', '/api/v1/addressbook', 'name=x.i2p', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const text = await c.request('POST', '/api/v1/addressbook', 'x', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
  } finally {
    await t.close();
  }
});

test('Host header: foreign names refused (DNS rebinding); the box’s names and addresses accepted', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    for (const host of ['evil.example', 'evil.example:7070', `${TEST_HOST}.evil.example`, '10.9.9.9', '[2001:db8::1]:7070', 'a b']) {
      c.host = host;
      const r = await c.get('/api/v1/status');
      assert.equal(r.status, 403, `Host ${JSON.stringify(host)} answered ${r.status}`);
      assert.equal(r.body.error, 'host not allowed');
      // Static paths too, not only the API.
      assert.equal((await c.get('/')).status, 403);
    }
    for (const host of [`${LAN_IP}:7070`, LAN_IP, TEST_HOST, `${TEST_HOST}.local:7070`, 'GatewayBox', 'localhost:7070', '127.0.0.1:7070', '[::1]:7070', 'garlicgate.lan', '10.0.2.15']) {
      c.host = host;
      assert.equal((await c.get('/api/v1/status')).status, 200, `Host ${host} should be accepted`);
    }
  } finally {
    await t.close();
  }
});

test('hostOf parses Host headers strictly', () => {
  assert.equal(hostOf('Example.COM:80'), 'example.com');
  assert.equal(hostOf('box.'), 'box');
  assert.equal(hostOf('[::1]:7070'), '::1');
  assert.equal(hostOf('[::1]'), '::1');
  assert.equal(hostOf('::1'), undefined, 'a bare IPv6 literal is not a Host');
  assert.equal(hostOf('[::1]x'), undefined);
  assert.equal(hostOf('[zz]:1'), undefined);
  assert.equal(hostOf('a@b'), undefined);
  assert.equal(hostOf('box:port'), undefined);
  assert.equal(hostOf(undefined), undefined);
  assert.equal(hostOf(''), undefined);
  assert.equal(hostOf('x'.repeat(400)), undefined);
  const h = new HostCheck({ names: [], addresses: ['192.168.42.1'], hostname: 'pi', interfaceAddresses: () => ['::ffff:10.1.1.1', 'fe80::1%eth0'] });
  assert.ok(h.allows('10.1.1.1'));
  assert.ok(h.allows('[fe80::1]'));
  assert.ok(h.allows('pi.local'));
  assert.ok(!h.allows('pi.lan'));
});

test('listen addresses: LAN address and loopback, never a wildcard, never the WAN', () => {
  const interfaces = { eth0: [{ address: '192.168.42.1' }], wlan0: [{ address: '203.0.113.7' }], lo: [{ address: '127.0.0.1' }] };
  const base = { lanAddress: '192.168.42.1/24', wanInterface: 'wlan0', interfaces };
  assert.deepEqual(planListenAddresses({ ...base, httpAddress: '127.0.0.1' }).addresses, ['127.0.0.1']);
  const wild = planListenAddresses({ ...base, httpAddress: '0.0.0.0' });
  assert.deepEqual(wild.addresses, ['192.168.42.1', '127.0.0.1']);
  assert.match(wild.refused[0]!.reason, /wildcard would include the WAN/);
  assert.deepEqual(planListenAddresses({ ...base, httpAddress: '::' }).addresses, ['192.168.42.1', '127.0.0.1']);
  assert.deepEqual(planListenAddresses({ ...base, httpAddress: '192.168.42.1' }).addresses, ['192.168.42.1', '127.0.0.1']);
  const wan = planListenAddresses({ ...base, httpAddress: '203.0.113.7' });
  assert.deepEqual(wan.addresses, ['127.0.0.1']);
  assert.match(wan.refused[0]!.reason, /WAN interface wlan0/);
  // The LAN address configured on the WAN interface (a miswired box): still never served there.
  const crossed = planListenAddresses({ ...base, httpAddress: '0.0.0.0', interfaces: { wlan0: [{ address: '192.168.42.1' }] } });
  assert.deepEqual(crossed.addresses, ['127.0.0.1']);
  for (const plan of [wild, wan, crossed]) for (const a of plan.addresses) assert.ok(a !== '0.0.0.0' && a !== '::');
});

