import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { I2PControlHandler, applyEffects, type RequestContext } from '../../../src/i2pcontrol/handler.js';
import { ROUTER_INFO_KEYS } from '../../../src/i2pcontrol/methods.js';
import { NetStatus } from '../../../src/i2pcontrol/router-view.js';
import { createLogger } from '../../../src/util/log.js';
import { FULL_NETWORK_SETTINGS, fakeView, type FakeView } from './fake-view.js';

const NOW = 1_795_000_000_000;
const CTX: RequestContext = { now: NOW, remoteAddress: '127.0.0.1' };

interface Answer {
  id: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
  jsonrpc: string;
}

function setup(opts: { view?: FakeView; password?: string; tokens?: { validityMs?: number; maxTokens?: number } } = {}) {
  const view = opts.view ?? fakeView();
  const h = new I2PControlHandler({ view, password: opts.password ?? 'itoopie', ...(opts.tokens ? { tokens: opts.tokens } : {}) });
  const call = (method: string, params: Record<string, unknown> | undefined, ctx: RequestContext = CTX, id: unknown = 1): Answer => {
    const reply = h.handleBody(JSON.stringify({ id, method, ...(params ? { params } : {}), jsonrpc: '2.0' }), ctx);
    assert.ok(reply.body !== undefined);
    return JSON.parse(reply.body) as Answer;
  };
  const login = (ctx: RequestContext = CTX): string => {
    const a = call('Authenticate', { API: 1, Password: opts.password ?? 'itoopie' }, ctx);
    assert.equal(a.error, undefined, JSON.stringify(a));
    return a.result!.Token as string;
  };
  return { view, h, call, login };
}

test('Authenticate → {API: 1, Token}; the token opens the other methods', () => {
  const { call } = setup();
  const a = call('Authenticate', { API: 1, Password: 'itoopie' }, CTX, 'abc');
  assert.equal(a.id, 'abc');
  assert.equal(a.jsonrpc, '2.0');
  assert.deepEqual(Object.keys(a.result!), ['API', 'Token']);
  assert.equal(a.result!.API, 1);
  assert.match(a.result!.Token as string, /^[0-9a-f]{32}$/);
  const e = call('Echo', { Echo: 'hello', Token: a.result!.Token });
  assert.deepEqual(e.result, { Result: 'hello' });
});

test('Authenticate: API "1" as a string is accepted (i2pd reads it as a number)', () => {
  const { call } = setup();
  assert.equal(call('Authenticate', { API: '1', Password: 'itoopie' }).result!.API, 1);
});

test('Authenticate error codes: -32005 no API, -32006 other API, -32602 no password, -32001 wrong password', () => {
  const { call } = setup();
  assert.equal(call('Authenticate', { Password: 'itoopie' }).error!.code, -32005);
  assert.equal(call('Authenticate', { API: null, Password: 'itoopie' }).error!.code, -32005);
  assert.equal(call('Authenticate', undefined).error!.code, -32005);
  for (const api of [2, 0, '2', 1.5, true, [1], { v: 1 }]) {
    const a = call('Authenticate', { API: api, Password: 'itoopie' });
    assert.equal(a.error!.code, -32006, JSON.stringify(api));
    assert.deepEqual(a.error!.data, { supported: [1] });
  }
  for (const pw of [undefined, null, 5, ['itoopie']]) {
    assert.equal(call('Authenticate', { API: 1, ...(pw === undefined ? {} : { Password: pw }) }).error!.code, -32602);
  }
  const wrong = call('Authenticate', { API: 1, Password: 'itoopie2' });
  assert.equal(wrong.error!.code, -32001);
  assert.equal(wrong.error!.message, 'Invalid password provided.');
  assert.equal(wrong.result, undefined);
});

test('password guessing is throttled per address; waiting it out works; the right password during the wait is refused too', () => {
  const { call } = setup();
  const attacker: RequestContext = { now: NOW, remoteAddress: '198.18.0.66' };
  for (let i = 0; i < 5; i++) assert.equal(call('Authenticate', { API: 1, Password: `guess${i}` }, attacker).error!.code, -32001);
  // Free failures used up: the sixth wrong one sets a 1 s wait.
  assert.equal(call('Authenticate', { API: 1, Password: 'guess5' }, attacker).error!.message, 'Invalid password provided.');
  const blocked = call('Authenticate', { API: 1, Password: 'itoopie' }, { ...attacker, now: NOW + 500 });
  assert.equal(blocked.error!.code, -32001);
  assert.match(blocked.error!.message, /Too many failed authentication attempts/);
  assert.deepEqual(blocked.error!.data, { retryAfterMs: 500 });
  // Another client is not held up.
  assert.ok(call('Authenticate', { API: 1, Password: 'itoopie' }, { now: NOW + 500, remoteAddress: '127.0.0.1' }).result);
  // After the wait, the right password gets in and clears the record.
  const ok = call('Authenticate', { API: 1, Password: 'itoopie' }, { ...attacker, now: NOW + 1000 });
  assert.ok(ok.result?.Token);
  assert.equal(call('Authenticate', { API: 1, Password: 'x' }, { ...attacker, now: NOW + 1001 }).error!.message, 'Invalid password provided.');
});

test('throttle waits grow: 1 s, 2 s, 4 s … (each wrong password after the free ones)', () => {
  const { call } = setup();
  let now = NOW;
  const at = (): RequestContext => ({ now, remoteAddress: '::1' });
  for (let i = 0; i < 6; i++) call('Authenticate', { API: 1, Password: 'x' }, at());
  const waits: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    const a = call('Authenticate', { API: 1, Password: 'x' }, at());
    const w = (a.error!.data as { retryAfterMs: number } | undefined)?.retryAfterMs;
    waits.push(w);
    now += w ?? 0;
    call('Authenticate', { API: 1, Password: 'x' }, at()); // a real (wrong) attempt once the wait is over
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000]);
});

test('every method but Authenticate needs a live token: -32002, -32003, -32004', () => {
  const { call, login } = setup({ tokens: { validityMs: 60_000 } });
  const calls: [string, Record<string, unknown>][] = [
    ['Echo', { Echo: 'x' }],
    ['RouterInfo', { 'i2p.router.uptime': null }],
    ['RouterManager', { Reseed: null }],
    ['NetworkSetting', { 'i2p.router.net.bw.in': null }],
    ['I2PControl', { 'i2pcontrol.password': 'new' }],
  ];
  const token = login();
  for (const [method, params] of calls) {
    assert.equal(call(method, params).error!.code, -32002, method);
    assert.equal(call(method, { ...params, Token: null }).error!.code, -32002, method);
    assert.equal(call(method, { ...params, Token: '1795675276' }).error!.code, -32003, method);
    assert.equal(call(method, { ...params, Token: 1795675276 }).error!.code, -32003, method);
  }
  const late: RequestContext = { now: NOW + 60_000, remoteAddress: '127.0.0.1' };
  const expired = call('Echo', { Echo: 'x', Token: token }, late);
  assert.equal(expired.error!.code, -32004);
  assert.equal(expired.error!.message, 'The provided authentication token was expired and will be removed.');
  assert.equal(call('Echo', { Echo: 'x', Token: token }, late).error!.code, -32003);
});

test('unknown methods are -32601, before any token check; method names are case-sensitive', () => {
  const { call, login } = setup();
  assert.equal(call('GetRate', { Stat: 'bw.sendRate', Period: 60000 }).error!.code, -32601);
  assert.equal(call('echo', { Echo: 'x', Token: login() }).error!.code, -32601);
  assert.equal(call('ClientServicesInfo', {}).error!.code, -32601);
  assert.equal(call('__proto__', {}).error!.code, -32601);
  assert.equal(call('constructor', {}).error!.code, -32601);
});

test('Echo: string as is, numbers and booleans as strings (as i2pd), anything else -32602', () => {
  const { call, login } = setup();
  const Token = login();
  assert.deepEqual(call('Echo', { Echo: 'a"b\u2603', Token }).result, { Result: 'a"b\u2603' });
  assert.deepEqual(call('Echo', { Echo: 5, Token }).result, { Result: '5' });
  assert.deepEqual(call('Echo', { Echo: false, Token }).result, { Result: 'false' });
  for (const bad of [undefined, null, { a: 1 }, ['x']]) {
    assert.equal(call('Echo', { Token, ...(bad === undefined ? {} : { Echo: bad }) }).error!.code, -32602, JSON.stringify(bad));
  }
});

test('RouterInfo answers every supported key with i2pd types, in request order', () => {
  const view = fakeView({
    leaseSets: () => 9,
    fastPeers: () => 4,
    highCapacityPeers: () => 6,
    tunnelSuccessRate: () => 87.6,
    totalBytes: () => ({ received: 1_000_000, sent: 2_000_000 }),
  });
  const { call, login } = setup({ view });
  const Token = login();
  const params: Record<string, unknown> = { Token };
  for (const k of [...ROUTER_INFO_KEYS].reverse()) params[k] = null;
  const r = call('RouterInfo', params).result!;
  assert.deepEqual(Object.keys(r), [...ROUTER_INFO_KEYS].reverse());
  assert.deepEqual(r, {
    'i2p.router.uptime': 123456,
    'i2p.router.version': '0.1.0',
    'i2p.router.status': '1',
    'i2p.router.net.status': NetStatus.FIREWALLED,
    'i2p.router.net.bw.inbound.1s': 1234.57,
    'i2p.router.net.bw.inbound.15s': 1000,
    'i2p.router.net.bw.outbound.1s': 2048,
    'i2p.router.net.bw.outbound.15s': 0,
    'i2p.router.net.tunnels.participating': 3,
    'i2p.router.net.tunnels.successrate': 87,
    'i2p.router.net.total.received.bytes': 1_000_000,
    'i2p.router.net.total.sent.bytes': 2_000_000,
    'i2p.router.netdb.knownpeers': 42,
    'i2p.router.netdb.activepeers': 7,
    'i2p.router.netdb.floodfills': 5,
    'i2p.router.netdb.leasesets': 9,
    'i2p.router.netdb.fastpeers': 4,
    'i2p.router.netdb.highcapacitypeers': 6,
    'i2p.router.netdb.isreseeding': false,
  });
  assert.equal(view.bandwidthCalls, 1, 'one bandwidth snapshot per request');
  view.values.ready = false;
  view.values.reseeding = true;
  assert.deepEqual(call('RouterInfo', { Token, 'i2p.router.status': '', 'i2p.router.netdb.isreseeding': '' }).result, {
    'i2p.router.status': '0',
    'i2p.router.netdb.isreseeding': true,
  });
});

test('RouterInfo leaves out unknown keys and keys the view does not track (as i2pd does)', () => {
  const { call, login } = setup();
  const Token = login();
  const r = call('RouterInfo', {
    Token,
    'i2p.router.uptime': null,
    'i2p.router.net.status.v6': null,
    'i2p.router.netdb.fastpeers': null,
    'i2p.router.net.tunnels.successrate': null,
    'i2p.router.net.total.sent.bytes': null,
    ['__proto__']: null,
    constructor: null,
    toString: null,
  });
  assert.deepEqual(r.result, { 'i2p.router.uptime': 123456 });
  assert.deepEqual(call('RouterInfo', { Token }).result, {});
});

test('a view that throws or returns a non-number gives -32603, not a crash', () => {
  const view = fakeView({
    knownPeers: () => {
      throw new Error('netdb gone');
    },
  });
  const { call, login } = setup({ view });
  const Token = login();
  const a = call('RouterInfo', { Token, 'i2p.router.netdb.knownpeers': null });
  assert.equal(a.error!.code, -32603);
  assert.equal(a.error!.message, 'Internal error.');
  view.values.bandwidth = { in1s: NaN, in15s: 0, out1s: 0, out15s: 0 };
  assert.equal(call('RouterInfo', { Token, 'i2p.router.net.bw.inbound.1s': null }).error!.code, -32603);
  assert.equal(call('RouterInfo', { Token, 'i2p.router.uptime': null }).result!['i2p.router.uptime'], 123456, 'the service keeps answering');
});

test('RouterManager: Shutdown/ShutdownGraceful/Reseed answer {X: null} and become effects, in order', () => {
  const { h, login } = setup();
  const Token = login();
  const reply = h.handleBody(JSON.stringify({ id: 1, method: 'RouterManager', params: { Token, Reseed: null, ShutdownGraceful: null, Shutdown: null, Bogus: null } }), CTX);
  assert.deepEqual(JSON.parse(reply.body!).result, { Reseed: null, ShutdownGraceful: null, Shutdown: null });
  assert.deepEqual(reply.effects, [{ kind: 'reseed' }, { kind: 'shutdown', graceful: true }, { kind: 'shutdown', graceful: false }]);
});

test('RouterManager: FindUpdates, Update and (without view.restart) Restart are refused, and nothing starts', () => {
  const { h, login } = setup();
  const Token = login();
  for (const action of ['FindUpdates', 'Update', 'Restart', 'RestartGraceful']) {
    const reply = h.handleBody(JSON.stringify({ id: 1, method: 'RouterManager', params: { Token, Shutdown: null, [action]: null } }), CTX);
    const a = JSON.parse(reply.body!) as Answer;
    assert.equal(a.error!.code, -32602, action);
    assert.match(a.error!.message, new RegExp(action));
    assert.deepEqual(reply.effects, [], action);
  }
});

test('RouterManager: Restart is offered when the view can restart', () => {
  const restarts: boolean[] = [];
  const view = fakeView({ restart: (g) => void restarts.push(g) });
  const { h, login } = setup({ view });
  const Token = login();
  const reply = h.handleBody(JSON.stringify({ id: 1, method: 'RouterManager', params: { Token, RestartGraceful: null } }), CTX);
  assert.deepEqual(JSON.parse(reply.body!).result, { RestartGraceful: null });
  applyEffects(view, reply.effects, createLogger('none'));
  assert.deepEqual(restarts, [true]);
});

test('applyEffects runs every action and logs (not throws) a failing one', () => {
  const lines: string[] = [];
  const log = createLogger('error', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const view = fakeView({
    reseed: () => {
      throw new Error('no reseed servers');
    },
  });
  applyEffects(view, [{ kind: 'reseed' }, { kind: 'shutdown', graceful: false }], log);
  assert.deepEqual(view.actions, ['shutdown']);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /router action failed/);
});

test('NetworkSetting reads: spec strings, i2pd numbers for bw.in/bw.out, unknown keys left out', () => {
  const view = fakeView({ networkSettings: () => FULL_NETWORK_SETTINGS });
  const { call, login } = setup({ view });
  const Token = login();
  const r = call('NetworkSetting', {
    Token,
    'i2p.router.net.ntcp.port': null,
    'i2p.router.net.ntcp.hostname': null,
    'i2p.router.net.ntcp.autoip': null,
    'i2p.router.net.upnp': null,
    'i2p.router.net.bw.share': null,
    'i2p.router.net.bw.in': null,
    'i2p.router.net.bw.out': '',
    'i2p.router.net.ssu.port': null,
    'i2p.router.net.laptopmode': null,
  });
  assert.deepEqual(r.result, {
    'i2p.router.net.ntcp.port': '12345',
    'i2p.router.net.ntcp.hostname': '198.18.0.7',
    'i2p.router.net.ntcp.autoip': 'false',
    'i2p.router.net.upnp': 'false',
    'i2p.router.net.bw.share': '80',
    'i2p.router.net.bw.in': 48,
    'i2p.router.net.bw.out': 48,
    SettingsSaved: false,
    RestartNeeded: false,
  });
  // A view without network settings: every key is left out.
  const bare = setup();
  assert.deepEqual(bare.call('NetworkSetting', { Token: bare.login(), 'i2p.router.net.bw.in': null }).result, { SettingsSaved: false, RestartNeeded: false });
});

test('NetworkSetting refuses any write, even mixed with reads', () => {
  const view = fakeView({ networkSettings: () => FULL_NETWORK_SETTINGS });
  const { call, login } = setup({ view });
  const Token = login();
  for (const [k, v] of [
    ['i2p.router.net.bw.in', '100'],
    ['i2p.router.net.bw.out', 100],
    ['i2p.router.net.ntcp.port', '4444'],
    ['i2p.router.net.ssu.port', '4444'],
    ['i2p.router.net.upnp', true],
  ] as const) {
    const a = call('NetworkSetting', { Token, 'i2p.router.net.ntcp.port': null, [k]: v });
    assert.equal(a.error!.code, -32602, k);
    assert.match(a.error!.message, /read-only/);
  }
});

test('I2PControl: a new password revokes every token; the old password stops working', () => {
  const { call, login } = setup();
  const t1 = login();
  const t2 = login();
  const a = call('I2PControl', { Token: t1, 'i2pcontrol.password': 's3cret' });
  assert.deepEqual(a.result, { 'i2pcontrol.password': null, SettingsSaved: true, RestartNeeded: false });
  assert.equal(call('Echo', { Token: t2, Echo: 'x' }).error!.code, -32003);
  assert.equal(call('Echo', { Token: t1, Echo: 'x' }).error!.code, -32003);
  assert.equal(call('Authenticate', { API: 1, Password: 'itoopie' }).error!.code, -32001);
  const t3 = call('Authenticate', { API: 1, Password: 's3cret' }).result!.Token;
  assert.deepEqual(call('Echo', { Token: t3, Echo: 'x' }).result, { Result: 'x' });
});

test('I2PControl: address/port changes are refused and then nothing changes; bad passwords refused', () => {
  const { call, login } = setup();
  const Token = login();
  for (const [k, v] of [
    ['i2pcontrol.port', '7651'],
    ['i2pcontrol.port', 7651],
    ['i2pcontrol.address', '0.0.0.0'],
  ] as const) {
    const a = call('I2PControl', { Token, 'i2pcontrol.password': 'changed', [k]: v });
    assert.equal(a.error!.code, -32602, k);
  }
  for (const bad of ['', 5, { p: 1 }]) assert.equal(call('I2PControl', { Token, 'i2pcontrol.password': bad }).error!.code, -32602);
  assert.deepEqual(call('Echo', { Token, Echo: 'still' }).result, { Result: 'still' }, 'token not revoked');
  assert.ok(call('Authenticate', { API: 1, Password: 'itoopie' }).result, 'password unchanged');
  assert.deepEqual(call('I2PControl', { Token, 'i2pcontrol.port': null, whatever: 1 }).result, { SettingsSaved: false, RestartNeeded: false });
});

test('batches: answered in order, notifications unanswered, effects collected', () => {
  const { h, login } = setup();
  const Token = login();
  const batch = [
    { id: 1, method: 'Echo', params: { Token, Echo: 'one' }, jsonrpc: '2.0' },
    { method: 'RouterManager', params: { Token, Reseed: null }, jsonrpc: '2.0' }, // notification: runs, no answer
    { id: 'b', method: 'Nope', params: {}, jsonrpc: '2.0' },
    'not a request',
    { id: 3, method: 'Echo', params: { Echo: 'x' }, jsonrpc: '2.0' },
  ];
  const reply = h.handleBody(JSON.stringify(batch), CTX);
  const answers = JSON.parse(reply.body!) as Answer[];
  assert.equal(answers.length, 4);
  assert.deepEqual(answers[0], { id: 1, result: { Result: 'one' }, jsonrpc: '2.0' });
  assert.deepEqual([answers[1]!.id, answers[1]!.error!.code], ['b', -32601]);
  assert.deepEqual([answers[2]!.id, answers[2]!.error!.code], [null, -32600]);
  assert.deepEqual([answers[3]!.id, answers[3]!.error!.code], [3, -32002]);
  assert.deepEqual(reply.effects, [{ kind: 'reseed' }]);
});

test('notifications only (single or batch): nothing is answered; a failing notification has no effect', () => {
  const { h, login } = setup();
  const Token = login();
  const single = h.handleBody(JSON.stringify({ method: 'RouterManager', params: { Token, Shutdown: null } }), CTX);
  assert.deepEqual(single, { body: undefined, effects: [{ kind: 'shutdown', graceful: false }] });
  const batch = h.handleBody(JSON.stringify([{ method: 'Echo', params: { Token, Echo: 'x' } }, { method: 'RouterManager', params: { Shutdown: null } }]), CTX);
  assert.deepEqual(batch, { body: undefined, effects: [] });
});

test('envelope errors through handleBody: parse error, empty and oversized batch', () => {
  const { h } = setup();
  const one = (body: string) => JSON.parse(h.handleBody(body, CTX).body!) as Answer;
  assert.deepEqual([one('{"id":1,').id, one('{"id":1,').error!.code], [null, -32700]);
  assert.equal(one('[]').error!.code, -32600);
  assert.equal(one(JSON.stringify(Array.from({ length: 33 }, (_, i) => ({ id: i, method: 'Echo' })))).error!.code, -32600);
  assert.equal((JSON.parse(h.handleBody(JSON.stringify(Array.from({ length: 32 }, (_, i) => ({ id: i, method: 'Echo' }))), CTX).body!) as Answer[]).length, 32);
});

test('a wrong-password storm inside one batch is throttled like separate requests', () => {
  const { h } = setup();
  const batch = Array.from({ length: 10 }, (_, i) => ({ id: i, method: 'Authenticate', params: { API: 1, Password: `g${i}` } }));
  batch.push({ id: 10, method: 'Authenticate', params: { API: 1, Password: 'itoopie' } });
  const answers = JSON.parse(h.handleBody(JSON.stringify(batch), CTX).body!) as Answer[];
  assert.ok(answers.every((a) => a.error?.code === -32001));
  assert.equal(answers.filter((a) => /Too many/.test(a.error!.message)).length, 5);
  assert.equal(h.tokenCount, 0, 'the right password inside the storm got no token');
});

test('handleMessage takes an already-parsed request', () => {
  const { h } = setup();
  const r = h.handleMessage({ id: 9, method: 'Authenticate', params: { API: 1, Password: 'itoopie' } }, CTX);
  assert.equal((JSON.parse(r.body!) as Answer).id, 9);
  assert.equal(h.tokenCount, 1);
});
