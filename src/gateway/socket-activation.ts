/**
 * systemd socket activation (sd_listen_fds(3)): the gateway's listeners can be created by systemd
 * and passed in, which is how the transparent proxy gets a socket with IP_TRANSPARENT
 * (`Transparent=yes` in the .socket unit) without the daemon holding CAP_NET_ADMIN. Passed
 * descriptors start at 3; LISTEN_PID must be ours; LISTEN_FDNAMES (`FileDescriptorName=`) tells
 * them apart.
 */
import type * as dgram from 'node:dgram';
import type * as net from 'node:net';

/** sd-daemon.h SD_LISTEN_FDS_START. */
const LISTEN_FDS_START = 3;

/** The `FileDescriptorName=` each gateway socket unit must set. */
export const FD_NAMES = {
  /** TCP, `Transparent=yes`: the TPROXY target. */
  proxy: 'proxy',
  /** UDP (IPv4) for DNS. */
  dnsUdp: 'dns-udp',
  /** TCP for DNS. */
  dnsTcp: 'dns-tcp',
} as const;

export interface ActivatedSocket {
  fd: number;
  name: string;
}

/** Where a server listens: a passed descriptor, or an address it binds itself. */
export type ListenSpec = { fd: number } | { host: string; port: number };

/**
 * The sockets passed to this process, or [] when not socket-activated. Like
 * sd_listen_fds(unset_environment=1), the variables are removed so child processes do not
 * mistake the descriptors for theirs.
 */
export function activatedSockets(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): ActivatedSocket[] {
  const listenPid = env.LISTEN_PID;
  const listenFds = env.LISTEN_FDS;
  const names = env.LISTEN_FDNAMES;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (listenPid === undefined || listenFds === undefined) return [];
  if (!/^\d+$/.test(listenPid) || Number(listenPid) !== pid) return [];
  if (!/^\d{1,4}$/.test(listenFds)) return [];
  const n = Number(listenFds);
  const nameList = names?.split(':') ?? [];
  const out: ActivatedSocket[] = [];
  for (let i = 0; i < n; i++) out.push({ fd: LISTEN_FDS_START + i, name: nameList.length === n ? nameList[i]! : 'unknown' });
  return out;
}

export function describeListen(spec: ListenSpec): string {
  return 'fd' in spec ? `fd ${spec.fd}` : `${spec.host}:${spec.port}`;
}

/** Listens on a passed descriptor or binds; rejects with the bind error (EADDRINUSE, ...). */
export function listenTcp(server: net.Server, spec: ListenSpec): Promise<void> {
  return settleOnce(server, (done) => ('fd' in spec ? server.listen({ fd: spec.fd }, done) : server.listen({ port: spec.port, host: spec.host }, done)));
}

export function bindUdp(sock: dgram.Socket, spec: ListenSpec): Promise<void> {
  return settleOnce(sock, (done) => ('fd' in spec ? sock.bind({ fd: spec.fd }, done) : sock.bind({ port: spec.port, address: spec.host }, done)));
}

function settleOnce(emitter: net.Server | dgram.Socket, start: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    emitter.once('error', reject);
    start(() => {
      emitter.off('error', reject);
      resolve();
    });
  });
}
