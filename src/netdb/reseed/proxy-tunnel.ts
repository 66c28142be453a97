/**
 * TCP tunnels through a proxy for reseeding (`--reseed.proxy`, i2pd's syntax):
 *   http://[user:pass@]host[:port]  HTTP CONNECT (RFC 9110 §9.3.6), default port 80
 *   socks://host[:port]             SOCKS5 without authentication (RFC 1928), default port 1080
 * The TLS session to the reseed server runs inside the tunnel, so the proxy sees only the
 * host name and ciphertext. For SOCKS5 the host NAME is sent (ATYP 3), so DNS is resolved by
 * the proxy (what a Tor SOCKS port needs). The protocol parts are pure codecs; `openTunnel`
 * is the socket shell around them.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { ReseedFailure } from './reseed-failure.js';
import { ProtocolError } from '../../util/errors.js';
import { connectAuthority, encodeHttpConnect as encodeConnectRequest, parseHttpConnectReply as parseConnectReply } from '../../util/http-connect.js';

export interface ProxySpec {
  scheme: 'http' | 'socks';
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export interface TunnelTarget {
  host: string;
  port: number;
}

/** A proxy reply larger than this is not a CONNECT/SOCKS reply. */
const MAX_PROXY_REPLY = 8 * 1024;

/** Strips the brackets WHATWG URLs keep around IPv6 literals. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function parseProxyUrl(raw: string): ProxySpec {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ReseedFailure('bad-proxy', `reseed proxy "${raw}" is not a URL (expected http://host:port or socks://host:port)`);
  }
  const scheme = u.protocol === 'http:' ? 'http' : u.protocol === 'socks:' || u.protocol === 'socks5:' ? 'socks' : undefined;
  if (!scheme) throw new ReseedFailure('bad-proxy', `reseed proxy scheme "${u.protocol}" is not supported (http or socks)`);
  if (u.hostname === '') throw new ReseedFailure('bad-proxy', `reseed proxy "${raw}" has no host`);
  if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) throw new ReseedFailure('bad-proxy', `reseed proxy "${raw}" must not have a path`);
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  if (scheme === 'socks' && (username || password)) {
    throw new ReseedFailure('bad-proxy', 'SOCKS5 proxy authentication is not supported (as in i2pd); use an HTTP proxy with user:pass');
  }
  const port = u.port === '' ? (scheme === 'http' ? 80 : 1080) : Number(u.port);
  const spec: ProxySpec = { scheme, host: unbracket(u.hostname), port };
  if (username || password) {
    spec.username = username;
    spec.password = password;
  }
  return spec;
}

// ---- HTTP CONNECT (codec in src/util/http-connect.ts) ----------------------------------------------

export function encodeHttpConnect(target: TunnelTarget, proxy: ProxySpec): Buffer {
  const auth = proxy.username !== undefined ? { username: proxy.username, password: proxy.password ?? '' } : undefined;
  return encodeConnectRequest(connectAuthority(target.host, target.port), auth);
}

/**
 * Returns the length of a complete CONNECT reply header (bytes after it belong to the tunnel),
 * undefined when more bytes are needed; throws when the proxy refused or replied garbage.
 */
export function parseHttpConnectReply(buf: Buffer): number | undefined {
  let reply;
  try {
    reply = parseConnectReply(buf);
  } catch (e) {
    throw new ReseedFailure('proxy', e instanceof ProtocolError ? e.message : String(e));
  }
  if (reply === undefined) return undefined;
  if (reply.status !== 200) throw new ReseedFailure('proxy', `HTTP proxy refused CONNECT: ${reply.statusLine.slice(0, 100)}`);
  return reply.headLength;
}

// ---- SOCKS5 codec (RFC 1928) ----------------------------------------------------------------------

/** Version 5, one method offered: 0x00 "no authentication required". */
export const SOCKS5_GREETING = Buffer.of(0x05, 0x01, 0x00);

export function parseSocks5MethodReply(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== 0x05) throw new ReseedFailure('proxy', 'not a SOCKS5 proxy');
  if (buf[1] !== 0x00) throw new ReseedFailure('proxy', `SOCKS5 proxy requires an authentication method we do not offer (0x${buf[1]!.toString(16)})`);
  return 2;
}

export function encodeSocks5Connect(target: TunnelTarget): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target.port);
  const ipv = isIP(target.host);
  if (ipv === 4) return Buffer.concat([Buffer.of(5, 1, 0, 1), Buffer.from(target.host.split('.').map(Number)), port]);
  if (ipv === 6) {
    // Expand "::" so the address is 8 groups of 16 bits.
    const [head, tail] = target.host.includes('::') ? target.host.split('::') : [target.host, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    const addr = Buffer.alloc(16);
    groups.forEach((g, i) => addr.writeUInt16BE(parseInt(g, 16), i * 2));
    return Buffer.concat([Buffer.of(5, 1, 0, 4), addr, port]);
  }
  const name = Buffer.from(target.host, 'ascii');
  if (name.length === 0 || name.length > 255) throw new ReseedFailure('proxy', `host name "${target.host}" too long for SOCKS5`);
  return Buffer.concat([Buffer.of(5, 1, 0, 3, name.length), name, port]);
}

const SOCKS5_ERRORS: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** Length of a complete CONNECT reply (VER REP RSV ATYP BND.ADDR BND.PORT) or undefined. */
export function parseSocks5ConnectReply(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== 0x05) throw new ReseedFailure('proxy', 'malformed SOCKS5 reply');
  if (buf[1] !== 0x00) throw new ReseedFailure('proxy', `SOCKS5 proxy refused: ${SOCKS5_ERRORS[buf[1]!] ?? `code ${buf[1]}`}`);
  if (buf.length < 5) return undefined;
  const atyp = buf[3];
  const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + buf[4]! : -1;
  if (addrLen < 0) throw new ReseedFailure('proxy', `SOCKS5 reply with unknown address type ${atyp}`);
  const total = 4 + addrLen + 2;
  return buf.length >= total ? total : undefined;
}

// ---- socket shell ---------------------------------------------------------------------------------

/** The ReseedFailure an aborted signal carries (timeout, shutdown), or a generic one. */
export function abortReason(signal: AbortSignal): ReseedFailure {
  return signal.reason instanceof ReseedFailure ? signal.reason : new ReseedFailure('aborted', 'reseed aborted');
}

function connectTcp(host: string, port: number, failure: 'connect' | 'proxy', signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const sock = netConnect({ host, port });
    const onAbort = (): void => {
      sock.destroy();
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const onError = (e: Error): void => {
      signal.removeEventListener('abort', onAbort);
      reject(new ReseedFailure(failure, `cannot connect to ${failure === 'proxy' ? 'proxy ' : ''}${host}:${port}: ${e.message}`));
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

/**
 * Sends `request` and reads until `parse` reports a complete reply. The proxy must then be
 * silent until our TLS ClientHello: bytes past the reply are a protocol violation (and would be
 * lost anyway, since TLS reads the socket's handle directly), so they fail the tunnel.
 */
function exchange(sock: Socket, request: Buffer, parse: (b: Buffer) => number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (e: ReseedFailure): void => {
      cleanup();
      sock.destroy();
      reject(e);
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      let used: number | undefined;
      try {
        used = parse(buf);
        if (used === undefined && buf.length > MAX_PROXY_REPLY) throw new ReseedFailure('proxy', 'proxy reply too large');
      } catch (e) {
        return fail(e instanceof ReseedFailure ? e : new ReseedFailure('proxy', String(e)));
      }
      if (used === undefined) return;
      if (used < buf.length) return fail(new ReseedFailure('proxy', 'proxy sent data before the TLS handshake'));
      cleanup();
      sock.pause();
      resolve();
    };
    const onError = (e: Error): void => fail(new ReseedFailure('proxy', `proxy connection failed: ${e.message}`));
    const onClose = (): void => fail(new ReseedFailure('proxy', 'proxy closed the connection'));
    const onAbort = (): void => fail(abortReason(signal));
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    // The previous exchange left the socket paused; a new 'data' listener does not resume it.
    sock.resume();
    sock.write(request);
  });
}

/** A TCP connection to `target`, direct or through the proxy. */
export async function openTunnel(target: TunnelTarget, proxy: ProxySpec | undefined, signal: AbortSignal): Promise<Socket> {
  if (!proxy) return connectTcp(target.host, target.port, 'connect', signal);
  const sock = await connectTcp(proxy.host, proxy.port, 'proxy', signal);
  if (proxy.scheme === 'http') {
    await exchange(sock, encodeHttpConnect(target, proxy), parseHttpConnectReply, signal);
  } else {
    await exchange(sock, SOCKS5_GREETING, parseSocks5MethodReply, signal);
    await exchange(sock, encodeSocks5Connect(target), parseSocks5ConnectReply, signal);
  }
  return sock;
}
