// E2E helper (not a test file): a small lab of network namespaces joined by veth pairs, for the
// gateway tests (they run as root in the root namespace; scripts/run-tests.mjs runs test/e2e/).
// Names must start with `ggh-` (the same rule as test/interop/netns.ts): a typo can never touch
// another engineer's namespace. Private addresses are used only inside these namespaces.
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

const OURS = /^ggh-[a-z0-9][a-z0-9-]{0,30}$/;
/** Interface names are at most 15 characters. */
const IFNAME = /^[a-z0-9][a-z0-9-]{0,14}$/;

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

export interface LinkEnd {
  ns?: string;
  ifname: string;
  address?: string | string[];
}

export class Lab {
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** A fresh namespace with `lo` up (an old one of the same name, left by a crash, is removed first). */
  namespace(name: string): string {
    if (!OURS.test(name)) throw new Error(`lab namespace '${name}' must match ${OURS}`);
    if (run('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === name)) run('ip', ['netns', 'del', name]);
    run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /**
   * A veth pair between two namespaces (`ns` undefined: the namespace this process runs in; the pair
   * goes away with the lab's namespace at the other end). Addresses with prefix (e.g.
   * 192.168.42.1/24, fd42::1/64), as many as given.
   */
  link(a: LinkEnd, b: LinkEnd & { ns: string }): void {
    for (const end of [a, b]) if (!IFNAME.test(end.ifname)) throw new Error(`bad interface name ${end.ifname}`);
    const at = (end: LinkEnd): string[] => (end.ns === undefined ? [] : ['-n', end.ns]);
    // A pair left behind in this namespace by a run that was killed: its other end is gone with
    // that run's namespace, this end is ours to replace.
    if (a.ns === undefined && spawnSync('ip', ['link', 'show', a.ifname], { stdio: 'ignore' }).status === 0) run('ip', ['link', 'del', a.ifname]);
    run('ip', [...at(a), 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
    for (const end of [a, b]) {
      const addresses = end.address === undefined ? [] : Array.isArray(end.address) ? end.address : [end.address];
      // nodad: an IPv6 address is usable at once, not after duplicate address detection.
      for (const addr of addresses) run('ip', [...at(end), 'addr', 'add', addr, 'dev', end.ifname, ...(addr.includes(':') ? ['nodad'] : [])]);
      run('ip', [...at(end), 'link', 'set', end.ifname, 'up']);
    }
  }

  /** Runs a command inside a namespace and returns its stdout (throws on a non-zero exit). */
  exec(ns: string, cmd: string, args: string[], input?: string): string {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], input);
  }

  /** Starts a long-running process inside a namespace; killed by cleanup(). */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.push(child);
    return child;
  }

  /** Kills what it started and deletes its namespaces (veths go with them). Never throws. */
  async cleanup(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        // Anything still inside (a child of a child) goes first, or the namespace lingers.
        const pids = run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        run('ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  }
}
