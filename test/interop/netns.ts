/**
 * The network namespace the interop tests run in (see /work/shared/notes/i2pd-testnet.md).
 *
 * Why a namespace: i2pd 2.45.1 drops every connection from a reserved range (127/8, 10/8, 192.168/16,
 * ...), whatever `reservedrange` says. 198.18.0.0/15 (RFC 2544 benchmarking) is missing from its
 * table, so a namespace with only `lo` up and `local 198.18.0.0/16 dev lo` (AnyIP: every 198.18.x.y is
 * bindable, nothing can leave) gives each i2pd, and our router, its own "public" address.
 *
 * This is the only implementation: scripts/run-tests.mjs imports the compiled module from dist/ to
 * create and delete the namespace, the harness uses it to check that it runs inside.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';

export const INTEROP_NETNS = 'gg-interop';
/** Routed locally on `lo` inside the namespace. */
export const INTEROP_PREFIX = '198.18.0.0/16';
/** Bound by {@link assertInsideInteropNetns}; keep it out of the routers' address plan. */
export const INTEROP_PROBE_ADDRESS = '198.18.0.250';

/**
 * Other engineers create their own namespaces on this machine; refuse to touch any but ours so a typo
 * cannot delete theirs.
 */
const OUR_NAMESPACE = /^(gg-interop|ggh-[a-z0-9][a-z0-9-]{0,30})$/;

function checkName(name: string): void {
  if (!OUR_NAMESPACE.test(name)) throw new Error(`refusing to manage network namespace '${name}': only gg-interop and ggh-* are ours`);
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function netnsExists(name: string): boolean {
  return ip(['netns', 'list'])
    .split('\n')
    .some((line) => line.split(' ')[0] === name);
}

/** Process ids living in the namespace (i2pd left over by a killed test run, for instance). */
export function netnsPids(name: string): number[] {
  checkName(name);
  if (!netnsExists(name)) return [];
  return ip(['netns', 'pids', name])
    .split('\n')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Kill, by pid, what still runs inside the namespace, then delete it. `ip netns del` alone only
 * unmounts the name: a leftover i2pd would keep the namespace alive, unreachable and unnoticed.
 */
export function deleteNetns(name: string = INTEROP_NETNS): void {
  checkName(name);
  if (!netnsExists(name)) return;
  for (const pid of netnsPids(name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  ip(['netns', 'del', name]);
}

/** Create the namespace afresh (a stale one from a crashed run is deleted first). */
export function createNetns(name: string = INTEROP_NETNS): void {
  checkName(name);
  deleteNetns(name);
  ip(['netns', 'add', name]);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    ip(['-n', name, 'route', 'add', 'local', INTEROP_PREFIX, 'dev', 'lo']);
  } catch (e) {
    deleteNetns(name);
    throw e;
  }
}

/**
 * Throws unless 198.18.0.0/16 is locally routable, i.e. unless we run inside the interop namespace.
 * Interop tests must fail, never skip, when run the wrong way.
 */
export async function assertInsideInteropNetns(): Promise<void> {
  const sock = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, INTEROP_PROBE_ADDRESS, () => resolve());
    });
  } catch (e) {
    throw new Error(
      `interop tests must run inside the '${INTEROP_NETNS}' network namespace (run them with \`npm test\`, ` +
        `which wraps them in \`ip netns exec ${INTEROP_NETNS}\`): cannot bind ${INTEROP_PROBE_ADDRESS}: ${(e as Error).message}`,
    );
  } finally {
    try {
      sock.close();
    } catch {
      // never bound
    }
  }
}
