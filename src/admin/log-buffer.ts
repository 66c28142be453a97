/**
 * The router's recent log lines for the admin UI's log page (issue 6, item 4: "live tail of the
 * router's pino log with level filter"): a bounded ring buffer fed by a pino destination stream
 * (src/util/log.ts `createLogger(level, destination, tap)`), read as a list or followed live.
 *
 * Bounded in entries and in bytes; a line longer than `maxLineBytes` is replaced by a short record
 * saying so. Lines are kept as pino wrote them (JSON): the level and time are read with a cheap
 * match, never by parsing the whole line on the logging path.
 */
import type { LogTap } from '../util/log.js';

/** pino's level numbers and names. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export const LOG_LEVEL_NAMES = Object.keys(LOG_LEVELS) as LogLevelName[];

export function levelName(level: number): LogLevelName {
  let name: LogLevelName = 'trace';
  for (const n of LOG_LEVEL_NAMES) if (level >= LOG_LEVELS[n]) name = n;
  return name;
}

export interface LogEntry {
  /** Increasing sequence number (the SSE event id: a reconnecting page resumes after it). */
  seq: number;
  level: number;
  time: number;
  /** The pino record, one line of JSON. */
  line: string;
}

/** A follower: gets each new entry at or above its level; returns false when it is gone. */
export type LogSink = (entry: LogEntry) => boolean;

export interface LogRingBufferOptions {
  maxEntries?: number;
  maxBytes?: number;
  maxLineBytes?: number;
}

const LEVEL_RE = /"level":(\d{1,3})[,}]/;
const TIME_RE = /"time":(\d{1,16})[,}]/;

export class LogRingBuffer implements LogTap {
  private readonly entries: LogEntry[] = [];
  private bytes = 0;
  private nextSeq = 1;
  private readonly followers = new Map<LogSink, number>();
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxLineBytes: number;

  constructor(opts: LogRingBufferOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 2000;
    this.maxBytes = opts.maxBytes ?? 1024 * 1024;
    this.maxLineBytes = opts.maxLineBytes ?? 8192;
  }

  get size(): number {
    return this.entries.length;
  }

  /** pino's destination interface: one JSON line (with its newline) per call. Never throws. */
  write(chunk: string): void {
    let line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    const level = Number(LEVEL_RE.exec(line)?.[1] ?? LOG_LEVELS.info);
    const time = Number(TIME_RE.exec(line)?.[1] ?? Date.now());
    if (line.length > this.maxLineBytes) {
      line = JSON.stringify({ level, time, msg: `(log line of ${line.length} characters left out)`, truncated: true });
    } else if (!(line.startsWith('{') && line.endsWith('}'))) {
      // Not a pino record: keep it as a message, so every stored line is a JSON object.
      line = JSON.stringify({ level, time, msg: line });
    }
    const entry: LogEntry = { seq: this.nextSeq++, level, time, line };
    this.entries.push(entry);
    this.bytes += line.length;
    while (this.entries.length > this.maxEntries || (this.bytes > this.maxBytes && this.entries.length > 1)) {
      this.bytes -= this.entries.shift()!.line.length;
    }
    for (const [sink, min] of this.followers) {
      if (level < min) continue;
      let alive = false;
      try {
        alive = sink(entry);
      } catch {
        alive = false;
      }
      if (!alive) this.followers.delete(sink);
    }
  }

  /** The last `limit` entries at or above `minLevel`, oldest first, optionally only those after `afterSeq`. */
  recent(minLevel: number, limit: number, afterSeq = 0): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i]!;
      if (e.seq <= afterSeq) break;
      if (e.level >= minLevel) out.push(e);
    }
    return out.reverse();
  }

  follow(minLevel: number, sink: LogSink): () => void {
    this.followers.set(sink, minLevel);
    return () => void this.followers.delete(sink);
  }
}

/** An entry as the API sends it: `{"seq":…,"level":"info","time":…,"record":{…the pino line…}}`, built without re-serializing the record. */
export function entryJson(e: LogEntry): string {
  return `{"seq":${e.seq},"level":"${levelName(e.level)}","time":${e.time},"record":${e.line}}`;
}
