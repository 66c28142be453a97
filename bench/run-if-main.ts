/**
 * Lets each benchmark module run on its own (`node dist/bench/<name>.js`): when the module is
 * the program's entry point, run the benchmark and print its figures as JSON on stdout (bench/run.ts
 * reads the i2pd comparisons that way); a failure goes to stderr with exit code 1.
 */
import { pathToFileURL } from 'node:url';

export function runIfMain(moduleUrl: string, bench: () => Promise<unknown>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  bench().then(
    (r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
