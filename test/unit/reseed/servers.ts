// Test helper (not a test file): loopback servers for the reseed download tests: an HTTPS
// reseed server with a test CA, an HTTP CONNECT proxy and a SOCKS5 proxy, all on 127.0.0.1.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TestTls } from './helpers.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ReseedServer {
  url: string;
  port: number;
  requests: IncomingMessage[];
  setHandler(h: Handler): void;
  close(): Promise<void>;
}

function listen(server: Server | HttpsServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server | HttpsServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server | HttpsServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function startReseedServer(tls: TestTls, handler: Handler): Promise<ReseedServer> {
  let h = handler;
  const requests: IncomingMessage[] = [];
  const server = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    requests.push(req);
    h(req, res);
  });
  const sockets = track(server);
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}/`,
    port,
    requests,
    setHandler: (nh) => (h = nh),
    close: () => closeServer(server, sockets),
  };
}

export interface TestProxy {
  url: string;
  /** "host:port" targets the proxy was asked to reach. */
  targets: string[];
  /** Proxy-Authorization headers seen (CONNECT proxy). */
  auth: Array<string | undefined>;
  close(): Promise<void>;
}

/** Reads from a socket until `need(buf)` returns a length, then hands back that many bytes. */
function readUntil(sock: Socket, need: (b: Buffer) => number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const n = need(buf);
      if (n === undefined) return;
      sock.off('data', onData);
      sock.pause();
      if (n < buf.length) sock.unshift(buf.subarray(n));
      resolve(buf.subarray(0, n));
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.resume();
  });
}

function splice(a: Socket, host: string, port: number, onReady: () => void): void {
  const up = connect({ host, port }, () => {
    onReady();
    a.pipe(up).pipe(a);
    a.resume();
  });
  up.on('error', () => a.destroy());
  a.on('error', () => up.destroy());
  a.on('close', () => up.destroy());
}

/** An HTTP CONNECT proxy; `refuse` makes it answer 403. */
export async function startConnectProxy(opts: { refuse?: boolean } = {}): Promise<TestProxy> {
  const targets: string[] = [];
  const auth: Array<string | undefined> = [];
  const server = createServer((sock) => {
    sock.on('error', () => undefined);
    void readUntil(sock, (b) => {
      const i = b.indexOf('\r\n\r\n');
      return i < 0 ? undefined : i + 4;
    }).then((head) => {
      const lines = head.toString('latin1').split('\r\n');
      const m = /^CONNECT ([^ ]+):(\d+) HTTP\/1\.1$/.exec(lines[0]!);
      if (!m) return sock.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      targets.push(`${m[1]}:${m[2]}`);
      auth.push(lines.find((l) => l.toLowerCase().startsWith('proxy-authorization:'))?.slice(20).trim());
      if (opts.refuse) return sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      splice(sock, m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]), () => sock.write('HTTP/1.1 200 Connection established\r\n\r\n'));
    });
  });
  const sockets = track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, targets, auth, close: () => closeServer(server, sockets) };
}

/** A SOCKS5 proxy (no authentication, CONNECT only; RFC 1928). */
export async function startSocks5Proxy(): Promise<TestProxy> {
  const targets: string[] = [];
  const server = createServer((sock) => {
    sock.on('error', () => undefined);
    void (async () => {
      const greet = await readUntil(sock, (b) => (b.length >= 2 && b.length >= 2 + b[1]! ? 2 + b[1]! : undefined));
      if (greet[0] !== 5 || !greet.subarray(2).includes(0)) return sock.end(Buffer.of(5, 0xff));
      sock.write(Buffer.of(5, 0));
      const req = await readUntil(sock, (b) => {
        if (b.length < 5) return undefined;
        const len = b[3] === 1 ? 4 : b[3] === 4 ? 16 : 1 + b[4]!;
        return b.length >= 4 + len + 2 ? 4 + len + 2 : undefined;
      });
      let host: string;
      if (req[3] === 1) host = [...req.subarray(4, 8)].join('.');
      else if (req[3] === 3) host = req.subarray(5, 5 + req[4]!).toString('ascii');
      else return sock.end(Buffer.of(5, 8, 0, 1, 0, 0, 0, 0, 0, 0));
      const port = req.readUInt16BE(req.length - 2);
      targets.push(`${host}:${port}`);
      splice(sock, host === 'localhost' ? '127.0.0.1' : host, port, () => sock.write(Buffer.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0)));
    })();
  });
  const sockets = track(server);
  const port = await listen(server);
  return { url: `socks://127.0.0.1:${port}`, targets, auth: [], close: () => closeServer(server, sockets) };
}
