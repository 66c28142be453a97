/**
 * Command line and INI config file → RouterConfig. Precedence (as in i2pd): built-in defaults,
 * then the config file, then the command line. `--datadir` and `--conf` are taken from the
 * command line only (i2pd ignores `datadir` in its config file for the same reason: the file
 * lives inside it).
 *
 * This module only reads; it never creates or writes anything, so a bad option leaves the
 * data directory untouched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, OPTIONS, defaultConfig, isOptionName, type RouterConfig } from './options.js';

export interface ParsedArgs {
  /** option name → raw string value, in order of appearance (last wins). */
  options: Map<string, string>;
  /** Non-option words: a subcommand such as `firewall print` later on. */
  positionals: string[];
  help: boolean;
  version: boolean;
}

/** Splits argv into `--name=value`, `--name value` and `--flag` options. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const options = new Map<string, string>();
  const positionals: string[] = [];
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version') {
      version = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') throw new ConfigError(`unknown option "${arg}" (options are --name=value)`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!isOptionName(name)) throw new ConfigError(`unknown option "--${name}" (see --help)`);
    if (eq >= 0) {
      options.set(name, arg.slice(eq + 1));
    } else if (OPTIONS[name].flag && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--') || !/^(true|false|1|0|yes|no)$/i.test(argv[i + 1]!))) {
      options.set(name, 'true');
    } else {
      if (i + 1 >= argv.length) throw new ConfigError(`option "--${name}" needs a value`);
      options.set(name, argv[++i]!);
    }
  }
  return { options, positionals, help, version };
}

/**
 * Parses an INI file in i2pd's syntax: `key = value`, `[section]` headers that prefix the
 * following keys with `section.`, `#` and `;` comments, blank lines.
 */
export function parseIni(text: string, source: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([A-Za-z0-9_.-]+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${source}:${n + 1}: expected "key = value" or "[section]", got "${line}"`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const name = section ? `${section}.${key}` : key;
    if (out.has(name)) throw new ConfigError(`${source}:${n + 1}: "${name}" is set twice`);
    out.set(name, value);
  }
  return out;
}

export interface LoadedConfig {
  config: RouterConfig;
  /** Options given on the command line: they win over the config file (the admin UI says so when it writes the file). */
  commandLine: Set<string>;
  positionals: string[];
  help: boolean;
  version: boolean;
}

function applyOption(config: RouterConfig, name: string, raw: string, where: string): void {
  if (!isOptionName(name)) throw new ConfigError(`${where}: unknown option "${name}"`);
  try {
    (config as unknown as Record<string, unknown>)[name] = OPTIONS[name].parse(raw, name);
  } catch (e) {
    if (e instanceof ConfigError && where !== 'command line') throw new ConfigError(`${where}: ${e.message}`);
    throw e;
  }
}

/**
 * Applies the options of a config file's text to `config` (validating every one; ConfigError with
 * the file and line's reason otherwise). `datadir` and `conf` are ignored: command line only, as in
 * i2pd. Also used to check a config file before it is written (admin settings, backup restore).
 */
export function applyConfigFile(config: RouterConfig, text: string, source: string): void {
  for (const [name, raw] of parseIni(text, source)) {
    if (name === 'datadir' || name === 'conf') continue;
    applyOption(config, name, raw, source);
  }
}

/** The config file a router with this config reads: `--conf`, else `<datadir>/garlicgate.conf`. */
export function configFilePath(config: Pick<RouterConfig, 'conf' | 'datadir'>): string {
  return config.conf ?? join(config.datadir, 'garlicgate.conf');
}

/** Builds the validated config; throws ConfigError with a reason on any bad input. */
export function loadConfig(argv: readonly string[], home: string): LoadedConfig {
  const args = parseArgs(argv);
  const config = defaultConfig(home);
  const apply = (name: string, raw: string, where: string): void => applyOption(config, name, raw, where);
  const cliDatadir = args.options.get('datadir');
  if (cliDatadir !== undefined) apply('datadir', cliDatadir, 'command line');
  const cliConf = args.options.get('conf');
  if (cliConf !== undefined) apply('conf', cliConf, 'command line');
  const confPath = configFilePath(config);
  if (config.conf !== undefined && !existsSync(confPath)) throw new ConfigError(`config file ${confPath} does not exist`);
  if (existsSync(confPath)) {
    let text: string;
    try {
      text = readFileSync(confPath, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${confPath}: ${(e as Error).message}`);
    }
    applyConfigFile(config, text, confPath);
  }
  for (const [name, raw] of args.options) {
    if (name === 'datadir' || name === 'conf') continue;
    apply(name, raw, 'command line');
  }
  return { config, commandLine: new Set(args.options.keys()), positionals: args.positionals, help: args.help, version: args.version };
}

export function usage(): string {
  const rows = Object.entries(OPTIONS).map(([name, spec]) => `  --${name.padEnd(22)} ${spec.help}`);
  return ['Usage: garlicgate [--option=value ...]', '', 'Options (i2pd names):', ...rows, '  --help                   this text', '  --version                print the version', ''].join('\n');
}
