/**
 * Reading `iptables-save` / `iptables-restore` documents back: tables, chain policies and rules, with
 * comments and packet counters left out, so what the kernel holds can be compared with what we
 * generated (the check after apply, and `garlicgate firewall check`). Pure.
 *
 * Format (iptables-save(8)): `*table`, then `:CHAIN POLICY [packets:bytes]` (policy `-` for
 * user-defined chains), then `-A CHAIN ...` rules, then `COMMIT`; `#` starts a comment line.
 */
import { BUILTIN_CHAINS } from './ruleset.js';

export class RulesetDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesetDocumentError';
  }
}

export interface TableState {
  /** Chain → policy (`-` for a user-defined chain), in document order. */
  chains: Map<string, string>;
  /** Rules in order, whitespace collapsed. */
  rules: string[];
}

export type RulesetState = Map<string, TableState>;

/** Parses a whole document; throws RulesetDocumentError on anything it does not recognise. */
export function parseRulesetDocument(text: string): RulesetState {
  const tables: RulesetState = new Map();
  let current: TableState | undefined;
  let currentName = '';
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim().replace(/\s+/g, ' ');
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${n + 1}`;
    if (line.startsWith('*')) {
      if (current) throw new RulesetDocumentError(`${where}: table *${line.slice(1)} starts before COMMIT of *${currentName}`);
      currentName = line.slice(1);
      if (!/^[a-z]+$/.test(currentName)) throw new RulesetDocumentError(`${where}: bad table name "${currentName}"`);
      if (tables.has(currentName)) throw new RulesetDocumentError(`${where}: table *${currentName} appears twice`);
      current = { chains: new Map(), rules: [] };
      tables.set(currentName, current);
      continue;
    }
    if (!current) throw new RulesetDocumentError(`${where}: "${line}" outside a table`);
    if (line === 'COMMIT') {
      current = undefined;
      continue;
    }
    const chain = /^:(\S+) (\S+)(?: \[\d+:\d+\])?$/.exec(line);
    if (chain) {
      current.chains.set(chain[1]!, chain[2]!);
      continue;
    }
    if (line.startsWith('-A ')) {
      current.rules.push(line);
      continue;
    }
    throw new RulesetDocumentError(`${where}: unexpected "${line}"`);
  }
  if (current) throw new RulesetDocumentError(`table *${currentName} has no COMMIT`);
  return tables;
}

/** A table with only built-in chains, all ACCEPT, and no rules: the same as no table at all. */
export function isNeutralTable(name: string, t: TableState): boolean {
  if (t.rules.length > 0) return false;
  const builtins = BUILTIN_CHAINS[name] ?? [];
  for (const [chain, policy] of t.chains) {
    if (!builtins.includes(chain) || policy !== 'ACCEPT') return false;
  }
  return true;
}

function describe(t: TableState | undefined): string[] {
  if (!t) return [];
  return [...[...t.chains].map(([c, p]) => `:${c} ${p}`), ...t.rules];
}

/**
 * Differences between the expected and the actual state of the given tables, as readable lines; empty
 * when they match. A missing table equals a neutral one.
 */
export function compareTables(expected: RulesetState, actual: RulesetState, tables: readonly string[], label: string): string[] {
  const out: string[] = [];
  for (const name of tables) {
    const e = expected.get(name);
    const a = actual.get(name);
    const eLines = e && !isNeutralTable(name, e) ? describe(e) : [];
    const aLines = a && !isNeutralTable(name, a) ? describe(a) : [];
    const max = Math.max(eLines.length, aLines.length);
    for (let i = 0; i < max; i++) {
      if (eLines[i] === aLines[i]) continue;
      out.push(`${label} *${name} line ${i + 1}: expected ${eLines[i] === undefined ? '(nothing)' : `"${eLines[i]}"`}, loaded ${aLines[i] === undefined ? '(nothing)' : `"${aLines[i]}"`}`);
      break; // the first difference per table says enough; the rest usually follows from it
    }
  }
  return out;
}

/**
 * What to restore on rollback: the saved document, plus a neutral version of each of our tables the
 * save did not contain (restoring only the saved text would leave our rules in a table that did not
 * exist before).
 */
export function rollbackDocument(saved: string, ourTables: readonly string[]): string {
  const present = parseRulesetDocument(saved);
  const extra: string[] = [];
  for (const name of ourTables) {
    if (present.has(name)) continue;
    extra.push(`*${name}`, ...(BUILTIN_CHAINS[name] ?? []).map((c) => `:${c} ACCEPT [0:0]`), 'COMMIT');
  }
  const base = saved.endsWith('\n') || saved === '' ? saved : `${saved}\n`;
  return extra.length === 0 ? base : `${base}${extra.join('\n')}\n`;
}
