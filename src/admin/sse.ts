/**
 * Server-Sent Events for the dashboard and the log tail (issue 6, item 3: "data arrives by a push
 * channel"). SSE rather than WebSocket: one direction is all the page needs, it is plain HTTP (the
 * same cookies, Host check and security headers), and EventSource reconnects by itself, resuming the
 * log with Last-Event-ID.
 *
 * The hub bounds the number of open streams, sends a heartbeat comment so idle streams are not cut by
 * browsers or proxies, and ends a stream as soon as its session is gone (logout, expiry). A slow
 * reader is never buffered without bound: while its socket has more than `maxBufferedBytes` queued,
 * events for it are dropped (the next snapshot supersedes them; the log stream says how many).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStreamHubOptions {
  maxStreams?: number;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  /** Whether the session behind a stream is still logged in. */
  sessionValid: (sessionId: string) => boolean;
}

export class EventStream {
  closed = false;
  dropped = 0;
  private readonly closers: (() => void)[] = [];

  constructor(
    private readonly reply: FastifyReply,
    readonly sessionId: string,
    private readonly hub: EventStreamHub,
  ) {}

  /** Sends one event; false when the stream is closed (the caller forgets it). */
  send(event: string, data: string, id?: number): boolean {
    if (this.closed) return false;
    if (!this.hub.sessionValid(this.sessionId)) {
      this.close();
      return false;
    }
    const raw = this.reply.raw;
    if (raw.writableLength > this.hub.maxBufferedBytes) {
      this.dropped++;
      return true;
    }
    raw.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
    return true;
  }

  comment(text: string): void {
    if (!this.closed) this.reply.raw.write(`: ${text}\n\n`);
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.forget(this);
    for (const fn of this.closers.splice(0)) fn();
    this.reply.raw.end();
  }
}

export class EventStreamHub {
  private readonly streams = new Set<EventStream>();
  private timer: NodeJS.Timeout | undefined;
  readonly maxStreams: number;
  readonly maxBufferedBytes: number;

  constructor(private readonly opts: EventStreamHubOptions) {
    this.maxStreams = opts.maxStreams ?? 16;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 256 * 1024;
  }

  get size(): number {
    return this.streams.size;
  }

  sessionValid(id: string): boolean {
    return this.opts.sessionValid(id);
  }

  /** Whether another stream may be opened now. */
  hasRoom(): boolean {
    return this.streams.size < this.maxStreams;
  }

  /**
   * Takes the response over (Fastify no longer answers it) and starts the event stream, with the
   * headers Fastify had prepared (the security headers) plus the SSE ones.
   */
  open(request: FastifyRequest, reply: FastifyReply, sessionId: string): EventStream {
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
    reply.hijack();
    reply.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Tell EventSource how long to wait before reconnecting.
    reply.raw.write('retry: 3000\n\n');
    const stream = new EventStream(reply, sessionId, this);
    this.streams.add(stream);
    request.raw.socket.setTimeout(0);
    reply.raw.on('close', () => stream.close());
    this.ensureHeartbeat();
    return stream;
  }

  forget(s: EventStream): void {
    this.streams.delete(s);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Ends the streams of a session (logout). */
  closeSession(sessionId: string): void {
    for (const s of [...this.streams]) if (s.sessionId === sessionId) s.close();
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const s of [...this.streams]) s.close();
  }

  private ensureHeartbeat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const s of [...this.streams]) {
        if (!this.opts.sessionValid(s.sessionId)) s.close();
        else s.comment('keep-alive');
      }
    }, this.opts.heartbeatMs ?? 15_000);
    this.timer.unref();
  }
}
