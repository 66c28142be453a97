import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** i2pd's log levels mapped onto pino's. */
const LEVELS: Record<string, LevelWithSilent> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  none: 'silent',
  trace: 'trace',
  silent: 'silent',
  fatal: 'fatal',
};

export function isLogLevel(s: string): boolean {
  return s in LEVELS;
}

/** Something that receives every emitted log line (one JSON object and a newline per call). */
export interface LogTap {
  write(line: string): void;
}

/**
 * Structured JSON logs to stdout (journald on the appliance). With a `tap`, every line also goes to
 * it (the admin UI's log ring buffer), at the same level, through pino's multistream.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream, tap?: LogTap): Logger {
  const lvl = LEVELS[level] ?? 'info';
  const opts = { level: lvl, base: { name: 'garlicgate' } };
  if (tap === undefined || lvl === 'silent') return destination ? pino(opts, destination) : pino(opts);
  return pino(opts, pino.multistream([{ stream: destination ?? pino.destination(1), level: lvl }, { stream: tap, level: lvl }]));
}

/** A logger that discards everything; for unit tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
