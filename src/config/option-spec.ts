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
