import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, makeAdmin } from './fixture.js';
import { HttpClient } from './http-client.js';
import { DashboardAggregator } from '../../../src/admin/dashboard.js';
import { AdminServer } from '../../../src/admin/server.js';
import { silentLogger } from '../../../src/util/log.js';
import { evaluateProtection } from '../../../src/admin/gateway-status.js';

const sample = (at: number, bytesIn: number, bytesOut = 0, transitBytes = 0, buildsStarted = 0, buildsSucceeded = 0) => ({ at, bytesIn, bytesOut, transitBytes, buildsStarted, buildsSucceeded });

test('aggregator: rates from counter deltas, bounded history, build success over a window', () => {
  const a = new DashboardAggregator({ historyPoints: 3, buildWindowMs: 10_000 });
  assert.equal(a.add(sample(1000, 0)), undefined, 'one sample gives no rate');
  assert.deepEqual(a.add(sample(3000, 4000, 1000, 500)), [3000, 2000, 500, 250]);
  assert.equal(a.add(sample(3000, 9999)), undefined, 'a sample not later than the last is ignored');
  assert.deepEqual(a.add(sample(5000, 2000)), [5000, 0, 0, 0], 'a counter that went down gives 0, never a negative rate');
  a.add(sample(7000, 4000));
  a.add(sample(9000, 6000));
  assert.deepEqual(a.history().map((p) => p[0]), [5000, 7000, 9000], 'history keeps the newest points');
  assert.deepEqual(a.peek(sample(10_000, 7000)), [10_000, 1000, 0, 0]);

  const b = new DashboardAggregator({ buildWindowMs: 10_000 });
  assert.deepEqual(b.buildSuccess().percent, { available: false, reason: 'no tunnel builds in the window' });
  b.add(sample(0, 0, 0, 0, 100, 10));
  b.add(sample(5000, 0, 0, 0, 110, 18));
  assert.equal(b.buildSuccess().percent, 80);
  b.add(sample(20_000, 0, 0, 0, 120, 19));
  // The window now starts at the 5 s sample: 10 started, 1 succeeded.
  assert.deepEqual({ ...b.buildSuccess() }, { windowMs: 10_000, started: 10, succeeded: 1, percent: 10 });
});

test('protection: protected only when firewall, DNS and proxy are all ok; missing parts are "not available yet"', () => {
  const ok = () => ({ state: 'ok' as const, detail: 'fine' });
  assert.equal(evaluateProtection({ firewall: ok, dns: ok, proxy: ok }).state, 'protected');
  const p = evaluateProtection({ firewall: ok });
  assert.equal(p.state, 'not-protected');
  assert.deepEqual(p.reasons, ['DNS server: not available yet', 'transparent proxy: not available yet']);
  assert.equal(p.dns.state, 'not-available');
  const f = evaluateProtection({ firewall: () => ({ state: 'unknown', detail: 'could not check the firewall: permission denied' }), dns: ok, proxy: ok });
  assert.deepEqual(f.reasons, ['firewall: could not check the firewall: permission denied']);
});

test('dashboard snapshot: router figures, "not available yet" where the router measures nothing', async () => {
  const t = await makeAdmin();
  try {
    const c = new Client(t.admin);
    await c.logIn();
    const r = await c.get('/api/v1/dashboard');
    assert.equal(r.status, 200);
    const s = r.body.snapshot;
    assert.equal(s.router.published, 'firewalled');
    assert.deepEqual(s.router.clockSkewMs, { available: false, reason: 'not available yet' });
    assert.deepEqual(s.router.reachability, { available: false, reason: 'not available yet' });
    assert.deepEqual(s.lanClients, { available: false, reason: 'not available yet' });
    assert.equal(s.protection.state, 'not-protected');
    assert.equal(s.counts.tunnels.transit, 4);
    assert.equal(s.system.cpu.loadPercent, 12.5);
    assert.deepEqual(s.system.cpu.temperatureC, { available: false, reason: 'no temperature sensor' });
    assert.equal(r.body.history.intervalMs, 2000);
  } finally {
    await t.close();
  }
});

test('SSE: the dashboard stream delivers the first snapshot, then aggregated snapshots each tick, and ends with the session', async () => {
  // A long interval: the test drives the ticks itself.
  const t = await makeAdmin({ app: { dashboardIntervalMs: 3_600_000 } });
  const server = await AdminServer.start(t.admin, ['127.0.0.1'], 0, silentLogger());
  try {
    const c = new HttpClient(server.boundPort()!);
    const anonymous = await c.openStream('/api/v1/dashboard/stream');
    assert.equal(anonymous.status, 401);
    anonymous.close();
    await c.logIn();
    const stream = await c.openStream('/api/v1/dashboard/stream');
    assert.equal(stream.status, 200);
    assert.match(stream.contentType, /^text\/event-stream/);
    const [hello] = await stream.waitFor(1);
    assert.equal(hello!.event, 'hello');
    const h = JSON.parse(hello!.data);
    assert.ok(h.snapshot.router && Array.isArray(h.history.points));

    t.router.values.bytesIn += 50_000;
    t.router.values.transitBytes += 10_000;
    t.router.values.buildsStarted += 4;
    t.router.values.buildsSucceeded += 3;
    await new Promise((r) => setTimeout(r, 20));
    t.admin.dashboard.tick();
    await new Promise((r) => setTimeout(r, 5));
    t.admin.dashboard.tick();
    const events = await stream.waitFor(3);
    const snap = JSON.parse(events[1]!.data);
    assert.equal(events[1]!.event, 'snapshot');
    assert.equal(snap.snapshot.bandwidth.totalInBytes, 50_000);
    assert.ok(snap.point[1] > 0, 'the inbound rate is computed on the server');
    assert.equal(snap.point[3] > 0, true);
    assert.equal(snap.snapshot.tunnelBuildSuccess.percent, 75);
    assert.deepEqual(JSON.parse(events[2]!.data).point.slice(1), [0, 0, 0], 'no traffic between the two ticks');
    // One serialization per tick for every subscriber: a second page gets the same bytes.
    const second = await c.openStream('/api/v1/dashboard/stream');
    await second.waitFor(1);
    await new Promise((r) => setTimeout(r, 5));
    t.admin.dashboard.tick();
    const [a, b] = [await stream.waitFor(4), await second.waitFor(2)];
    assert.equal(a[3]!.data, b[1]!.data);
    assert.equal(t.admin.dashboard.subscribers, 2);

    assert.equal((await c.call('POST', '/api/v1/auth/logout')).status, 204);
    await stream.ended;
    await second.ended;
    t.admin.dashboard.tick();
    assert.equal(t.admin.dashboard.subscribers, 0, 'the streams of the session are gone');
  } finally {
    await server.close();
  }
});

test('SSE: the number of open streams is bounded', async () => {
  const t = await makeAdmin({ app: { maxStreams: 2, dashboardIntervalMs: 3_600_000 } });
  const server = await AdminServer.start(t.admin, ['127.0.0.1'], 0, silentLogger());
  try {
    const c = new HttpClient(server.boundPort()!);
    await c.logIn();
    const s1 = await c.openStream('/api/v1/dashboard/stream');
    const s2 = await c.openStream('/api/v1/logs/stream');
    const s3 = await c.openStream('/api/v1/dashboard/stream');
    assert.deepEqual([s1.status, s2.status, s3.status], [200, 200, 503]);
    s1.close();
    await new Promise((r) => setTimeout(r, 100));
    const s4 = await c.openStream('/api/v1/dashboard/stream');
    assert.equal(s4.status, 200, 'a closed stream frees its place');
    s2.close();
    s4.close();
  } finally {
    await server.close();
  }
});
