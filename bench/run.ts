/**
 * `npm run bench`: runs every capability's benchmark and prints one JSON report. Benchmarks are
 * never part of `npm test` (timings are not pass/fail criteria on a shared machine).
 */
import { benchCrypto } from './crypto.js';
import { benchNtcp2 } from './ntcp2.js';
import { benchReseed } from './reseed.js';

async function main(): Promise<void> {
  const report: Record<string, unknown> = {
    node: process.version,
    arch: process.arch,
    date: new Date().toISOString(),
  };
  report.crypto = await benchCrypto();
  report.ntcp2 = await benchNtcp2();
  report.reseed = await benchReseed();
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
