/**
 * TEST HELPER: a Gateway process for tests that need it in another process (socket activation,
 * a network namespace). Its backend is LocalTcpTestBackend — NOT I2P — routing every stream to a
 * local HTTP server this process runs, so a test can check what the gateway asked the backend for.
 *
 * argv[2]: JSON { config: GatewaySettings, knownNames: string[], proxyHost?: string }
 * stdout, one JSON object per line: {event:'ready', dns, proxy}, {event:'connect', target, port}
 * for each backend connect, and {event:'stats', stats} after SIGTERM, before exiting.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Gateway, type GatewaySettings } from '../../src/gateway/gateway.js';
import { createLogger } from '../../src/util/log.js';
import { LocalTcpTestBackend } from './local-tcp-test-backend.js';

interface Args {
  config: GatewaySettings;
  knownNames: string[];
  proxyHost?: string;
}

export const TEST_PAGE = 'hello from behind the gateway\n';

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const web = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.setHeader('x-seen-host', req.headers.host ?? '');
    res.end(TEST_PAGE);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const webPort = (web.address() as AddressInfo).port;
  const backend = new LocalTcpTestBackend(() => ({ host: '127.0.0.1', port: webPort }));
  for (const n of args.knownNames) backend.knownNames.add(n);
  const connect = backend.connect.bind(backend);
  backend.connect = (target, port, signal) => {
    emit({ event: 'connect', target, port });
    return connect(target, port, signal);
  };
  // Logs go to stderr: stdout carries the events.
  const gateway = new Gateway({ config: args.config, backend, log: createLogger('warn', process.stderr), proxyHost: args.proxyHost });
  await gateway.start();
  emit({ event: 'ready', dns: gateway.dns.addresses(), proxy: gateway.proxy.address() });
  process.once('SIGTERM', () => {
    void (async () => {
      const stats = gateway.stats();
      await gateway.stop();
      await backend.close();
      web.closeAllConnections();
      web.close();
      process.stdout.write(JSON.stringify({ event: 'stats', stats }) + '\n', () => process.exit(0));
    })();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`gateway-test-main: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
