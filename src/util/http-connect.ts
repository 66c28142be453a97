/**
 * The HTTP CONNECT codec (RFC 9110 §9.3.6), pure, shared by every tunnel we open through an HTTP
 * proxy: reseeding through `--reseed.proxy` (src/netdb/reseed/proxy-tunnel.ts) and the gateway's
 * I2P outproxy (src/gateway/http-connect.ts). Each caller maps the errors and statuses to its own
 * vocabulary.
 */
import { isIP } from 'node:net';
import { ProtocolError } from './errors.js';

/** A proxy's reply head larger than this is not a CONNECT reply. */
export const MAX_CONNECT_REPLY_HEAD = 8 * 1024;

/** `host:port`, with brackets around an IPv6 literal. */
export function connectAuthority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

export function encodeHttpConnect(authority: string, auth?: { username: string; password: string }): Buffer {
  // The authority goes into a request line: no spaces, no line breaks.
  if (!/^[A-Za-z0-9.:_[\]-]+$/.test(authority)) throw new RangeError(`not a host:port authority: ${JSON.stringify(authority)}`);
  let req = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (auth !== undefined) req += `Proxy-Authorization: Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}\r\n`;
  return Buffer.from(`${req}\r\n`, 'latin1');
}

export interface HttpConnectReply {
  status: number;
  statusLine: string;
  /** Bytes of the head including the blank line; what follows belongs to the tunnel. */
  headLength: number;
}

/**
 * The reply head once complete, undefined while more bytes are needed. Throws ProtocolError for a
 * reply that is not HTTP or is too large; any status is returned (the caller decides).
 */
export function parseHttpConnectReply(buf: Buffer): HttpConnectReply | undefined {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0 ? buf.length >= MAX_CONNECT_REPLY_HEAD : end + 4 > MAX_CONNECT_REPLY_HEAD) {
    throw new ProtocolError('connect-reply-too-large', `HTTP CONNECT reply head over ${MAX_CONNECT_REPLY_HEAD} bytes`);
  }
  if (end < 0) return undefined;
  const statusLine = buf.toString('latin1', 0, buf.indexOf('\r\n', 0, 'latin1'));
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (!m) throw new ProtocolError('connect-reply-malformed', `malformed HTTP CONNECT reply: ${JSON.stringify(statusLine.slice(0, 80))}`);
  return { status: Number(m[1]), statusLine, headLength: end + 4 };
}
