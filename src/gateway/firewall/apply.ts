/**
 * The privileged steps: load a generated firewall into the kernel and check it back, rolling back to
 * the previous rules on any failure; and the read-only check that the loaded rules match a plan.
 * Every command goes through a CommandRunner (./command-runner.ts), so the sequence is unit-tested
 * with a recording runner.
 *
 * apply:
 *   1. save the current rules (`iptables-save`, `ip6tables-save`);
 *   2. dry-run both documents (`iptables-restore --test`): a refused document changes nothing;
 *   3. switch forwarding off (sysctl) — never undone: off is the safe state;
 *   4. load both documents (`iptables-restore`, each document one atomic transaction);
 *   5. policy routing: add our `ip rule`s and the local route in table 100, remove stale rules of
 *      ours (an earlier LAN interface);
 *   6. check back everything (`iptables-save` compared with the documents, rules, routes, sysctls).
 *   Any failure in 4–6 restores the saved rules and undoes the routing changes, then reports.
 */
import { commandLine, type CommandRunner } from './command-runner.js';
import { compareTables, parseRulesetDocument, rollbackDocument } from './ruleset-document.js';
import {
  IPV4_TABLES,
  IPV6_TABLES,
  RULE_PRIORITY_LAN_LOCAL,
  RULE_PRIORITY_TPROXY_MARK,
  localRouteArgs,
  ruleSelectorArgs,
  type FirewallPlan,
  type LocalRoute,
  type PolicyRule,
} from './ruleset.js';

export class FirewallApplyError extends Error {
  constructor(
    message: string,
    /** undefined: the failure came before anything was changed. */
    readonly rolledBack: boolean | undefined,
  ) {
    super(message);
    this.name = 'FirewallApplyError';
  }
}

class CommandFailed extends Error {}

async function mustRun(runner: CommandRunner, command: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runner.run(command, args, input);
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim() || 'no message').split('\n').slice(0, 5).join(' | ');
    throw new CommandFailed(`\`${commandLine(command, args)}\` failed (exit ${r.code}): ${why}`);
  }
  return r.stdout;
}

const RESTORE = { 4: 'iptables-restore', 6: 'ip6tables-restore' } as const;
const SAVE = { 4: 'iptables-save', 6: 'ip6tables-save' } as const;
const OUR_PRIORITIES = new Set([RULE_PRIORITY_TPROXY_MARK, RULE_PRIORITY_LAN_LOCAL]);

/** One entry of `ip -j rule show` (iproute2's JSON), with the fields we look at. */
interface IpRuleEntry {
  priority?: unknown;
  src?: unknown;
  table?: unknown;
  fwmark?: unknown;
  fwmask?: unknown;
  iif?: unknown;
  ipproto?: unknown;
  oif?: unknown;
  not?: unknown;
}

function parseJsonArray(text: string, what: string): Record<string, unknown>[] {
  let v: unknown;
  try {
    v = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch (e) {
    throw new CommandFailed(`${what}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null)) throw new CommandFailed(`${what}: expected a JSON array of objects`);
  return v as Record<string, unknown>[];
}

async function listRules(runner: CommandRunner, family: 4 | 6): Promise<IpRuleEntry[]> {
  return parseJsonArray(await mustRun(runner, 'ip', [`-${family}`, '-j', 'rule', 'show']), `ip -${family} -j rule show`);
}

function hexEqual(a: unknown, b: string): boolean {
  return typeof a === 'string' && /^0x[0-9a-f]+$/i.test(a) && Number.parseInt(a, 16) === Number.parseInt(b, 16);
}

function ruleMatches(e: IpRuleEntry, r: PolicyRule): boolean {
  if (e.priority !== r.priority || e.table !== String(r.table) || e.src !== 'all' || e.not !== undefined || e.oif !== undefined) return false;
  if (r.fwmark !== undefined) {
    const [mark, mask] = r.fwmark.split('/') as [string, string];
    return e.iif === undefined && e.ipproto === undefined && hexEqual(e.fwmark, mark) && hexEqual(e.fwmask ?? '0xffffffff', mask);
  }
  return e.fwmark === undefined && e.ipproto === undefined && e.iif === r.iif;
}

/** The `ip rule del` arguments that remove exactly this (stale) entry. */
function entrySelectorArgs(e: IpRuleEntry): string[] {
  const sel: string[] = [];
  if (typeof e.iif === 'string') sel.push('iif', e.iif);
  if (typeof e.ipproto === 'string') sel.push('ipproto', e.ipproto);
  if (typeof e.fwmark === 'string') sel.push('fwmark', typeof e.fwmask === 'string' ? `${e.fwmark}/${e.fwmask}` : e.fwmark);
  return ['priority', String(e.priority), ...sel, 'lookup', String(e.table)];
}

function isOurs(e: IpRuleEntry): boolean {
  return typeof e.priority === 'number' && OUR_PRIORITIES.has(e.priority);
}

async function routePresent(runner: CommandRunner, r: LocalRoute): Promise<boolean> {
  const res = await runner.run('ip', [`-${r.family}`, '-j', 'route', 'show', 'table', String(r.table)]);
  // A table nobody has used yet does not exist; that is "no route", not an error.
  if (res.code !== 0 && /does not exist/i.test(res.stderr)) return false;
  if (res.code !== 0) throw new CommandFailed(`\`ip -${r.family} -j route show table ${r.table}\` failed (exit ${res.code}): ${res.stderr.trim()}`);
  return parseJsonArray(res.stdout, 'ip -j route show').some((e) => e.type === 'local' && e.dst === 'default' && e.dev === 'lo');
}

const rulePhrase = (family: 4 | 6, args: readonly string[]): string => `ip -${family} rule ${args.join(' ')}`;

/** checkFirewall's differences in one line: the first five, and how many more. */
export function describeFirewallDiffs(diffs: readonly string[]): string {
  return `the loaded rules differ from the config: ${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? ` (+${diffs.length - 5} more)` : ''}`;
}

/** Differences between the kernel's state and the plan; empty when everything matches. */
export async function checkFirewall(plan: FirewallPlan, runner: CommandRunner): Promise<string[]> {
  const diffs: string[] = [];
  for (const family of [4, 6] as const) {
    const expected = parseRulesetDocument(family === 4 ? plan.ipv4 : plan.ipv6);
    const loaded = parseRulesetDocument(await mustRun(runner, SAVE[family], []));
    diffs.push(...compareTables(expected, loaded, family === 4 ? IPV4_TABLES : IPV6_TABLES, `IPv${family}`));
  }
  for (const family of [4, 6] as const) {
    const entries = await listRules(runner, family);
    const wanted = plan.rules.filter((r) => r.family === family);
    for (const r of wanted) {
      if (!entries.some((e) => ruleMatches(e, r))) diffs.push(`missing: ${rulePhrase(family, ruleSelectorArgs(r))}`);
    }
    for (const e of entries) {
      if (isOurs(e) && !wanted.some((r) => ruleMatches(e, r))) diffs.push(`stale: ${rulePhrase(family, entrySelectorArgs(e))}`);
    }
  }
  for (const r of plan.routes) {
    if (!(await routePresent(runner, r))) diffs.push(`missing: ip -${r.family} route ${localRouteArgs(r).join(' ')}`);
  }
  for (const s of plan.sysctls) {
    const v = (await mustRun(runner, 'sysctl', ['-n', s.key])).trim();
    if (v !== s.value) diffs.push(`sysctl ${s.key} is ${v}, expected ${s.value}`);
  }
  return diffs;
}

/** What apply changed in the policy routing, to be undone on rollback. */
interface RoutingUndo {
  family: 4 | 6;
  /** `ip -f <args>` that undoes one change. */
  args: string[];
}

async function applyRouting(plan: FirewallPlan, runner: CommandRunner, undo: RoutingUndo[]): Promise<void> {
  for (const family of [4, 6] as const) {
    const entries = await listRules(runner, family);
    const wanted = plan.rules.filter((r) => r.family === family);
    for (const r of wanted) {
      if (entries.some((e) => ruleMatches(e, r))) continue;
      await mustRun(runner, 'ip', [`-${family}`, 'rule', 'add', ...ruleSelectorArgs(r)]);
      undo.push({ family, args: ['rule', 'del', ...ruleSelectorArgs(r)] });
    }
    for (const r of plan.routes.filter((x) => x.family === family)) {
      if (await routePresent(runner, r)) continue;
      await mustRun(runner, 'ip', [`-${family}`, 'route', 'replace', ...localRouteArgs(r)]);
      undo.push({ family, args: ['route', 'del', ...localRouteArgs(r)] });
    }
    for (const e of entries) {
      if (!isOurs(e) || wanted.some((r) => ruleMatches(e, r))) continue;
      await mustRun(runner, 'ip', [`-${family}`, 'rule', 'del', ...entrySelectorArgs(e)]);
      undo.push({ family, args: ['rule', 'add', ...entrySelectorArgs(e)] });
    }
  }
}

/** Restores the saved rules and undoes routing changes; returns what went wrong (empty = clean). */
async function rollback(runner: CommandRunner, saved: { 4: string; 6: string }, undo: RoutingUndo[]): Promise<string[]> {
  const problems: string[] = [];
  for (const family of [4, 6] as const) {
    const tables = family === 4 ? IPV4_TABLES : IPV6_TABLES;
    try {
      const doc = rollbackDocument(saved[family], tables);
      await mustRun(runner, RESTORE[family], [], doc);
      const now = parseRulesetDocument(await mustRun(runner, SAVE[family], []));
      problems.push(...compareTables(parseRulesetDocument(doc), now, tables, `IPv${family} after rollback`));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  for (const u of [...undo].reverse()) {
    try {
      await mustRun(runner, 'ip', [`-${u.family}`, ...u.args]);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}

/** Loads the plan; throws FirewallApplyError (after rolling back if anything had changed). */
export async function applyFirewall(plan: FirewallPlan, runner: CommandRunner): Promise<void> {
  let saved: { 4: string; 6: string };
  try {
    saved = { 4: await mustRun(runner, SAVE[4], []), 6: await mustRun(runner, SAVE[6], []) };
    // Parse now: a save we could not read back would make the rollback a guess.
    parseRulesetDocument(saved[4]);
    parseRulesetDocument(saved[6]);
    await mustRun(runner, RESTORE[4], ['--test'], plan.ipv4);
    await mustRun(runner, RESTORE[6], ['--test'], plan.ipv6);
    for (const s of plan.sysctls) await mustRun(runner, 'sysctl', ['-w', `${s.key}=${s.value}`]);
  } catch (e) {
    throw new FirewallApplyError(`${(e as Error).message}; the loaded rules were not changed`, undefined);
  }
  const undo: RoutingUndo[] = [];
  try {
    await mustRun(runner, RESTORE[4], [], plan.ipv4);
    await mustRun(runner, RESTORE[6], [], plan.ipv6);
    await applyRouting(plan, runner, undo);
    const diffs = await checkFirewall(plan, runner);
    if (diffs.length > 0) throw new CommandFailed(`the check after loading found differences: ${diffs.join('; ')}`);
  } catch (e) {
    const problems = await rollback(runner, saved, undo);
    if (problems.length === 0) throw new FirewallApplyError(`${(e as Error).message}; rolled back to the previous rules`, true);
    throw new FirewallApplyError(`${(e as Error).message}; ROLLBACK INCOMPLETE: ${problems.join('; ')}`, false);
  }
}
