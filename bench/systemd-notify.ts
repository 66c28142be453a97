/**
 * What one sd_notify message costs the daemon (src/util/systemd-notify.ts): each one runs systemd's
 * `systemd-notify`, which sends the datagram and waits for the receiver (BARRIER=1). Measured against
 * a local datagram socket (test/helpers/notify-socket.py in the manager's place): wall time per
 * message, and the share of one core the watchdog keep-alives take at the appliance's period
 * (WatchdogSec=60 → one every 20 s). `node dist/bench/systemd-notify.js` runs it alone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { systemdNotifySender } from '../src/util/systemd-notify.js';
import { runIfMain } from './run-if-main.js';

const MESSAGES = 30;
const KEEPALIVE_PERIOD_MS = 20_000;

export async function benchSystemdNotify(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-bench-notify-'));
  const socketPath = join(dir, 'notify');
  const helper = fileURLToPath(new URL('../../test/helpers/notify-socket.py', import.meta.url));
  const receiver = spawn('python3', [helper, socketPath, '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      receiver.once('error', reject);
      createInterface({ input: receiver.stdout! }).on('line', (l) => {
        if (l === 'listening') resolve();
        else if (!l.includes('BARRIER=1')) received++; // systemd-notify's barrier comes as a datagram of its own
      });
    });
    const send = systemdNotifySender('systemd-notify', { ...process.env, NOTIFY_SOCKET: socketPath });
    await send(['WATCHDOG=1']); // warm the page cache
    const times: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < MESSAGES; i++) {
      const t = process.hrtime.bigint();
      await send(['WATCHDOG=1']);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const cpu = process.cpuUsage(cpuBefore);
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    return {
      messages: MESSAGES,
      received: received - 1, // less the warm-up
      wallMsMean: Number(mean.toFixed(2)),
      wallMsMedian: Number(times[Math.floor(times.length / 2)]!.toFixed(2)),
      wallMsMax: Number(times.at(-1)!.toFixed(2)),
      daemonCpuMsPerMessage: Number(((cpu.user + cpu.system) / 1000 / MESSAGES).toFixed(3)),
      keepAliveShareOfOneCorePercent: Number(((mean / KEEPALIVE_PERIOD_MS) * 100).toFixed(4)),
      note: 'wall time includes the child process (fork+exec of systemd-notify) and the barrier round trip; an upper bound of its CPU',
    };
  } finally {
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, benchSystemdNotify);
