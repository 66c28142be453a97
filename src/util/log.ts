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

/** Structured JSON logs to stdout (journald on the appliance). */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const lvl = LEVELS[level] ?? 'info';
  return destination ? pino({ level: lvl, base: { name: 'garlicgate' } }, destination) : pino({ level: lvl, base: { name: 'garlicgate' } });
}

/** A logger that discards everything; for unit tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
