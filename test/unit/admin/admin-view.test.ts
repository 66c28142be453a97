import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from './fixture.js';
import { Router } from '../../../src/router/router.js';
import { adminRouterView, bandwidthClass } from '../../../src/router/admin-view.js';
import { defaultConfig, type RouterConfig } from '../../../src/config/options.js';
import { silentLogger } from '../../../src/util/log.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { waitFor } from '../../interop/testnet.js';

function config(extra: Partial<RouterConfig> = {}): RouterConfig {
  return { ...defaultConfig('/nonexistent'), datadir: tempDir('router'), netid: 99, host: '127.0.0.1', port: 0, 'reseed.urls': [], ...extra };
}

test('bandwidth class: the highest letter in the caps', () => {
  assert.equal(bandwidthClass('XfR'), 'X');
  assert.equal(bandwidthClass('OPfR'), 'P');
  assert.equal(bandwidthClass('fU'), undefined);
});

test('admin view of a running router: peers from its NTCP2 sessions, counts, and runtime settings applied', async () => {
  const a = new Router(config(), silentLogger());
  await a.start();
  await a.updateSettings({ port: a.ntcp2!.boundPort });
  const b = new Router(config(), silentLogger());
  await b.start();
  try {
    await b.connect(a.routerInfo);
    const view = adminRouterView(a, '9.9.9');
    await waitFor(() => view.peers().length === 1, 5000, 'the session in the admin view');
    const [peer] = view.peers();
    assert.equal(peer!.hash, i2pBase64Encode(b.hash));
    assert.equal(peer!.address, '127.0.0.1');
    assert.equal(peer!.inbound, true);
    assert.equal(peer!.caps, b.routerInfo.caps);
    assert.equal(view.routerHash(), i2pBase64Encode(a.hash));
    assert.equal(view.netId(), 99);
    assert.equal(view.version, '9.9.9');
    assert.equal(view.counts().peers, 1);
    assert.ok(view.traffic().bytesIn > 0);
    assert.equal(view.tunnelCounts().transit, 0);
    assert.equal(typeof view.netDbSummary().counters, 'object');
    assert.equal(view.reachability, undefined, 'not measured yet: left out, reported as not available');
    // One handshake so far: a sample, but no estimate until five.
    assert.deepEqual(view.clockSkewMs!(), { available: false, reason: 'not measured yet: 1 of 5 peer handshakes' });
    for (let i = 0; i < 4; i++) a.ntcp2!.clockSkew.add(0);
    assert.equal(view.clockSkewMs!(), 0);

    assert.ok(view.caps().startsWith('L'));
    await view.applyRuntimeSettings({ bandwidth: 'O', share: 50, 'limits.transittunnels': 0 });
    assert.equal(a.config.bandwidth, 'O');
    assert.equal(a.config.share, 50);
    // A zero transit limit publishes the G congestion cap (proposal 162), a new class its letter.
    assert.match(view.caps(), /^O.*G$/);
  } finally {
    await b.stop();
    await a.stop();
  }
});
