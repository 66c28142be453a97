import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, makeAdmin } from './fixture.js';
import { SESSION_COOKIE } from '../../../src/admin/server.js';
import { ADMIN_PASSWORD_FILE } from '../../../src/admin/auth/credentials.js';

const PASSWORD = 'correct horse battery';

test('first run: with no password only status, csrf, first-run and login answer; the password is set once', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    const status = await c.get('/api/v1/status');
    assert.equal(status.status, 200);
    assert.deepEqual(status.body, { apiVersion: 1, firstRun: true, authenticated: false, sessionExpiresAt: null });

    assert.deepEqual((await c.get('/api/v1/dashboard')).body, { error: 'not logged in', firstRun: true });
    await c.fetchCsrf();
    // Login before any password exists is refused with a pointer to the first run.
    const early = await c.post('/api/v1/auth/login', { password: PASSWORD });
    assert.equal(early.status, 409);
    assert.equal(early.body.firstRun, true);
    // A too-short password is refused with the reason, and nothing is stored.
    const short = await c.post('/api/v1/auth/first-run', { password: 'short' });
    assert.equal(short.status, 400);
    assert.match(short.body.detail, /at least 8/);
    assert.equal(existsSync(join(t.datadir, ADMIN_PASSWORD_FILE)), false);

    const oldCookie = c.cookie;
    const set = await c.post('/api/v1/auth/first-run', { password: PASSWORD });
    assert.equal(set.status, 201);
    assert.equal(typeof set.body.csrfToken, 'string');
    assert.notEqual(c.cookie, oldCookie, 'the session id changes when the session logs in');
    c.csrf = set.body.csrfToken;
    assert.equal((await c.get('/api/v1/status')).body.authenticated, true);
    assert.equal((await c.get('/api/v1/dashboard')).status, 200);

    // The hash is on disk (mode 0600), scrypt, never the password.
    const file = join(t.datadir, ADMIN_PASSWORD_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = readFileSync(file, 'utf8');
    assert.match(stored, /"hash": "scrypt\$/);
    assert.equal(stored.includes(PASSWORD), false);

    // A second first-run is refused, from this session and from a new one.
    assert.equal((await c.post('/api/v1/auth/first-run', { password: 'another password' })).status, 409);
    const other = new Client(t.admin);
    await other.fetchCsrf();
    const again = await other.post('/api/v1/auth/first-run', { password: 'another password' });
    assert.equal(again.status, 409);
    assert.equal((await other.post('/api/v1/auth/login', { password: 'another password' })).status, 401);
    assert.equal((await other.post('/api/v1/auth/login', { password: PASSWORD })).status, 200);
  } finally {
    await t.close();
  }
});

test('session cookie: HttpOnly, SameSite=Strict, Path=/, expiring; logout ends the session', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.fetchCsrf();
    const r = await c.post('/api/v1/auth/first-run', { password: PASSWORD });
    const cookie = r.raw.cookies.find((x) => x.name === SESSION_COOKIE)!;
    assert.ok(cookie, 'the answer sets the session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    assert.ok(cookie.expires instanceof Date, 'the cookie expires');
    const ms = (cookie.expires as Date).getTime() - Date.now();
    assert.ok(ms > 55 * 60_000 && ms <= 60 * 60_000, `expires in about an hour, got ${ms} ms`);
    const setCookie = String(r.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Expires=/);

    c.csrf = r.body.csrfToken;
    assert.equal((await c.post('/api/v1/auth/logout')).status, 204);
    assert.equal((await c.get('/api/v1/peers')).status, 401);
    assert.equal((await c.get('/api/v1/status')).body.authenticated, false);
  } finally {
    await t.close();
  }
});

test('a session ends 12 hours after login even when used all the time', async () => {
  let now = Date.now();
  // Idle expiry (the cookie's, on the real clock) longer than the absolute one, to see the latter.
  const t = await makeAdmin({ app: { now: () => now, sessionIdleMs: 24 * 3600_000 } });
  try {
    const c = new Client(t.admin);
    await c.logIn(PASSWORD);
    now += 11 * 3600_000;
    assert.equal((await c.get('/api/v1/peers')).status, 200);
    now += 3600_000 + 1;
    assert.equal((await c.get('/api/v1/peers')).status, 401);
  } finally {
    await t.close();
  }
});

test('login is rate-limited per client and overall; other clients are not locked out by one', async () => {
  const t = await makeAdmin({ app: { rateLimits: { passwordPerClientPerMinute: 5, passwordPerMinute: 12 } } });
  try {
    const owner = new Client(t.admin);
    await owner.logIn(PASSWORD);
    const attacker = new Client(t.admin);
    attacker.remoteAddress = '192.168.42.66';
    await attacker.fetchCsrf();
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await attacker.post('/api/v1/auth/login', { password: `guess-${i}-xxxx` })).status);
    assert.deepEqual(codes, [401, 401, 401, 401, 401, 429, 429]);
    // Even the right password is refused while limited: the limit is not a hint.
    const limited = await attacker.post('/api/v1/auth/login', { password: PASSWORD });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.match(limited.body.error, /too many password attempts/);

    // Another client still logs in...
    const second = new Client(t.admin);
    second.remoteAddress = '192.168.42.67';
    await second.logIn(PASSWORD);
    // ...until all clients together exceed the overall limit (12 per minute here).
    let overall = 0;
    for (let i = 0; i < 10; i++) {
      const x = new Client(t.admin);
      x.remoteAddress = `192.168.42.${100 + i}`;
      await x.fetchCsrf();
      if ((await x.post('/api/v1/auth/login', { password: 'wrong-password' })).status === 429) overall++;
    }
    assert.ok(overall > 0, 'the overall limit stops guessing spread over many addresses');
  } finally {
    await t.close();
  }
});

test('password change needs the current password and logs out every other session', async () => {
  const t = await makeAdmin();
  try {
    const a = new Client(t.admin);
    await a.logIn(PASSWORD);
    const b = new Client(t.admin);
    await b.logIn(PASSWORD);
    assert.equal((await a.post('/api/v1/auth/password', { current: 'not the password', password: 'brand new password' })).status, 401);
    assert.equal((await a.post('/api/v1/auth/password', { current: PASSWORD, password: 'tiny' })).status, 400);
    assert.equal((await a.post('/api/v1/auth/password', { current: PASSWORD, password: 'brand new password' })).status, 204);
    assert.equal((await a.get('/api/v1/peers')).status, 200, 'the session that changed it stays');
    assert.equal((await b.get('/api/v1/peers')).status, 401, 'others are logged out');
    const c = new Client(t.admin);
    await c.fetchCsrf();
    assert.equal((await c.post('/api/v1/auth/login', { password: PASSWORD })).status, 401);
    assert.equal((await c.post('/api/v1/auth/login', { password: 'brand new password' })).status, 200);
  } finally {
    await t.close();
  }
});

test('anonymous sessions are bounded: a flood of first visits does not grow memory or evict the owner', async () => {
  const t = await makeAdmin({ app: { maxSessions: 8, rateLimits: { perClientPerMinute: 10_000 } } });
  try {
    const owner = new Client(t.admin);
    await owner.logIn(PASSWORD);
    for (let i = 0; i < 50; i++) await new Client(t.admin).fetchCsrf();
    assert.ok(t.admin.deps.sessions.size <= 8);
    assert.equal((await owner.get('/api/v1/peers')).status, 200);
  } finally {
    await t.close();
  }
});
