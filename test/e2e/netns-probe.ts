/**
 * A small program the firewall e2e test runs inside its namespaces (`ip netns exec … node
 * dist/test/e2e/netns-probe.js …`):
 *   serve <ports>   (the WAN host) TCP listeners that accept, and UDP sockets that echo, on every
 *                   address (IPv4 and IPv6); prints "ready" when all are bound;
 *   probe <json>    (the LAN client) tries each {kind, host, port, timeoutMs} and prints one JSON
 *                   array of outcomes: connected / answered (a leak: the WAN host was reached),
 *                   refused, unreachable, prohibited, timeout / no answer, or error:<code>.
 */
import { createServer, connect, type Server } from 'node:net';
import { createSocket } from 'node:dgram';

export interface Probe {
  kind: 'tcp' | 'udp';
  host: string;
  port: number;
  timeoutMs: number;
}

export interface ProbeResult extends Probe {
  outcome: string;
  ms: number;
}

function errorOutcome(code: string | undefined): string {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable';
  // ICMPv6 "administratively prohibited" reaches the socket as EACCES.
  if (code === 'EACCES') return 'prohibited';
  return `error:${code ?? 'unknown'}`;
}

function probeTcp(p: Probe): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: p.host, port: p.port });
    const done = (outcome: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timeout'), p.timeoutMs);
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(errorOutcome(e.code)));
  });
}

function probeUdp(p: Probe): Promise<string> {
  return new Promise((resolve) => {
    const s = createSocket(p.host.includes(':') ? 'udp6' : 'udp4');
    const done = (outcome: string): void => {
      clearTimeout(timer);
      s.close();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('no answer'), p.timeoutMs);
    s.once('message', () => done('answered'));
    s.once('error', (e: NodeJS.ErrnoException) => done(errorOutcome(e.code)));
    // Connected, so an ICMP error for the datagram comes back as a socket error.
    s.connect(p.port, p.host, () => {
      s.send(Buffer.from('garlicgate firewall probe'), (e) => {
        if (e) done(errorOutcome((e as NodeJS.ErrnoException).code));
      });
    });
  });
}

async function probe(list: Probe[]): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  for (const p of list) {
    const t0 = Date.now();
    const outcome = p.kind === 'tcp' ? await probeTcp(p) : await probeUdp(p);
    out.push({ ...p, outcome, ms: Date.now() - t0 });
  }
  return out;
}

async function serve(ports: number[]): Promise<void> {
  const servers: Server[] = [];
  for (const port of ports) {
    const srv = createServer((c) => {
      c.on('error', () => undefined); // probes reset their connections
      c.end('hello from the WAN\n');
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ host: '::', port, ipv6Only: false }, resolve);
    });
    servers.push(srv);
    const udp = createSocket({ type: 'udp6', ipv6Only: false });
    udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
    udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '::', resolve);
    });
  }
  process.stdout.write('ready\n');
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'serve') {
  serve((arg ?? '').split(',').map(Number)).catch((e: unknown) => {
    process.stderr.write(`serve: ${(e as Error).message}\n`);
    process.exit(1);
  });
} else if (mode === 'probe') {
  probe(JSON.parse(arg ?? '[]') as Probe[]).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: unknown) => {
      process.stderr.write(`probe: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
