/**
 * The HTTP(S) shell around I2PControlHandler: i2pd's I2PControl endpoint, by default
 * https://127.0.0.1:7650/ with a self-signed certificate (./tls-certificate.ts).
 *
 * Like i2pd: any path, POST only, the JSON-RPC answer with HTTP 200 and `application/json` whatever
 * the JSON-RPC outcome; any Content-Type is accepted (i2pd ignores it, and `curl -d` sends
 * x-www-form-urlencoded). Unlike i2pd, which answers whatever reaches it:
 * - a request carrying an `Origin` header comes from a web page (browsers send Origin with every
 *   POST) and is refused (403): a page must not drive the router, even through DNS rebinding;
 * - bodies are bounded (413), connections are bounded, slow clients time out;
 * - the listener binds only the configured address, and a non-loopback one is logged as a warning.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { I2PControlConfig } from '../config/i2pcontrol-options.js';
import type { Logger } from '../util/log.js';
import { I2PControlHandler, applyEffects, type I2PControlHandlerOptions } from './handler.js';
import type { I2PControlRouterView } from './router-view.js';
import { loadOrCreateCertificate } from './tls-certificate.js';

export interface I2PControlServerOptions {
  view: I2PControlRouterView;
  /** The JSON-RPC core; built from `password` (and `handlerOptions`) when not given. */
  handler?: I2PControlHandler;
  password?: string;
  handlerOptions?: Omit<I2PControlHandlerOptions, 'view' | 'password' | 'log'>;
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** PEM certificate and key; without them the service speaks plain HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  log: Logger;
  /** Largest request body accepted (default 64 KiB; i2pd's own buffer is 1 KiB). */
  maxBodyBytes?: number;
  /** Simultaneous connections (default 32). */
  maxConnections?: number;
  /** Whole-request deadline, headers and body (default 10 s). */
  requestTimeoutMs?: number;
  /** Clock for token expiry and the guessing throttle (tests). */
  now?: () => number;
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

export class I2PControlServer {
  readonly handler: I2PControlHandler;
  private readonly opts: I2PControlServerOptions;
  private readonly log: Logger;
  private readonly server: http.Server;
  private readonly maxBody: number;
  private readonly now: () => number;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  /** Requests refused before the JSON-RPC core saw them, by reason; and requests answered. */
  readonly counters = { answered: 0, notPost: 0, fromWebPage: 0, tooLarge: 0 };

  constructor(opts: I2PControlServerOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.maxBody = opts.maxBodyBytes ?? 64 * 1024;
    this.now = opts.now ?? Date.now;
    if (opts.handler) {
      this.handler = opts.handler;
    } else {
      if (opts.password === undefined) throw new Error('I2PControlServer: give either a handler or a password');
      this.handler = new I2PControlHandler({ ...opts.handlerOptions, view: opts.view, password: opts.password, log: opts.log });
    }
    const timeout = opts.requestTimeoutMs ?? 10_000;
    const common: http.ServerOptions = {
      requestTimeout: timeout,
      headersTimeout: Math.min(timeout, 5000),
      keepAliveTimeout: 5000,
      maxHeaderSize: 8192,
      // Node checks request deadlines on this interval (default 30 s, far coarser than our deadline).
      connectionsCheckingInterval: Math.min(1000, timeout),
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res);
    this.server = opts.tls
      ? https.createServer({ ...common, cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: timeout }, onRequest)
      : http.createServer(common, onRequest);
    this.server.maxConnections = opts.maxConnections ?? 32;
    // Idle sockets (e.g. a TLS session that never sends a request) are closed after a while.
    this.server.setTimeout(30_000, (s: Socket) => s.destroy());
    // For HTTPS too, 'connection' is the raw TCP socket (also before/without a TLS handshake): stop() ends them all.
    this.server.on('connection', (s: Socket) => this.track(s));
    this.server.on('tlsClientError', (err: Error) => this.log.debug({ err: err.message }, 'I2PControl: TLS handshake failed'));
    this.server.on('clientError', (err: Error, socket: Socket) => {
      this.log.debug({ err: err.message }, 'I2PControl: bad HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /**
   * Build the service from i2pd-style options: relative `i2pcontrol.cert`/`.key` live in the data
   * directory, and are created on first use when HTTPS is on. Does not start listening.
   */
  static async fromConfig(
    config: I2PControlConfig,
    deps: { datadir: string; view: I2PControlRouterView; log: Logger; handlerOptions?: I2PControlServerOptions['handlerOptions'] },
  ): Promise<I2PControlServer> {
    const address = config['i2pcontrol.address'];
    const opts: I2PControlServerOptions = {
      view: deps.view,
      password: config['i2pcontrol.password'],
      address,
      port: config['i2pcontrol.port'],
      log: deps.log,
      ...(deps.handlerOptions ? { handlerOptions: deps.handlerOptions } : {}),
    };
    if (config['i2pcontrol.https']) {
      const inData = (p: string) => (isAbsolute(p) ? p : resolve(deps.datadir, p));
      const files = await loadOrCreateCertificate(inData(config['i2pcontrol.cert']), inData(config['i2pcontrol.key']), { bindAddress: address, log: deps.log });
      opts.tls = { cert: files.cert, key: files.key };
    }
    if (config['i2pcontrol.password'] === 'itoopie' && !isLoopback(address)) {
      deps.log.warn({ address }, 'I2PControl: listening beyond loopback with the default password "itoopie": anyone who can reach it can shut the router down; set i2pcontrol.password');
    }
    return new I2PControlServer(opts);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const a = this.server.address() as AddressInfo | null;
    if (a === null) throw new Error('I2PControl server is not listening');
    return a.port;
  }

  get url(): string {
    const host = this.opts.address.includes(':') ? `[${this.opts.address}]` : this.opts.address;
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${this.port}/`;
  }

  async start(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolvePromise, reject) => {
      const onError = (e: Error) => reject(new Error(`I2PControl: cannot listen on ${this.opts.address}:${this.opts.port}: ${e.message}`));
      this.server.once('error', onError);
      this.server.listen({ host: this.opts.address, port: this.opts.port, exclusive: true }, () => {
        this.server.off('error', onError);
        resolvePromise();
      });
    });
    this.listening = true;
    this.server.on('error', (e) => this.log.error({ err: e }, 'I2PControl: server error'));
    if (!isLoopback(this.opts.address)) {
      this.log.warn({ address: this.opts.address, port: this.port }, 'I2PControl: reachable from other hosts (i2pcontrol.address is not loopback)');
    }
    this.log.info({ url: this.url }, 'I2PControl: listening');
  }

  /** Stop listening and end every open connection. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    req.on('error', () => req.destroy());
    if (req.method !== 'POST') {
      this.counters.notPost++;
      plain(405, 'I2PControl: send a JSON-RPC 2.0 request with POST\n', { Allow: 'POST', Connection: 'close' });
      req.resume();
      return;
    }
    if (req.headers.origin !== undefined) {
      // Warn once; a hostile page could repeat this as fast as the browser lets it.
      const level = this.counters.fromWebPage++ === 0 ? 'warn' : 'debug';
      this.log[level]({ origin: req.headers.origin, from: req.socket.remoteAddress }, 'I2PControl: refused a request from a web page (Origin header)');
      plain(403, 'I2PControl: requests from web pages are refused\n', { Connection: 'close' });
      req.resume();
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.maxBody) {
      this.counters.tooLarge++;
      plain(413, `I2PControl: the request body is larger than ${this.maxBody} bytes\n`, { Connection: 'close' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.maxBody) {
        refused = true;
        this.counters.tooLarge++;
        chunks.length = 0;
        plain(413, `I2PControl: the request body is larger than ${this.maxBody} bytes\n`, { Connection: 'close' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      this.answer(req, res, Buffer.concat(chunks, size));
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const reply = this.handler.handleBody(body, { now: this.now(), remoteAddress: req.socket.remoteAddress ?? '' });
    this.counters.answered++;
    if (reply.effects.length > 0) {
      // After the answer has left (or the client has gone): a shutdown must not cut its own answer.
      res.once('close', () => setImmediate(() => applyEffects(this.opts.view, reply.effects, this.log)));
    }
    if (reply.body === undefined) {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
  }
}
