import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { filesystemOf, SystemHealthMonitor } from '../../../src/admin/system-health.js';

test('the data directory’s filesystem is the longest mount prefix', () => {
  const fs = [{ mount: '/' }, { mount: '/var' }, { mount: '/var/lib/garlicgate' }, { mount: '/variant' }];
  assert.equal(filesystemOf(fs, '/var/lib/garlicgate/netDb')?.mount, '/var/lib/garlicgate');
  assert.equal(filesystemOf(fs, '/var/log')?.mount, '/var');
  assert.equal(filesystemOf(fs, '/variantx')?.mount, '/');
  assert.equal(filesystemOf([{ mount: '/boot' }], '/home'), undefined);
});

test('system health from systeminformation: real figures or "not available", cached between samples', async () => {
  let now = 1_000_000;
  const m = new SystemHealthMonitor({ datadir: tmpdir(), now: () => now });
  const h = await m.sample();
  assert.equal(h.sampledAt, now);
  assert.ok(h.cpu.cores >= 1);
  assert.equal(h.cpu.loadAverage.length, 3);
  assert.ok(typeof h.cpu.loadPercent === 'number' || h.cpu.loadPercent.available === false);
  assert.ok(typeof h.cpu.temperatureC === 'number' || h.cpu.temperatureC.reason.length > 0);
  if ('totalBytes' in h.memory) assert.ok(h.memory.totalBytes > h.memory.availableBytes && h.memory.availableBytes > 0);
  if ('freeBytes' in h.disk) assert.ok(h.disk.totalBytes >= h.disk.freeBytes && h.disk.mount.startsWith('/'));
  else assert.fail(`the temp directory's filesystem was not found: ${h.disk.reason}`);
  assert.ok(h.process.rssBytes > 10e6);
  now += 1000;
  assert.equal(await m.sample(), h, 'within 5 s the cached sample is returned');
  now += 5000;
  assert.notEqual((await m.sample()).sampledAt, h.sampledAt);
});
