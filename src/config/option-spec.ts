/**
 * What every option module shares: the error type for refused settings and the shape of an
 * option's specification (parser + help text).
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Parser<T> = (raw: string, name: string) => T;

export interface OptionSpec {
  parse: Parser<unknown>;
  help: string;
  /** A flag that may be given without a value on the command line (`--floodfill`). */
  flag?: boolean;
}

/** i2pd's booleans: true/false (also 1/0, yes/no); a bare `--flag` is true. */
export const parseBool: Parser<boolean> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === '') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(`option --${name}: expected true or false, got "${raw}"`);
};
