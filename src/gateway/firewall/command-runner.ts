/**
 * The one door through which the firewall runs system commands (`iptables-save`, `iptables-restore`,
 * `ip`, `sysctl`): argument vectors, never a shell, optional stdin. Apply and check take a runner, so
 * the unit tests pass a recording one and check the exact sequence without root; only the system
 * runner touches the kernel.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code; 127 when the program could not be started, 124 when it timed out. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], input?: string): Promise<CommandResult>;
}

/** Output kept per stream: iptables-save of a big ruleset is well below this. */
const MAX_OUTPUT = 16 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

/** Runs the program directly (PATH lookup, no shell), feeding `input` on stdin. */
export const systemRunner: CommandRunner = {
  run(command, args, input) {
    return new Promise((resolve) => {
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let startError: Error | undefined;
      child.stdout.on('data', (b: Buffer) => {
        if ((outLen += b.length) <= MAX_OUTPUT) out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        if ((errLen += b.length) <= MAX_OUTPUT) err.push(b);
      });
      child.on('error', (e) => {
        startError = e;
      });
      // A program that exits without reading stdin makes the write fail with EPIPE: its exit code says more.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
      child.on('close', (code, signal) => {
        const stderr = Buffer.concat(err).toString('utf8');
        if (startError) {
          resolve({ code: 127, stdout: '', stderr: `cannot run ${command}: ${startError.message}` });
        } else if (outLen > MAX_OUTPUT || errLen > MAX_OUTPUT) {
          resolve({ code: 1, stdout: '', stderr: `${command}: output larger than ${MAX_OUTPUT} bytes` });
        } else {
          resolve({ code: code ?? (signal === 'SIGTERM' ? 124 : 128), stdout: Buffer.concat(out).toString('utf8'), stderr: signal ? `${stderr}${command}: killed by ${signal}` : stderr });
        }
      });
    });
  },
};

/** `command arg…` for messages. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].join(' ');
}
