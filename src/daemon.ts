/**
 * The daemon `garlicgate` runs with no command word (src/cli.ts): the I2P router, with
 * gateway.enabled the LAN gateway's DNS server and transparent proxy, with http.enabled the admin
 * UI; READY/watchdog/STOPPING for systemd; stops on SIGTERM/SIGINT or a shutdown asked for.
 */
import type { LoadedConfig } from './config/load.js';
import { createLogger } from './util/log.js';
import { Router } from './router/router.js';
import { GARLICGATE_VERSION } from './version.js';
import { SystemdNotifier } from './util/systemd-notify.js';
import { LogRingBuffer } from './admin/log-buffer.js';
import { performPendingFactoryReset } from './admin/factory-reset.js';
import { startAdmin, type RunningAdmin } from './admin/start.js';
import { adminRouterView } from './router/admin-view.js';
import { startGatewayService, type RunningGateway } from './gateway/service.js';

/**
 * Exit status after a restart asked from the admin UI: non-zero, so systemd restarts the unit with
 * Restart=on-failure as with Restart=always (EX_TEMPFAIL).
 */
const RESTART_EXIT_CODE = 75;

/** Runs until stopped; the process's exit code. */
export async function runDaemon(loaded: LoadedConfig): Promise<number> {
  const { config } = loaded;
  // The admin UI's log page reads the router's log lines from this buffer (as well as stdout).
  const logs = config['http.enabled'] ? new LogRingBuffer() : undefined;
  const log = createLogger(config.loglevel, undefined, logs);
  try {
    await performPendingFactoryReset(config.datadir, log);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'factory reset failed');
    return 1;
  }
  const router = new Router(config, log);
  // Under systemd (Type=notify, WatchdogSec=): READY=1 once running, keep-alives, STOPPING=1.
  const systemd = new SystemdNotifier({ log });
  try {
    await router.start();
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'router failed to start');
    await router.stop().catch(() => undefined);
    return 1;
  }
  // The LAN gateway (DNS + transparent proxy). Failing to take its listeners is fatal: systemd
  // restarts us, and meanwhile the firewall keeps the LAN closed.
  let gateway: RunningGateway | undefined;
  if (config['gateway.enabled']) {
    try {
      gateway = await startGatewayService(config, log);
    } catch (e) {
      log.fatal({ err: (e as Error).message }, 'LAN gateway failed to start');
      await router.stop().catch(() => undefined);
      return 1;
    }
  }
  let exitCode = 0;
  const admin = logs ? await startAdminUi(loaded.commandLine, router, logs, () => (exitCode = RESTART_EXIT_CODE), gateway) : undefined;
  await systemd.ready(admin ? 'router and admin UI running' : 'router running');
  await new Promise<void>((resolve) => {
    const stop = (why: string): void => {
      log.info({ reason: why }, 'stopping');
      void systemd.stopping();
      Promise.resolve(admin?.close())
        .catch((e: Error) => log.error({ err: e.message }, 'admin UI did not stop cleanly'))
        .then(() => gateway?.stop())
        .catch((e: Error) => log.error({ err: e.message }, 'LAN gateway did not stop cleanly'))
        .then(() => router.stop())
        .finally(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    router.once('shutdownRequested', () => stop('shutdown requested'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return exitCode;
}

/**
 * The admin web UI (src/admin) in the router's process. A failure to start it is logged and the
 * router runs on without it. Restart is offered only under systemd (INVOCATION_ID is set for its
 * services), which starts the process again after it exits.
 */
async function startAdminUi(commandLine: ReadonlySet<string>, router: Router, logs: LogRingBuffer, markRestart: () => void, gateway: RunningGateway | undefined): Promise<RunningAdmin | undefined> {
  const supervised = process.env.INVOCATION_ID !== undefined;
  try {
    return await startAdmin({
      config: router.config,
      commandLine,
      router: adminRouterView(router, GARLICGATE_VERSION),
      logs,
      log: router.log,
      ...(gateway ? { gateway: gateway.status, hiddenServices: gateway.hiddenServices } : {}),
      process: {
        shutdown: (graceful) => router.requestShutdown(graceful),
        ...(supervised
          ? {
              restart: () => {
                markRestart();
                router.requestShutdown(false);
              },
            }
          : {}),
      },
    });
  } catch (e) {
    router.log.error({ err: (e as Error).message }, 'admin UI failed to start; the router runs without it');
    return undefined;
  }
}

