import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, FakeClock, makeAdmin, settle } from './fixture.js';
import { setIniValues } from '../../../src/admin/settings/config-file.js';
import { SettingsTransaction, TransactionError, type Change } from '../../../src/admin/settings/transaction.js';
import { parseIni, loadConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/util/log.js';

test('INI update keeps comments and order, changes keys in place, adds new keys to their section', () => {
  const text = ['# my router', 'bandwidth = L', '', '[gateway]', '# the LAN', 'lan.interface = eth0', '', '[ntcp2]', 'published = true', ''].join('\n');
  const out = setIniValues(text, new Map([['bandwidth', 'O'], ['gateway.lan.interface', 'eth1'], ['gateway.mode', 'outproxy'], ['share', '50'], ['limits.transittunnels', '100']]));
  assert.equal(
    out,
    ['# my router', 'bandwidth = O', 'share = 50', '', '[gateway]', '# the LAN', 'lan.interface = eth1', 'mode = outproxy', '', '[ntcp2]', 'published = true', '', '[limits]', 'transittunnels = 100', ''].join('\n'),
  );
  const parsed = parseIni(out, 'x');
  assert.equal(parsed.get('gateway.mode'), 'outproxy');
  assert.equal(parsed.get('limits.transittunnels'), '100');
  // An empty file, and keys written at top level with dots, are handled too.
  assert.equal(setIniValues('', new Map([['floodfill', 'true']])), 'floodfill = true\n');
  assert.equal(setIniValues('gateway.mode = i2p\n', new Map([['gateway.mode', 'outproxy']])), 'gateway.mode = outproxy\n');
  assert.throws(() => setIniValues('', new Map([['bandwidth', 'L\nfloodfill = true']])), /line break/);
});

function recordingChange(log: string[], fail: Partial<Record<'apply' | 'revert' | 'commit', boolean>> = {}): Change {
  const step = (name: 'apply' | 'revert' | 'commit') => async () => {
    log.push(name);
    if (fail[name]) throw new Error(`${name} failed`);
  };
  return { apply: step('apply'), revert: step('revert'), commit: step('commit') };
}

test('transaction: applied, pending until the deadline, then rolled back (fake clock)', async () => {
  const clock = new FakeClock();
  const tx = new SettingsTransaction({ log: silentLogger(), now: () => clock.now, timers: clock });
  const steps: string[] = [];
  const p = await tx.begin(recordingChange(steps), 90_000, 'x');
  assert.deepEqual(steps, ['apply']);
  assert.equal(tx.pending?.id, p.id);
  assert.equal(p.deadline - p.appliedAt, 90_000);
  // A second change while one is pending is refused.
  await assert.rejects(tx.begin(recordingChange([]), 1000, 'y'), (e: TransactionError) => e.code === 'busy');
  clock.advance(89_999);
  await settle();
  assert.deepEqual(steps, ['apply'], 'nothing happens before the deadline');
  clock.advance(1);
  await settle();
  assert.deepEqual(steps, ['apply', 'revert']);
  assert.equal(tx.pending, undefined);
  assert.equal(tx.lastOutcome?.result, 'rolled-back');
  assert.match(tx.lastOutcome!.reason, /not confirmed within 90 s/);
  // Confirming after the rollback is refused: the change is gone.
  await assert.rejects(tx.confirm(p.id), (e: TransactionError) => e.code === 'unknown-id');
  assert.equal(clock.pending, 0);
});

test('transaction: confirm commits and cancels the timer; rollback reverts now; failures restore the old values', async () => {
  const clock = new FakeClock();
  const tx = new SettingsTransaction({ log: silentLogger(), now: () => clock.now, timers: clock });
  const a: string[] = [];
  const p = await tx.begin(recordingChange(a), 10_000, 'a');
  assert.equal((await tx.confirm(p.id)).result, 'confirmed');
  clock.advance(60_000);
  await settle();
  assert.deepEqual(a, ['apply', 'commit'], 'no rollback after a confirmation');

  const b: string[] = [];
  const q = await tx.begin(recordingChange(b), 10_000, 'b');
  assert.equal((await tx.rollback(q.id)).result, 'rolled-back');
  assert.deepEqual(b, ['apply', 'revert']);

  const c: string[] = [];
  await assert.rejects(tx.begin(recordingChange(c, { apply: true }), 10_000, 'c'), (e: TransactionError) => e.code === 'apply-failed' && e.restored === true);
  assert.deepEqual(c, ['apply', 'revert'], 'a failed apply is undone at once');
  assert.equal(tx.pending, undefined);

  const d: string[] = [];
  const r = await tx.begin(recordingChange(d, { commit: true }), 10_000, 'd');
  await assert.rejects(tx.confirm(r.id), (e: TransactionError) => e.code === 'commit-failed' && e.restored === true);
  assert.deepEqual(d, ['apply', 'commit', 'revert']);

  const e: string[] = [];
  const s = await tx.begin(recordingChange(e, { revert: true }), 5_000, 'e');
  clock.advance(5_000);
  await settle();
  assert.equal(tx.lastOutcome?.id, s.id);
  assert.equal(tx.lastOutcome?.result, 'rollback-failed');
});

test('settings API: each refused value comes back with its reason; nothing is applied', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const bad = await c.put('/api/v1/settings', { changes: { bandwidth: 'Q', share: 150, 'gateway.lan.interface': 'eth 0', 'gateway.virtualrange': '10.191.0.1/16', 'gateway.outproxy': 'example.com:80' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.reasons.bandwidth, /K L M N O P X/);
    assert.match(bad.body.reasons.share, /outside 0–100/);
    assert.match(bad.body.reasons['gateway.lan.interface'], /not a network interface name/);
    assert.match(bad.body.reasons['gateway.virtualrange'], /host bits set/);
    assert.match(bad.body.reasons['gateway.outproxy'], /name\.i2p:port/);
    // Unknown keys are refused by the schema.
    assert.equal((await c.put('/api/v1/settings', { changes: { datadir: '/tmp/x' } })).status, 400);
    // The combination is checked too: the virtual range may not overlap the LAN.
    const overlap = await c.put('/api/v1/settings', { changes: { 'gateway.virtualrange': '192.168.0.0/16' } });
    assert.equal(overlap.status, 400);
    assert.ok(overlap.body.reasons._network, JSON.stringify(overlap.body));
    const outproxyMode = await c.put('/api/v1/settings', { changes: { 'gateway.mode': 'outproxy' } });
    assert.match(outproxyMode.body.reasons['gateway.outproxy'], /needs an outproxy/);
    assert.equal((await c.put('/api/v1/settings', { changes: { bandwidth: 'L' } })).body.reasons._changes, 'nothing to change: every value is already in effect');
    assert.deepEqual(t.router.applied, []);
    assert.deepEqual(t.networkApplied, []);
    assert.equal(existsSync(join(t.datadir, 'garlicgate.conf')), false);
  } finally {
    await t.close();
  }
});

test('settings API: applied at once, rolled back at the deadline unless confirmed; confirmed changes are written to the config file', async () => {
  const clock = new FakeClock();
  const t = await makeAdmin({ timers: clock, now: () => clock.now, config: { 'gateway.enabled': true }, commandLine: ['share'] });
  try {
    const conf = join(t.datadir, 'garlicgate.conf');
    writeFileSync(conf, '# owner notes\nloglevel = info\n');
    const c = new Client(t.admin);
    await c.logIn();

    // 1. Not confirmed: everything goes back, the file is untouched.
    const put = await c.put('/api/v1/settings', { changes: { bandwidth: 'O', 'limits.transittunnels': 100, 'gateway.lan.interface': 'eth1' }, rollbackSeconds: 30 });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.pending.keys.sort(), ['bandwidth', 'gateway.lan.interface', 'limits.transittunnels']);
    assert.equal(put.body.pending.deadline - put.body.pending.appliedAt, 30_000);
    assert.deepEqual(Object.fromEntries(put.body.effects.map((e: { key: string; effect: string }) => [e.key, e.effect])), { bandwidth: 'applied', 'limits.transittunnels': 'applied', 'gateway.lan.interface': 'firewall-reloaded' });
    assert.deepEqual(t.router.applied.at(-1), { bandwidth: 'O', share: 100, 'limits.transittunnels': 100 });
    assert.equal(t.networkApplied.at(-1)?.['gateway.lan.interface'], 'eth1', 'the firewall was generated for the new LAN interface');
    const view = await c.get('/api/v1/settings');
    const bw = view.body.settings.find((s: { key: string }) => s.key === 'bandwidth');
    assert.equal(bw.value, 'O');
    assert.equal(bw.configured, 'L');
    assert.equal(view.body.pending.remainingMs, 30_000);
    assert.equal((await c.put('/api/v1/settings', { changes: { share: 50 } })).status, 409, 'one pending change at a time');

    clock.advance(30_000);
    await settle();
    assert.deepEqual(t.router.applied.at(-1), { bandwidth: 'L', share: 100, 'limits.transittunnels': 2500 }, 'the old runtime values are back');
    assert.equal(t.networkApplied.at(-1)?.['gateway.lan.interface'], 'eth0', 'the old firewall is back');
    assert.equal(readFileSync(conf, 'utf8'), '# owner notes\nloglevel = info\n');
    const after = await c.get('/api/v1/settings');
    assert.equal(after.body.pending, null);
    assert.equal(after.body.lastOutcome.result, 'rolled-back');
    assert.equal(after.body.settings.find((s: { key: string }) => s.key === 'bandwidth').value, 'L');
    assert.equal((await c.post('/api/v1/settings/confirm', { id: put.body.pending.id })).status, 404);

    // 2. Confirmed: kept, and written to the file (comments kept); a restart reads the new values.
    const put2 = await c.put('/api/v1/settings', { changes: { bandwidth: 'P', floodfill: true, share: 80 } });
    assert.equal(put2.status, 200);
    assert.deepEqual(put2.body.overriddenByCommandLine, ['share']);
    assert.equal(put2.body.effects.find((e: { key: string }) => e.key === 'floodfill').effect, 'after-restart');
    const ok = await c.post('/api/v1/settings/confirm', { id: put2.body.pending.id });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.result, 'confirmed');
    clock.advance(600_000);
    await settle();
    const text = readFileSync(conf, 'utf8');
    assert.match(text, /^# owner notes\nloglevel = info\n/);
    const reloaded = loadConfig([`--datadir=${t.datadir}`], '/h').config;
    assert.equal(reloaded.bandwidth, 'P');
    assert.equal(reloaded.floodfill, true);
    assert.equal(reloaded.share, 80);
    const v = await c.get('/api/v1/settings');
    assert.deepEqual(v.body.restartRequired, ['floodfill']);
    assert.equal(v.body.settings.find((s: { key: string }) => s.key === 'share').commandLine, true);
    assert.equal(v.body.lastOutcome.result, 'confirmed');
  } finally {
    await t.close();
  }
});

test('settings API: a network change the firewall refuses is undone at once and reported', async () => {
  const t = await makeAdmin({
    config: { 'gateway.enabled': true },
    network: {
      apply: async (cfg) => {
        if (cfg['gateway.wan.interface'] === 'wwan9') throw new Error('iptables-restore: no such device');
      },
    },
  });
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const r = await c.put('/api/v1/settings', { changes: { 'gateway.wan.interface': 'wwan9' } });
    assert.equal(r.status, 500);
    assert.equal(r.body.restored, true);
    assert.match(r.body.error, /no such device/);
    const v = await c.get('/api/v1/settings');
    assert.equal(v.body.pending, null);
    assert.equal(v.body.settings.find((s: { key: string }) => s.key === 'gateway.wan.interface').value, 'wlan0');
    assert.equal(v.body.lastOutcome.result, 'apply-failed');
    // The owner can roll back a pending change by hand too.
    const p = await c.put('/api/v1/settings', { changes: { share: 10 } });
    const back = await c.post('/api/v1/settings/rollback', { id: p.body.pending.id });
    assert.equal(back.body.result, 'rolled-back');
    assert.deepEqual(t.router.applied.at(-1), { bandwidth: 'L', share: 100, 'limits.transittunnels': 2500 });
  } finally {
    await t.close();
  }
});

test('settings API: with the gateway disabled, network settings are stored but the firewall is not touched', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const r = await c.put('/api/v1/settings', { changes: { 'gateway.mode': 'outproxy', 'gateway.outproxy': 'exit.stormycloud.i2p:444' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.effects.every((e: { effect: string }) => e.effect === 'after-restart'));
    await c.post('/api/v1/settings/confirm', { id: r.body.pending.id });
    assert.deepEqual(t.networkApplied, []);
    assert.match(readFileSync(join(t.datadir, 'garlicgate.conf'), 'utf8'), /\[gateway\]\nmode = outproxy\noutproxy = exit\.stormycloud\.i2p:444\n/);
  } finally {
    await t.close();
  }
});
