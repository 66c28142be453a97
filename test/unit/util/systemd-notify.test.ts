import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../src/util/log.js';
import { SystemdNotifier, systemdNotifySender, watchdogIntervalMs, type NotifySender } from '../../../src/util/systemd-notify.js';

const log = silentLogger();

function recorder(): { send: NotifySender; sent: string[][] } {
  const sent: string[][] = [];
  return { sent, send: async (a) => void sent.push([...a]) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('without NOTIFY_SOCKET nothing is sent and no watchdog runs', async () => {
  const { send, sent } = recorder();
  const n = new SystemdNotifier({ log, send, env: { WATCHDOG_USEC: '30000' }, pid: 42 });
  assert.equal(n.enabled, false);
  assert.equal(n.watchdogMs, undefined);
  await n.ready('up');
  await n.status('x');
  await n.stopping();
  assert.deepEqual(sent, []);
});

test('the watchdog period is a third of WATCHDOG_USEC, for this process only', () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 7), 20_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '7' }, 7), 20_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '8' }, 7), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: 'x7' }, 7), undefined);
  assert.equal(watchdogIntervalMs({}, 7), undefined);
  for (const bad of ['', '0', '-5', '1e9', '12abc', '2000', '9'.repeat(16)]) assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: bad }, 7), undefined, bad);
});

test('ready sends READY=1 with a one-line status and starts keep-alives; stopping ends them', async () => {
  const { send, sent } = recorder();
  const n = new SystemdNotifier({ log, send, env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '60000' }, pid: 1 });
  assert.equal(n.watchdogMs, 20);
  await n.ready('router\nrunning\r\nINJECTED=1');
  assert.deepEqual(sent[0], ['READY=1', 'STATUS=router running INJECTED=1']);
  await sleep(150);
  await n.stopping();
  const pings = sent.filter((a) => a[0] === 'WATCHDOG=1').length;
  assert.ok(pings >= 2, `keep-alives: ${pings}`);
  assert.deepEqual(sent.at(-1), ['STOPPING=1']);
  const after = sent.length;
  await sleep(80);
  assert.equal(sent.length, after, 'no keep-alive after STOPPING=1');
});

test('a keep-alive still running is not joined by another; failures are counted, never thrown', async () => {
  let release: (() => void) | undefined;
  let calls = 0;
  const send: NotifySender = (a) => {
    calls++;
    if (a[0] !== 'WATCHDOG=1') return Promise.resolve();
    return new Promise<void>((_resolve, reject) => {
      release = () => reject(new Error('manager gone'));
    });
  };
  const n = new SystemdNotifier({ log, send, env: { NOTIFY_SOCKET: '@sock', WATCHDOG_USEC: '30000' }, pid: 1 });
  await n.ready('up');
  await sleep(100);
  assert.equal(n.counters.pings, 1);
  assert.ok(n.counters.pingsSkipped >= 2, `skipped ${n.counters.pingsSkipped}`);
  release!();
  await sleep(30);
  assert.equal(n.counters.failures, 1);
  assert.ok(n.counters.pings >= 2, 'keep-alives resume after the failed one');
  n.stopWatchdog();
  assert.ok(calls >= 3);
});

test('the sender reports a failing command with its exit code and stderr', async () => {
  const send = systemdNotifySender('sh', {});
  await assert.rejects(send(['-c', 'echo no socket >&2; exit 3']), /exited with 3: no socket/);
  await assert.rejects(systemdNotifySender('/nonexistent/systemd-notify')(['READY=1']), /ENOENT/);
});

test("systemd's own systemd-notify delivers READY, STATUS and WATCHDOG to the notification socket", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-appliance-notify-'));
  const socketPath = join(dir, 'notify');
  const helper = fileURLToPath(new URL('../../../../test/helpers/notify-socket.py', import.meta.url));
  const receiver = spawn('python3', [helper, socketPath, '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: receiver.stdout! });
    const received: string[][] = [];
    let listening!: () => void;
    const isListening = new Promise<void>((r) => (listening = r));
    lines.on('line', (l) => (l === 'listening' ? listening() : received.push(JSON.parse(l) as string[])));
    await isListening;
    const n = new SystemdNotifier({ log, env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '300000' }, pid: process.pid });
    await n.ready('router running');
    await sleep(250);
    await n.stopping();
    assert.equal(n.counters.failures, 0);
    const flat = received.flat();
    assert.ok(flat.includes('READY=1'), JSON.stringify(received));
    assert.ok(flat.includes('STATUS=router running'));
    assert.ok(flat.includes('WATCHDOG=1'));
    assert.ok(flat.includes('STOPPING=1'));
  } finally {
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
