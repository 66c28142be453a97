/**
 * Firewall benchmark: what `garlicgate firewall …` costs on a box. Generating the documents and
 * comparing them with a saved ruleset are pure (µs); apply and check are dominated by the commands
 * they run (iptables-save/-restore, ip, sysctl), measured for real in a network namespace of their
 * own when run as root (`ip netns exec` adds a little to each command).
 */
import { performance } from 'node:perf_hooks';
import { generateFirewall } from '../src/gateway/firewall/ruleset.js';
import { compareTables, parseRulesetDocument } from '../src/gateway/firewall/ruleset-document.js';
import { applyFirewall, checkFirewall } from '../src/gateway/firewall/apply.js';
import { systemRunner, type CommandRunner } from '../src/gateway/firewall/command-runner.js';
import { createNetns, deleteNetns } from '../test/interop/netns.js';
import { sampleConfig } from '../test/unit/gateway/firewall/fixtures.js';
import { runIfMain } from './run-if-main.js';

const PURE_RUNS = 2000;
const APPLY_RUNS = 5;
const BENCH_NETNS = 'ggh-bench-fw';

function meanUs(runs: number, fn: () => void): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return Number((((performance.now() - t0) * 1000) / runs).toFixed(1));
}

async function meanMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return Number(((performance.now() - t0) / runs).toFixed(1));
}

export async function benchFirewall(): Promise<Record<string, unknown>> {
  const config = sampleConfig({ mode: 'outproxy', transport: { tcp: [24680], udp: [24680] } });
  const plan = generateFirewall(config);
  const expected4 = parseRulesetDocument(plan.ipv4);
  const report: Record<string, unknown> = {
    generateUs: meanUs(PURE_RUNS, () => generateFirewall(config)),
    parseAndCompareUs: meanUs(PURE_RUNS, () => compareTables(expected4, parseRulesetDocument(plan.ipv4), ['mangle', 'nat', 'filter'], 'IPv4')),
    ipv4Rules: [...expected4.values()].reduce((n, t) => n + t.rules.length, 0),
  };
  if (process.getuid?.() !== 0) return { ...report, applyMs: 'needs root (network namespace); run `sudo npm run bench`' };
  createNetns(BENCH_NETNS);
  try {
    let commands = 0;
    const runner: CommandRunner = {
      run: (command, args, input) => {
        commands++;
        return systemRunner.run('ip', ['netns', 'exec', BENCH_NETNS, command, ...args], input);
      },
    };
    const applyMs = await meanMs(APPLY_RUNS, () => applyFirewall(plan, runner));
    const perApply = Number((commands / (APPLY_RUNS + 1)).toFixed(1));
    commands = 0;
    const checkMs = await meanMs(APPLY_RUNS, async () => {
      const diffs = await checkFirewall(plan, runner);
      if (diffs.length > 0) throw new Error(`bench: check found differences: ${diffs.join('; ')}`);
    });
    return { ...report, applyMs, commandsPerApply: perApply, checkMs, commandsPerCheck: commands / (APPLY_RUNS + 1), note: `mean of ${APPLY_RUNS} applies/checks in ${BENCH_NETNS}, rules already loaded after the first` };
  } finally {
    deleteNetns(BENCH_NETNS);
  }
}

runIfMain(import.meta.url, benchFirewall);
