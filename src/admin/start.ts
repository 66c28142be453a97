/**
 * Starts the admin UI inside the router process (called by src/cli.ts when `http.enabled`): loads
 * the password, address book and settings, builds the app and listens on the LAN address and loopback.
 */
import { rm } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { configFilePath } from '../config/load.js';
import type { RouterConfig } from '../config/options.js';
import { systemRunner, type CommandRunner } from '../gateway/firewall/command-runner.js';
import type { HiddenServices } from '../gateway/hidden-services.js';
import type { Logger } from '../util/log.js';
import { GARLICGATE_VERSION } from '../version.js';
import { AddressBook } from './addressbook/address-book.js';
import { CredentialStore } from './auth/credentials.js';
import { BackupService } from './backup/backup-service.js';
import { requestFactoryReset } from './factory-reset.js';
import { FirewallMonitor, type GatewayStatus } from './gateway-status.js';
import { HostCheck } from './host-check.js';
import { planListenAddresses } from './listen-addresses.js';
import type { LogRingBuffer } from './log-buffer.js';
import type { AdminRouterView, ProcessControl } from './router-view.js';
import { AdminServer, buildAdminApp } from './server.js';
import { firewallNetworkApplier, serviceNetworkApplier } from './settings/network-applier.js';
import { SettingsService } from './settings/settings-service.js';
import { SettingsTransaction } from './settings/transaction.js';
import { SystemHealthMonitor } from './system-health.js';

export interface StartAdminOptions {
  config: RouterConfig;
  /** Options given on the command line (src/config/load.ts). */
  commandLine: ReadonlySet<string>;
  router: AdminRouterView;
  logs: LogRingBuffer;
  log: Logger;
  process: ProcessControl;
  /** Gateway parts provided by running gateway components (DNS, proxy, LAN clients, backend). */
  gateway?: Omit<GatewayStatus, 'firewall'>;
  /** Hidden services, published through the gateway's SAM bridge (only with gateway.enabled). */
  hiddenServices?: HiddenServices;
  runner?: CommandRunner;
}

export interface RunningAdmin {
  server: AdminServer;
  close(): Promise<void>;
}

export async function startAdmin(opts: StartAdminOptions): Promise<RunningAdmin> {
  const { config, log } = opts;
  const datadir = config.datadir;
  const runner = opts.runner ?? systemRunner;
  const credentials = await CredentialStore.load(datadir);
  const addressBook = await AddressBook.load(datadir, log.child({ sub: 'addressbook' }));
  // On the appliance (gateway.firewall.control = service) root's units load and check the firewall.
  // A request left by an earlier run is stale (this run starts from the config file): removing it
  // makes root apply the config file alone.
  const viaService = config['gateway.firewall.control'] === 'service';
  if (viaService) await rm(config['gateway.firewall.request'], { force: true });
  const settings = new SettingsService({
    config,
    configFile: configFilePath(config),
    commandLine: opts.commandLine,
    runtime: opts.router,
    network: viaService ? serviceNetworkApplier({ requestFile: config['gateway.firewall.request'], statusDir: config['gateway.firewall.status'] }) : firewallNetworkApplier(runner),
    transaction: new SettingsTransaction({ log: log.child({ sub: 'settings' }) }),
    log: log.child({ sub: 'settings' }),
  });
  const firewall = new FirewallMonitor({
    config: () => settings.runningConfig(),
    runner,
    // Reading root's report is cheap (a small file): every 5 s, so an applied change shows soon.
    ...(viaService ? { reports: { statusDir: config['gateway.firewall.status'] }, intervalMs: 5_000 } : {}),
    log: log.child({ sub: 'firewall-check' }),
  });
  const plan = planListenAddresses({
    httpAddress: config['http.address'],
    lanAddress: config['gateway.lan.address'],
    wanInterface: config['gateway.wan.interface'],
    interfaces: networkInterfaces(),
  });
  for (const r of plan.refused) log.warn(r, 'admin UI: not listening on an address');
  const admin = await buildAdminApp({
    router: opts.router,
    gateway: { ...opts.gateway, firewall: () => firewall.current() },
    ...(opts.hiddenServices ? { hiddenServices: opts.hiddenServices } : {}),
    logs: opts.logs,
    credentials,
    settings,
    addressBook,
    backup: new BackupService({
      datadir,
      configFile: configFilePath(config),
      software: GARLICGATE_VERSION,
      log: log.child({ sub: 'backup' }),
      afterRestore: async (files) => {
        if (files.includes('addressbook.json')) await addressBook.reload();
      },
    }),
    system: new SystemHealthMonitor({ datadir }),
    process: opts.process,
    hostCheck: new HostCheck({ names: config['http.hostname'], addresses: [config['gateway.lan.address'].split('/')[0]!, ...plan.addresses] }),
    requestFactoryReset: () => requestFactoryReset(datadir),
    log,
  });
  firewall.start();
  let server: AdminServer;
  try {
    server = await AdminServer.start(admin, plan.addresses, config['http.port'], log.child({ sub: 'admin' }));
  } catch (e) {
    firewall.stop();
    await admin.close();
    throw e;
  }
  if (!credentials.isSet) log.warn({ at: server.listening }, 'admin UI: no password set yet — open it and choose one (first run)');
  return {
    server,
    close: async () => {
      firewall.stop();
      await server.close();
    },
  };
}
