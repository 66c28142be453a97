/** A tiny client for the admin server over real HTTP on loopback (cookies, CSRF, SSE reading). */
import { request } from 'node:http';
import { SESSION_COOKIE } from '../../../src/admin/server.js';

export class HttpClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(readonly port: number) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = `${SESSION_COOKIE}=${this.cookie}`;
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
      if (m) this.cookie = m[1] === '' ? undefined : m[1];
    }
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  }

  async logIn(password = 'correct horse battery'): Promise<void> {
    this.csrf = (await this.call('GET', '/api/v1/auth/csrf')).body.csrfToken;
    const first = (await this.call('GET', '/api/v1/status')).body.firstRun;
    const r = await this.call('POST', first ? '/api/v1/auth/first-run' : '/api/v1/auth/login', { password });
    if (r.status >= 300) throw new Error(`login: ${r.status}`);
    this.csrf = r.body.csrfToken;
  }

  /** Opens an event stream; events arrive in `events`; `ended` resolves when the server closes it. */
  openStream(path: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, headers: { ...headers, ...(this.cookie ? { cookie: `${SESSION_COOKIE}=${this.cookie}` } : {}), accept: 'text/event-stream' } }, (res) => {
        resolve(new EventStreamReader(res.statusCode ?? 0, res.headers['content-type'] ?? '', res, () => req.destroy()));
      });
      req.on('error', reject);
      req.end();
    });
  }
}

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class EventStreamReader {
  readonly events: SseEvent[] = [];
  readonly ended: Promise<void>;
  private buf = '';
  private waiters: (() => void)[] = [];

  constructor(
    readonly status: number,
    readonly contentType: string,
    res: NodeJS.ReadableStream,
    readonly close: () => void,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buf += chunk;
      let i;
      while ((i = this.buf.indexOf('\n\n')) >= 0) {
        const block = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const ev: SseEvent = { event: 'message', data: '' };
        let isEvent = false;
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) ((ev.event = line.slice(7)), (isEvent = true));
          else if (line.startsWith('data: ')) ((ev.data = line.slice(6)), (isEvent = true));
          else if (line.startsWith('id: ')) ev.id = line.slice(4);
        }
        if (isEvent) this.events.push(ev);
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.ended = new Promise((r) => {
      res.on('end', () => r());
      res.on('close', () => r());
    });
  }

  /** Waits until `n` events arrived (or fails after `ms`). */
  async waitFor(n: number, ms = 5000): Promise<SseEvent[]> {
    const deadline = Date.now() + ms;
    while (this.events.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.events.length} of ${n} events arrived`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.events;
  }
}
