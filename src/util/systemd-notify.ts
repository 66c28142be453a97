/**
 * sd_notify(3) for the daemon under systemd (`Type=notify`, `WatchdogSec=`): READY=1 once the
 * router runs, STATUS= lines, STOPPING=1 on shutdown, WATCHDOG=1 keep-alives.
 *
 * Node cannot send a datagram to a unix socket (node:dgram has no AF_UNIX) and one sendmsg() is not
 * worth a native addon, so each notification is one run of systemd's own `systemd-notify`. That
 * child is not the unit's main process, hence `NotifyAccess=all` in the unit; systemd-notify waits
 * (BARRIER=1, systemd ≥ 246) until the manager has taken the message, so it is not lost when the
 * child exits before the manager has looked up its cgroup. A keep-alive costs one short process
 * every WatchdogSec/3 (bench/systemd-notify.ts measures it) — on a Pi with WatchdogSec=60 that is
 * one every 20 s. What the watchdog catches is an event loop that no longer runs timers.
 *
 * Without NOTIFY_SOCKET (not started by systemd with Type=notify) every call does nothing, and
 * nothing is ever spawned.
 */
import { spawn } from 'node:child_process';
import type { Logger } from './log.js';

/** Sends `VARIABLE=value` assignments to the service manager; rejects when that failed. */
export type NotifySender = (assignments: readonly string[]) => Promise<void>;

/** How long one systemd-notify run may take before it is killed (it waits for the manager). */
const SEND_TIMEOUT_MS = 10_000;

/** Runs `command` (default `systemd-notify`) with the assignments as arguments. */
export function systemdNotifySender(command = 'systemd-notify', env: NodeJS.ProcessEnv = process.env): NotifySender {
  return (assignments) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(command, [...assignments], { stdio: ['ignore', 'ignore', 'pipe'], env });
      // Not spawn's own `timeout`: its timer outlives a child that failed to start.
      const timer = setTimeout(() => child.kill('SIGKILL'), SEND_TIMEOUT_MS);
      timer.unref();
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        if (stderr.length < 1000) stderr += d;
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${command} ${signal ? `killed by ${signal}` : `exited with ${code}`}${stderr ? `: ${stderr.trim()}` : ''}`));
      });
    });
}

/**
 * The keep-alive period for `WATCHDOG_USEC` (set by systemd when the unit has `WatchdogSec=`), or
 * undefined when there is no watchdog for this process. A third of the timeout, not sd_notify's
 * customary half, because each keep-alive first has to start a process.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^\d{1,15}$/.test(usec)) return undefined;
  const watchdogPid = env.WATCHDOG_PID;
  // sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process the watchdog is meant for.
  if (watchdogPid !== undefined && (!/^\d{1,10}$/.test(watchdogPid) || Number(watchdogPid) !== pid)) return undefined;
  const ms = Math.floor(Number(usec) / 1000 / 3);
  return ms >= 1 ? ms : undefined;
}

/** A STATUS= value on one line (each argument of systemd-notify is one assignment). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 500);
}

export interface SystemdNotifierOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** Injected in tests; default: systemd-notify. */
  send?: NotifySender;
}

export class SystemdNotifier {
  /** True when started by systemd with a notification socket. */
  readonly enabled: boolean;
  /** Keep-alive period, when the unit has a watchdog. */
  readonly watchdogMs: number | undefined;
  private readonly send: NotifySender;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pingInFlight = false;
  /** Keep-alives sent and failed, for the logs and tests. */
  readonly counters = { pings: 0, pingsSkipped: 0, failures: 0 };

  constructor(opts: SystemdNotifierOptions) {
    const env = opts.env ?? process.env;
    this.log = opts.log;
    this.enabled = typeof env.NOTIFY_SOCKET === 'string' && env.NOTIFY_SOCKET !== '';
    this.watchdogMs = this.enabled ? watchdogIntervalMs(env, opts.pid ?? process.pid) : undefined;
    this.send = opts.send ?? systemdNotifySender('systemd-notify', env);
  }

  /** READY=1 (the unit becomes active), with a status line. Starts the keep-alives. */
  async ready(status: string): Promise<void> {
    await this.notify(['READY=1', `STATUS=${oneLine(status)}`]);
    this.startWatchdog();
  }

  async status(text: string): Promise<void> {
    await this.notify([`STATUS=${oneLine(text)}`]);
  }

  /** STOPPING=1: the manager knows the shutdown is ours, not a crash. Stops the keep-alives. */
  async stopping(): Promise<void> {
    this.stopWatchdog();
    await this.notify(['STOPPING=1']);
  }

  startWatchdog(): void {
    if (this.watchdogMs === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => this.ping(), this.watchdogMs);
    this.timer.unref();
  }

  stopWatchdog(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private ping(): void {
    // One keep-alive at a time: if the last one has not returned, another child would not help.
    if (this.pingInFlight) {
      this.counters.pingsSkipped++;
      return;
    }
    this.pingInFlight = true;
    this.counters.pings++;
    void this.notify(['WATCHDOG=1']).finally(() => {
      this.pingInFlight = false;
    });
  }

  /** Best effort: a failed notification is logged, never thrown (the manager's timeouts act on it). */
  private async notify(assignments: string[]): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.send(assignments);
    } catch (e) {
      this.counters.failures++;
      this.log.warn({ err: (e as Error).message, notify: assignments[0] }, 'systemd notification failed');
    }
  }
}
