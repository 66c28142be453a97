/**
 * The LAN gateway as the `garlicgate` daemon runs it (issue 5): the I2P backend the config names
 * (`gateway.backend`: `sam`, a SAM v3 bridge at gateway.sam.address:port — i2pd's on the appliance),
 * and the Gateway service (DNS + transparent proxy) on top of it. Also what the admin UI shows of
 * them (src/admin/gateway-status.ts).
 *
 * The backend comes up in the background (a SAM session takes 20–40 s on i2pd and is recreated when
 * the bridge restarts); DNS and the proxy serve at once and answer SERVFAIL / reset connections
 * until it is ready. Only failing to bind (or adopt) the listeners fails the start.
 */
import type { RouterConfig } from '../config/options.js';
import type { ComponentStatus, GatewayStatus } from '../admin/gateway-status.js';
import { SamStreamBackend, samBackendOptions } from '../client/sam/sam-backend.js';
import type { Logger } from '../util/log.js';
import { Gateway } from './gateway.js';
import { HiddenServices } from './hidden-services.js';
import { samBridgeOf } from '../client/sam/sam-server-session.js';
import { leaseFileOf } from './dhcp/command.js';
import { readDnsmasqLeases } from './dhcp/dnsmasq-leases.js';

export interface RunningGateway {
  gateway: Gateway;
  backend: SamStreamBackend;
  /** Sites published through the same SAM bridge (hidden-services.ts). */
  hiddenServices: HiddenServices;
  /** What the admin UI's dashboard reads. */
  status: Omit<GatewayStatus, 'firewall'>;
  stop(): Promise<void>;
}

/**
 * Why a listener on `actual` cannot get the LAN's traffic, which the firewall sends to `configured`;
 * undefined when they agree (or there is no listener to judge).
 */
export function listenerPortProblem(what: string, actual: number | undefined, configured: number, option: string, unit: string): string | undefined {
  // Port 0: any port (tests bind that way; no firewall points anywhere then).
  if (actual === undefined || configured === 0 || actual === configured) return undefined;
  return `the ${what} listens on port ${actual} (passed by ${unit}) but the firewall sends the LAN to ${option} = ${configured}: set the same port in both`;
}

export async function startGatewayService(config: RouterConfig, log: Logger): Promise<RunningGateway> {
  const glog = log.child({ sub: 'gateway' });
  const backend = new SamStreamBackend(samBackendOptions(config, glog.child({ part: 'sam' })));
  const gateway = new Gateway({ config, backend, log: glog });
  await gateway.start();
  backend.start();
  // Hidden services use the same bridge, each site with its own session. A datadir file that cannot
  // be read is logged, not fatal: the LAN's way into I2P must not depend on it.
  const hiddenServices = new HiddenServices({
    datadir: config.datadir,
    bridge: samBridgeOf(config),
    log: glog.child({ part: 'hidden-services' }),
    sessionOptions: { 'inbound.length': String(config['gateway.services.inbound.length']), 'outbound.length': String(config['gateway.services.outbound.length']) },
  });
  try {
    await hiddenServices.start();
  } catch (e) {
    glog.error({ err: (e as Error).message }, 'hidden services could not be loaded; none are published');
  }
  let running = true;
  glog.info(
    { dns: `${config['gateway.dns.address']}:${config['gateway.dns.port']}`, proxy: config['gateway.proxy.port'], range: config['gateway.virtualrange'], mode: config['gateway.mode'], sam: `${config['gateway.sam.address']}:${config['gateway.sam.port']}` },
    'LAN gateway started',
  );
  // LAN clients' names from dnsmasq's leases, read every 30 s (a missing or unreadable file: no names).
  const leaseFile = leaseFileOf(config);
  const readLeases = (): void =>
    void readDnsmasqLeases(leaseFile, Math.floor(Date.now() / 1000)).then(
      (names) => gateway.lanClients.setNames(names),
      (e: Error) => glog.debug({ err: e.message, leaseFile }, 'DHCP leases not readable'),
    );
  readLeases();
  const leaseTimer = setInterval(readLeases, 30_000);
  leaseTimer.unref();
  // The firewall sends the LAN's DNS and proxied TCP to the configured ports; a listener passed by a
  // socket unit on another port (a port changed in the config but not in the unit) gets nothing.
  const listeners = {
    dns: { what: 'DNS server', port: () => gateway.dns.addresses().udp?.port, option: 'gateway.dns.port', unit: 'garlicgate-dns-udp.socket' },
    proxy: { what: 'transparent proxy', port: () => gateway.proxy.address()?.port, option: 'gateway.proxy.port', unit: 'garlicgate-proxy.socket' },
  } as const;
  const portProblem = (l: (typeof listeners)[keyof typeof listeners]): string | undefined => listenerPortProblem(l.what, l.port(), config[l.option], l.option, l.unit);
  for (const l of Object.values(listeners)) {
    const problem = portProblem(l);
    if (problem) glog.error({ problem }, 'LAN gateway listener on the wrong port');
  }
  const serving = (l: (typeof listeners)[keyof typeof listeners]): (() => ComponentStatus) => () => {
    if (!running || l.port() === undefined) return { state: 'failed', detail: `${l.what} stopped`, checkedAt: Date.now() };
    const problem = portProblem(l);
    return problem ? { state: 'failed', detail: problem, checkedAt: Date.now() } : { state: 'ok', detail: `${l.what} serving`, checkedAt: Date.now() };
  };
  return {
    gateway,
    backend,
    hiddenServices,
    status: {
      dns: serving(listeners.dns),
      proxy: serving(listeners.proxy),
      backend: () => backend,
      lanClients: () => gateway.lanClients.list(Date.now()),
    },
    async stop() {
      running = false;
      clearInterval(leaseTimer);
      await hiddenServices.stop();
      await gateway.stop();
      await backend.close();
    },
  };
}
