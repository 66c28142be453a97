import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { defaultConfig } from '../../../../src/config/options.js';
import {
  configWithRequest,
  decodeNetworkRequest,
  encodeNetworkRequest,
  MAX_REQUEST_BYTES,
  NETWORK_SETTING_KEYS,
  NetworkRequestError,
  networkRequestFor,
  readNetworkRequest,
} from '../../../../src/gateway/firewall/network-request.js';
import { decodeFirewallReport, encodeFirewallReport, FirewallReportError, readFirewallReport, writeFirewallReport, APPLY_FILE, STATUS_FILE } from '../../../../src/gateway/firewall/firewall-report.js';
import { SETTINGS } from '../../../../src/admin/settings/settings-spec.js';

const ID = '0123456789abcdef';
const base = () => ({ ...defaultConfig('/d'), 'gateway.lan.address': '192.168.9.1/24', 'gateway.virtualrange': '10.77.0.0/16', 'gateway.mode': 'outproxy' as const, 'gateway.outproxy': 'exit.i2p:4444' });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ggh-netreq-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('network request: the admin UI network settings are exactly the ones a request carries', () => {
  const network = Object.entries(SETTINGS).filter(([, kind]) => kind === 'network').map(([k]) => k).sort();
  assert.deepEqual([...NETWORK_SETTING_KEYS].sort(), network);
});

test('network request: round trip puts the config\'s network settings on top of another config', () => {
  const r = networkRequestFor(base(), ID);
  const back = decodeNetworkRequest(encodeNetworkRequest(r));
  assert.deepEqual(back, r);
  const onTop = configWithRequest(defaultConfig('/other'), back);
  assert.equal(onTop['gateway.lan.address'], '192.168.9.1/24');
  assert.equal(onTop['gateway.virtualrange'], '10.77.0.0/16');
  assert.equal(onTop['gateway.mode'], 'outproxy');
  assert.equal(onTop['gateway.outproxy'], 'exit.i2p:4444');
  assert.equal(onTop.datadir, defaultConfig('/other').datadir, 'everything else stays the config file\'s');
  // Unset outproxy travels as '' and comes back unset.
  const unset = decodeNetworkRequest(encodeNetworkRequest(networkRequestFor(defaultConfig('/d'), ID)));
  assert.equal(unset.settings['gateway.outproxy'], '');
  assert.equal(configWithRequest(base(), unset)['gateway.outproxy'], undefined);
  assert.throws(() => networkRequestFor(base(), 'nothex'), NetworkRequestError);
});

test('network request: hostile input is refused with a reason (root reads what the unprivileged side wrote)', () => {
  const good = JSON.parse(encodeNetworkRequest(networkRequestFor(base(), ID))) as Record<string, unknown>;
  const variant = (patch: (o: Record<string, unknown> & { settings: Record<string, unknown> }) => void): string => {
    const o = structuredClone(good) as Record<string, unknown> & { settings: Record<string, unknown> };
    patch(o);
    return JSON.stringify(o);
  };
  const cases: Array<[string, RegExp]> = [
    ['', /not JSON/],
    ['{"version":1', /not JSON/],
    ['[]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['"x"', /not a JSON object/],
    [variant((o) => (o.version = 2)), /version/],
    [variant((o) => (o.id = 'ABCDEF0123456789')), /id/],
    [variant((o) => (o.id = 7)), /id/],
    [variant((o) => ((o as Record<string, unknown>).settings = [])), /settings are not an object/],
    [variant((o) => (o.settings.datadir = '/etc')), /"datadir", which is not a network setting/],
    [variant((o) => (o.settings['gateway.firewall.status'] = '/etc')), /not a network setting/],
    [variant((o) => delete o.settings['gateway.lan.interface']), /no gateway\.lan\.interface/],
    [variant((o) => (o.settings['gateway.virtualrange'] = 10)), /no gateway\.virtualrange/],
    [variant((o) => (o.settings['gateway.lan.interface'] = 'eth0\n[x]')), /not a config value/],
    [variant((o) => (o.settings['gateway.lan.interface'] = 'e'.repeat(300))), /not a config value/],
    [variant((o) => (o.settings['gateway.lan.address'] = '300.1.1.1/24')), /gateway\.lan\.address/],
    [variant((o) => (o.settings['gateway.mode'] = 'open')), /gateway\.mode/],
    [`${' '.repeat(MAX_REQUEST_BYTES)}{}`, /larger than/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => decodeNetworkRequest(text), (e: unknown) => e instanceof NetworkRequestError && why.test(e.message), `${text.slice(0, 80)} → ${why}`);
  }
});

test('network request file: absent is none; a symlink, a FIFO, a directory or an oversized file is refused unread', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'network-request.json');
    assert.equal(await readNetworkRequest(path), undefined);
    writeFileSync(path, encodeNetworkRequest(networkRequestFor(base(), ID)));
    assert.equal((await readNetworkRequest(path))?.id, ID);

    const secret = join(dir, 'secret');
    writeFileSync(secret, 'root:x:0:0\n');
    const link = join(dir, 'link.json');
    symlinkSync(secret, link);
    await assert.rejects(readNetworkRequest(link), /symbolic link: refused/);
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(readNetworkRequest(fifo), /not a regular file/);
    const sub = join(dir, 'sub.json');
    mkdirSync(sub);
    await assert.rejects(readNetworkRequest(sub), /not a regular file/);
    const big = join(dir, 'big.json');
    writeFileSync(big, Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20));
    await assert.rejects(readNetworkRequest(big), /larger than/);
    writeFileSync(big, 'garbage');
    await assert.rejects(readNetworkRequest(big), /not JSON/);
  });
});

test('firewall report: round trip, both files for an apply, status only for a check; garbage refused', async () => {
  await withDir(async (dir) => {
    const apply = { kind: 'apply' as const, result: 'ok' as const, detail: 'loaded', planHash: 'ab12', requestId: ID, at: 1000 };
    assert.deepEqual(decodeFirewallReport(encodeFirewallReport(apply)), apply);
    await writeFirewallReport(dir, apply);
    assert.deepEqual(await readFirewallReport(join(dir, APPLY_FILE)), apply);
    assert.deepEqual(await readFirewallReport(join(dir, STATUS_FILE)), apply);
    const check = { kind: 'check' as const, result: 'failed' as const, detail: 'differ', planHash: 'cd34', at: 2000 };
    await writeFirewallReport(dir, check);
    assert.deepEqual(await readFirewallReport(join(dir, APPLY_FILE)), apply, 'a check leaves apply.json alone');
    assert.deepEqual(await readFirewallReport(join(dir, STATUS_FILE)), check);
    assert.equal(await readFirewallReport(join(dir, 'none.json')), undefined);
    // A long detail is cut, not refused.
    const long = decodeFirewallReport(encodeFirewallReport({ ...check, detail: 'x'.repeat(10_000) }));
    assert.ok(long.detail.length <= 4001);
  });
  for (const text of ['', '{', '[]', '{"version":1,"kind":"apply","result":"ok","detail":"d"}', '{"version":1,"kind":"x","result":"ok","detail":"d","at":1}', '{"version":1,"kind":"apply","result":"maybe","detail":"d","at":1}', '{"version":1,"kind":"apply","result":"ok","detail":"d","at":1,"planHash":"XYZ"}', '{"version":1,"kind":"apply","result":"ok","detail":"d","at":1,"requestId":"1"}', '{"version":1,"kind":"apply","result":"ok","detail":5,"at":1}', `{"version":1,"kind":"apply","result":"ok","detail":"${'x'.repeat(20_000)}","at":1}`]) {
    assert.throws(() => decodeFirewallReport(text), FirewallReportError, text.slice(0, 80));
  }
});
