/**
 * Diagnostics (issue 6, item 4): "test an I2P site" and a DNS lookup of an .i2p name. Both go through
 * the gateway's I2P backend (src/gateway/i2p-backend.ts: name lookups and streams); while the gateway
 * does not provide one, the site test answers 503 "not available yet" and the lookup reports only what
 * the address book knows.
 */
import type { FastifyInstance } from 'fastify';
import { base32Decode } from '../../data/base32.js';
import { I2P_HTTP_USER_AGENT, I2PBackendError, type I2PStreamBackend } from '../../gateway/i2p-backend.js';
import { hostNameProblem, parseDestination } from '../addressbook/host-name.js';
import { featureUnavailable, featureUnavailableSchema, maybeSchema, notAvailable } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, bool, errorSchema, int, obj, oneOfStr, route, str, type RouteSpec } from './spec.js';

const LOOKUP_TIMEOUT_MS = 15_000;
const SITE_TIMEOUT_MS = 60_000;
const MAX_STATUS_BYTES = 8192;

const resolvedSchema = obj({ destination: str('I2P base64'), b32: str('.b32.i2p address') });
const nullable = (s: object): object => ({ anyOf: [s, { type: 'null' }] });

export const DIAGNOSTICS_ROUTES = {
  dns: {
    method: 'POST',
    url: `${API_PREFIX}/diagnostics/dns`,
    group: 'Diagnostics',
    summary: 'Look up an .i2p name: in the address book and through the gateway’s I2P backend',
    auth: 'session',
    schema: {
      body: obj({ name: str('an .i2p name or a .b32.i2p address', { minLength: 1, maxLength: 255 }) }),
      response: {
        200: obj({
          name: str('lower case'),
          kind: oneOfStr(['b32', 'address-book'], 'b32 addresses need no lookup'),
          addressBook: nullable(resolvedSchema),
          network: maybeSchema(nullable(resolvedSchema)),
        }),
        400: errorSchema('not a valid .i2p name'),
      },
    },
  },
  site: {
    method: 'POST',
    url: `${API_PREFIX}/diagnostics/site`,
    group: 'Diagnostics',
    summary: 'Test an I2P site: open a stream to it and send an HTTP HEAD request',
    description: 'Waits up to 60 s. The answer reports the outcome of the test (reachable or why not), not an error of the request.',
    auth: 'session',
    schema: {
      body: obj({ url: str('http://name.i2p[:port][/path]', { minLength: 1, maxLength: 1024 }) }),
      response: {
        200: obj(
          {
            reachable: bool(),
            status: int('HTTP status of the answer'),
            statusText: str(),
            connectMs: int('time to open the stream'),
            totalMs: int(),
            error: str('why it was not reachable (unknown-name, unreachable, timeout, refused, backend-down, protocol)'),
            detail: str(),
          },
          { required: ['reachable', 'totalMs'] },
        ),
        400: errorSchema('not an http URL of an .i2p site'),
        503: featureUnavailableSchema,
      },
    },
  },
} satisfies Record<string, RouteSpec>;

/** A .b32.i2p label: 52 characters (a Destination hash) or 56+ (an encrypted LeaseSet, b32encrypted.rst). */
function isB32(name: string): boolean {
  const label = name.slice(0, -'.b32.i2p'.length);
  if (!/^[a-z2-7]{52}$|^[a-z2-7]{56,63}$/.test(label)) return false;
  try {
    base32Decode(label);
    return true;
  } catch {
    return false;
  }
}

/** Why `name` cannot be looked up, or undefined. */
function nameProblem(name: string): string | undefined {
  if (name.endsWith('.b32.i2p')) return isB32(name) ? undefined : 'not a valid .b32.i2p address';
  return hostNameProblem(name);
}

function resolved(b64: string): { destination: string; b32: string } {
  const d = parseDestination(b64);
  return { destination: d.toBase64(), b32: d.b32Address() };
}

function timeout(ms: number): AbortSignal {
  return AbortSignal.timeout(ms);
}

async function testSite(backend: I2PStreamBackend, host: string, port: number, path: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const ms = (): number => Math.round(performance.now() - t0);
  const signal = timeout(SITE_TIMEOUT_MS);
  let stream;
  try {
    stream = await backend.connect(host, port, signal);
  } catch (e) {
    return { reachable: false, totalMs: ms(), error: e instanceof I2PBackendError ? e.kind : 'unreachable', detail: (e as Error).message };
  }
  const connectMs = ms();
  return new Promise((resolve) => {
    let buf = '';
    const done = (r: Record<string, unknown>): void => {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
      resolve({ connectMs, totalMs: ms(), ...r });
    };
    const onAbort = (): void => done({ reachable: false, error: 'timeout', detail: 'no HTTP answer within 60 s' });
    signal.addEventListener('abort', onAbort);
    stream.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const eol = buf.indexOf('\r\n');
      if (eol < 0 && buf.length < MAX_STATUS_BYTES) return;
      const m = /^HTTP\/\d\.\d (\d{3}) ?([^\r\n]*)/.exec(buf);
      done(m ? { reachable: true, status: Number(m[1]), statusText: m[2]!.slice(0, 200) } : { reachable: false, error: 'protocol', detail: 'the site did not answer HTTP' });
    });
    stream.on('error', (e: Error) => done({ reachable: false, error: 'unreachable', detail: e.message }));
    stream.on('end', () => done({ reachable: false, error: 'protocol', detail: 'the stream closed before an HTTP status line' }));
    stream.write(`HEAD ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${I2P_HTTP_USER_AGENT}\r\nConnection: close\r\n\r\n`);
  });
}

export function registerDiagnosticsRoutes(app: FastifyInstance, deps: AdminDeps): void {
  route(app, DIAGNOSTICS_ROUTES.dns, async (request, reply) => {
    const name = (request.body as { name: string }).name.trim().toLowerCase().replace(/\.$/, '');
    const problem = nameProblem(name);
    if (problem) return reply.code(400).send({ error: 'not a valid .i2p name', detail: problem });
    if (name.endsWith('.b32.i2p')) return { name, kind: 'b32', addressBook: null, network: null };
    const entry = deps.addressBook.get(name);
    const backend = deps.gateway.backend?.();
    let network: unknown = notAvailable();
    if (backend) {
      try {
        const b64 = await backend.lookup(name, timeout(LOOKUP_TIMEOUT_MS));
        network = b64 === undefined ? null : resolved(b64);
      } catch (e) {
        network = notAvailable(`lookup failed: ${(e as Error).message}`);
      }
    }
    return { name, kind: 'address-book', addressBook: entry ? { destination: entry.destination, b32: entry.b32 } : null, network };
  });

  route(app, DIAGNOSTICS_ROUTES.site, async (request, reply) => {
    let u: URL;
    try {
      u = new URL((request.body as { url: string }).url.trim());
    } catch {
      return reply.code(400).send({ error: 'not a URL' });
    }
    const host = u.hostname.toLowerCase();
    if (u.protocol !== 'http:') return reply.code(400).send({ error: 'only http:// URLs (I2P sites are plain HTTP inside I2P)' });
    const problem = host.endsWith('.i2p') ? nameProblem(host) : 'the host must be an .i2p name';
    if (problem) return reply.code(400).send({ error: 'not an I2P site', detail: problem });
    const backend = deps.gateway.backend?.();
    if (!backend) return reply.code(503).send(featureUnavailable('I2P site test', 'needs I2P streaming: the router has none yet and no gateway backend is running'));
    return testSite(backend, host, u.port === '' ? 80 : Number(u.port), `${u.pathname}${u.search}` || '/');
  });
}
