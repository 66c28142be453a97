/**
 * A bounded HTTPS GET for reseeding: one overall deadline (connect, proxy, TLS, redirects and
 * body together), a byte limit enforced both on Content-Length and on what actually arrives,
 * at most `maxRedirects` redirects and only to https URLs, and the server's TLS certificate
 * checked against Node's CA list plus optional extra anchors.
 *
 * i2pd does not check reseed TLS certificates at all (it relies on the SU3 signature alone).
 * We check them: the SU3 signature protects the content, TLS additionally keeps a network
 * observer from learning which signed file we got and from serving us an old one.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import { abortReason, openTunnel, unbracket, type ProxySpec } from './proxy-tunnel.js';
import { ReseedFailure } from './reseed-failure.js';

/**
 * Reseed servers (reseed-tools) answer only clients that look like the reference routers,
 * which all send this User-Agent (i2pd and Java I2P alike).
 */
export const RESEED_USER_AGENT = 'Wget/1.11.4';
export const DEFAULT_MAX_REDIRECTS = 3;

export interface HttpsGetOptions {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects?: number;
  proxy?: ProxySpec;
  /** Extra trust anchors (PEM), added to Node's default CA list, never replacing it. */
  ca?: readonly (string | Buffer)[];
  /** Cancels the download (e.g. router shutdown). */
  signal?: AbortSignal;
}

export interface HttpsGetResult {
  body: Buffer;
  /** The URL that finally answered 200 (after redirects). */
  url: string;
  redirects: number;
}

type Hop = { kind: 'body'; body: Buffer } | { kind: 'redirect'; location: string };

export function parseHttpsUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ReseedFailure('bad-url', `"${raw}" is not a URL`);
  }
  if (u.protocol !== 'https:') throw new ReseedFailure('bad-url', `"${raw}" is not an https URL; reseeding is HTTPS only`);
  if (u.username || u.password) throw new ReseedFailure('bad-url', `"${u.host}": credentials in reseed URLs are not supported`);
  return u;
}

function startTls(socket: Socket, host: string, ca: HttpsGetOptions['ca'], signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tlsConnect({
      socket,
      host,
      // SNI carries names only (RFC 6066 §3).
      servername: isIP(host) ? '' : host,
      ca: ca && ca.length > 0 ? [...rootCertificates, ...ca] : undefined,
      ALPNProtocols: ['http/1.1'],
      minVersion: 'TLSv1.2',
    });
    const onAbort = (): void => {
      t.destroy();
      reject(abortReason(signal));
    };
    const onError = (e: Error): void => {
      signal.removeEventListener('abort', onAbort);
      t.destroy();
      reject(new ReseedFailure('tls', `TLS with ${host} failed: ${e.message}`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    t.once('error', onError);
    t.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      t.off('error', onError);
      resolve(t);
    });
  });
}

function readBody(res: IncomingMessage, maxBytes: number, resolve: (h: Hop) => void, reject: (e: ReseedFailure) => void): void {
  // Settle before destroying: destroy() emits 'aborted'/'end' synchronously.
  const refuse = (e: ReseedFailure): void => {
    reject(e);
    res.destroy();
  };
  const declared = res.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return refuse(new ReseedFailure('too-large', `response of ${declared} bytes exceeds the ${maxBytes}-byte limit`));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size > maxBytes) refuse(new ReseedFailure('too-large', `response exceeds the ${maxBytes}-byte limit`));
    else chunks.push(c);
  });
  res.on('end', () => {
    if (!res.complete) reject(new ReseedFailure('connect', 'connection closed before the response was complete'));
    else resolve({ kind: 'body', body: Buffer.concat(chunks, size) });
  });
  res.on('error', (e) => reject(new ReseedFailure('connect', `response failed: ${e.message}`)));
  res.on('aborted', () => reject(new ReseedFailure('connect', 'connection closed before the response was complete')));
}

async function getOnce(url: URL, opts: HttpsGetOptions, signal: AbortSignal): Promise<Hop> {
  const host = unbracket(url.hostname);
  const port = url.port === '' ? 443 : Number(url.port);
  const tcp = await openTunnel({ host, port }, opts.proxy, signal);
  const tls = await startTls(tcp, host, opts.ca, signal);
  let onAbort: (() => void) | undefined;
  return new Promise<Hop>((resolve, reject) => {
    const req = httpRequest({
      method: 'GET',
      host,
      port,
      path: `${url.pathname}${url.search}`,
      setHost: false,
      headers: { Host: url.host, 'User-Agent': RESEED_USER_AGENT, Connection: 'close' },
      createConnection: () => tls,
    });
    onAbort = (): void => {
      req.destroy();
      reject(abortReason(signal));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status)) {
        res.resume();
        const location = res.headers.location;
        if (!location) return reject(new ReseedFailure('http-status', `HTTP ${status} without a Location from ${url.host}`));
        return resolve({ kind: 'redirect', location });
      }
      if (status !== 200) {
        res.resume();
        return reject(new ReseedFailure('http-status', `HTTP ${status} from ${url.host}`));
      }
      readBody(res, opts.maxBytes, resolve, reject);
    });
    req.on('error', (e) => reject(new ReseedFailure('connect', `request to ${url.host} failed: ${e.message}`)));
    req.end();
  }).finally(() => {
    // Runs for every outcome; the connection is never reused (Connection: close).
    if (onAbort) signal.removeEventListener('abort', onAbort);
    tls.destroy();
  });
}

/** GETs an https URL within the bounds in `opts`. Throws ReseedFailure. */
export async function httpsGet(rawUrl: string, opts: HttpsGetOptions): Promise<HttpsGetResult> {
  let url = parseHttpsUrl(rawUrl);
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ReseedFailure('timeout', `no complete response within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  const onOuterAbort = (): void => controller.abort(new ReseedFailure('aborted', 'reseed aborted'));
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    for (let redirects = 0; ; redirects++) {
      const hop = await getOnce(url, opts, controller.signal);
      if (hop.kind === 'body') return { body: hop.body, url: url.toString(), redirects };
      if (redirects >= maxRedirects) throw new ReseedFailure('too-many-redirects', `more than ${maxRedirects} redirects from ${rawUrl}`);
      url = parseHttpsUrl(new URL(hop.location, url).toString());
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
