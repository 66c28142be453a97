/**
 * System health for the dashboard (issue 6, item 3): CPU load and temperature, memory, the free space
 * of the filesystem holding the data directory (the SD card on the appliance), and this process's
 * memory — read with `systeminformation`. Sampling is cached: the loads and memory are read at most
 * every few seconds, the filesystem (systeminformation runs `df`) at most once a minute, and only
 * while someone looks (the dashboard asks on its ticks).
 */
import { loadavg, cpus } from 'node:os';
import { resolve, sep } from 'node:path';
import si from 'systeminformation';
import { notAvailable, type Maybe } from './not-available.js';

export interface DiskHealth {
  mount: string;
  totalBytes: number;
  freeBytes: number;
  usedPercent: number;
}

export interface SystemHealth {
  sampledAt: number;
  cpu: { loadPercent: Maybe<number>; cores: number; loadAverage: [number, number, number]; temperatureC: Maybe<number> };
  memory: Maybe<{ totalBytes: number; availableBytes: number; usedPercent: number }>;
  /** The filesystem of the data directory. */
  disk: Maybe<DiskHealth>;
  process: { rssBytes: number; heapUsedBytes: number; uptimeS: number };
}

export interface SystemHealthSource {
  /** The latest sample, refreshed if older than the cache allows; never rejects. */
  sample(): Promise<SystemHealth>;
}

/** The filesystem whose mount point is the longest prefix of `path`. */
export function filesystemOf<T extends { mount: string }>(filesystems: readonly T[], path: string): T | undefined {
  const p = resolve(path);
  let best: T | undefined;
  for (const fs of filesystems) {
    const m = fs.mount;
    const inside = p === m || m === '/' || p.startsWith(m.endsWith(sep) ? m : m + sep);
    if (inside && (best === undefined || m.length > best.mount.length)) best = fs;
  }
  return best;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export class SystemHealthMonitor implements SystemHealthSource {
  private last: SystemHealth | undefined;
  private diskAt = -Infinity;
  private disk: Maybe<DiskHealth> = notAvailable('not sampled yet');
  private inFlight: Promise<SystemHealth> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly opts: {
      /** The data directory: its filesystem's free space is reported. */
      datadir: string;
      /** Loads, temperature and memory are re-read when older than this (default 5 s). */
      maxAgeMs?: number;
      /** The filesystem is re-read when older than this (default 60 s). */
      diskMaxAgeMs?: number;
      now?: () => number;
    },
  ) {
    this.now = opts.now ?? Date.now;
  }

  sample(): Promise<SystemHealth> {
    if (this.last && this.now() - this.last.sampledAt < (this.opts.maxAgeMs ?? 5000)) return Promise.resolve(this.last);
    this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async read(): Promise<SystemHealth> {
    const now = this.now();
    const [load, temp, mem] = await Promise.all([si.currentLoad().catch(() => undefined), si.cpuTemperature().catch(() => undefined), si.mem().catch(() => undefined)]);
    if (now - this.diskAt >= (this.opts.diskMaxAgeMs ?? 60_000)) {
      this.diskAt = now;
      try {
        const fs = filesystemOf(await si.fsSize(), this.opts.datadir);
        this.disk = fs
          ? { mount: fs.mount, totalBytes: fs.size, freeBytes: fs.available, usedPercent: fs.size > 0 ? round1(((fs.size - fs.available) / fs.size) * 100) : 0 }
          : notAvailable(`no filesystem found for ${this.opts.datadir}`);
      } catch (e) {
        this.disk = notAvailable(`could not read the filesystems: ${(e as Error).message}`);
      }
    }
    const la = loadavg();
    const t = temp?.main;
    const mu = process.memoryUsage();
    this.last = {
      sampledAt: now,
      cpu: {
        loadPercent: load ? round1(load.currentLoad) : notAvailable('could not read the CPU load'),
        cores: cpus().length,
        loadAverage: [round1(la[0]!), round1(la[1]!), round1(la[2]!)],
        // Containers and some boards have no thermal zone: systeminformation answers null (or -1).
        temperatureC: typeof t === 'number' && Number.isFinite(t) && t > -50 ? round1(t) : notAvailable('no temperature sensor'),
      },
      memory: mem
        ? { totalBytes: mem.total, availableBytes: mem.available, usedPercent: mem.total > 0 ? round1(((mem.total - mem.available) / mem.total) * 100) : 0 }
        : notAvailable('could not read the memory figures'),
      disk: this.disk,
      process: { rssBytes: mu.rss, heapUsedBytes: mu.heapUsed, uptimeS: Math.round(process.uptime()) },
    };
    return this.last;
  }
}
