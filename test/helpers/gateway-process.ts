/**
 * TEST HELPER: runs test/helpers/gateway-test-main in a child process, its listeners created and
 * passed by test/helpers/socket-activate.py the way systemd would (optionally transparent, and
 * optionally inside a network namespace), and reads the JSON events it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewaySettings } from '../../src/gateway/gateway.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The .py file is not compiled: it lives next to this file's source, not in dist/. */
const LAUNCHER = path.resolve(here, '../../../test/helpers/socket-activate.py');
const MAIN = path.join(here, 'gateway-test-main.js');
/** Debian's python: the pyenv shim on PATH may not survive `ip netns exec` or a clean env. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export type GatewayEvent = { event: string } & Record<string, unknown>;

export interface GatewayProcess {
  child: ChildProcess;
  /** Addresses the launcher bound, by socket name. */
  bound: Record<string, { host: string; port: number }>;
  ready: GatewayEvent;
  events: GatewayEvent[];
  stderr(): string;
  /** SIGTERM, then the final stats event (or undefined if it died another way). */
  stop(): Promise<GatewayEvent | undefined>;
}

export interface GatewayProcessOptions {
  /** e.g. ['ip', 'netns', 'exec', 'ggh-x']; empty to run here. */
  prefix?: string[];
  /** socket-activate.py `--listen` values: `NAME=tcp|udp:HOST:PORT[:transparent]`. */
  listen: string[];
  config: GatewaySettings;
  knownNames: string[];
  proxyHost?: string;
  timeoutMs?: number;
}

export async function startGatewayProcess(o: GatewayProcessOptions): Promise<GatewayProcess> {
  const cmd = [...(o.prefix ?? []), SYSTEM_PYTHON, LAUNCHER, ...o.listen.flatMap((l) => ['--listen', l]), '--', process.execPath, MAIN, JSON.stringify({ config: o.config, knownNames: o.knownNames, proxyHost: o.proxyHost })];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: GatewayEvent[] = [];
  let bound: GatewayProcess['bound'] | undefined;
  let err = '';
  let out = '';
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const obj = JSON.parse(line) as Record<string, unknown>;
      // The launcher's line (bound sockets) comes first and has no `event`.
      if (bound === undefined && !('event' in obj)) bound = obj as GatewayProcess['bound'];
      else events.push(obj as GatewayEvent);
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor = async (pred: (e: GatewayEvent) => boolean, timeoutMs: number): Promise<GatewayEvent | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) return undefined;
      await Promise.race([new Promise<void>((r) => waiters.push(r)), exited, new Promise((r) => setTimeout(r, 100))]);
    }
  };
  const ready = await waitFor((e) => e.event === 'ready', o.timeoutMs ?? 15_000);
  if (!ready || !bound) {
    child.kill('SIGKILL');
    throw new Error(`gateway process did not start: ${err.slice(-2000)}`);
  }
  return {
    child,
    bound,
    ready,
    events,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      child.kill('SIGTERM');
      const stats = await waitFor((e) => e.event === 'stats', 5000);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return stats;
    },
  };
}
