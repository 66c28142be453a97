/**
 * Address book subscriptions (issue 6, item 4): each subscription URL (`http://reg.i2p/hosts.txt`)
 * is fetched over I2P through the gateway's stream backend (i2pd's SAM bridge today) and its
 * hosts.txt imported into the address book. As Java I2P's address book: names already in the book
 * are never replaced by a subscription (the owner's entries win), fetches are conditional
 * (If-None-Match / If-Modified-Since from the previous answer), and every subscription is fetched
 * again every 12 hours; the owner can ask for a fetch at any time.
 */
import type { Duplex } from 'node:stream';
import { I2P_HTTP_USER_AGENT, I2PBackendError, type I2PStreamBackend } from '../../gateway/i2p-backend.js';
import type { Logger } from '../../util/log.js';
import type { AddressBook, Subscription } from './address-book.js';
import { HttpResponseError, HttpResponseReader, type HttpResponse } from './http-response.js';

/** Far more than the largest public hosts.txt (a few MB). */
export const MAX_SUBSCRIPTION_BYTES = 16 * 1024 * 1024;
export const SUBSCRIPTION_TIMEOUT_MS = 3 * 60_000;
export const UPDATE_INTERVAL_MS = 12 * 3600_000;
/** The first fetch after start: once the backend's tunnels are likely up. */
export const FIRST_UPDATE_MS = 5 * 60_000;

export interface SubscriptionStatus {
  id: string;
  url: string;
  lastFetchAt: number;
  result: 'imported' | 'not-modified' | 'failed';
  detail: string;
  added?: number;
}

interface Validators {
  etag?: string;
  lastModified?: string;
}

/** GET url over a stream from `backend`; the response (any status). Throws I2PBackendError or HttpResponseError. */
export async function fetchOverI2P(backend: I2PStreamBackend, url: string, validators: Validators, signal: AbortSignal): Promise<HttpResponse> {
  const u = new URL(url);
  const host = u.hostname.toLowerCase();
  const port = u.port === '' ? 80 : Number(u.port);
  const stream = await backend.connect(host, port, signal);
  const reader = new HttpResponseReader(MAX_SUBSCRIPTION_BYTES);
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => HttpResponse): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
      try {
        resolve(f());
      } catch (e) {
        reject(e);
      }
    };
    const onAbort = (): void => finish(() => {
      throw new I2PBackendError('timeout', `no complete answer from ${host} in time`);
    });
    signal.addEventListener('abort', onAbort);
    (stream as Duplex).on('data', (d: Buffer) => {
      try {
        if (reader.push(d)) finish(() => reader.end());
      } catch (e) {
        finish(() => {
          throw e;
        });
      }
    });
    stream.on('end', () => finish(() => reader.end()));
    stream.on('error', (e: Error) => finish(() => {
      throw new I2PBackendError('unreachable', e.message);
    }));
    // HTTP/1.0: no chunked coding comes back.
    const lines = [`GET ${u.pathname}${u.search} HTTP/1.0`, `Host: ${host}`, `User-Agent: ${I2P_HTTP_USER_AGENT}`, 'Accept-Encoding: identity', 'Connection: close'];
    if (validators.etag) lines.push(`If-None-Match: ${validators.etag}`);
    if (validators.lastModified) lines.push(`If-Modified-Since: ${validators.lastModified}`);
    stream.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** A validator from the response, if it is safe to send back (no control characters, bounded). */
function validator(v: string | undefined): string | undefined {
  return v !== undefined && v.length <= 200 && /^[\x20-\x7e]+$/.test(v) ? v : undefined;
}

export interface SubscriptionUpdaterOptions {
  book: AddressBook;
  /** The gateway's I2P backend, when there is one. */
  backend: () => I2PStreamBackend | undefined;
  log: Logger;
  now?: () => number;
  timeoutMs?: number;
}

export class SubscriptionUpdater {
  private readonly status = new Map<string, SubscriptionStatus>();
  private readonly validators = new Map<string, Validators>();
  private running: Promise<SubscriptionStatus[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SubscriptionUpdaterOptions) {
    this.now = opts.now ?? Date.now;
  }

  get available(): boolean {
    return this.opts.backend() !== undefined;
  }

  /** The last fetch of each listed subscription (none for one never fetched). */
  statuses(): SubscriptionStatus[] {
    const listed = new Set(this.opts.book.subscriptions().map((s) => s.id));
    return [...this.status.values()].filter((s) => listed.has(s.id));
  }

  /** Fetches every subscription now, one after the other (a second call joins the running one). */
  updateAll(): Promise<SubscriptionStatus[]> {
    this.running ??= this.runAll().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Fetches FIRST_UPDATE_MS after start, then every UPDATE_INTERVAL_MS. */
  start(): void {
    const schedule = (ms: number): void => {
      this.timer = setTimeout(() => {
        void this.updateAll().finally(() => schedule(UPDATE_INTERVAL_MS));
      }, ms);
      this.timer.unref();
    };
    schedule(FIRST_UPDATE_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async runAll(): Promise<SubscriptionStatus[]> {
    const out: SubscriptionStatus[] = [];
    for (const s of this.opts.book.subscriptions()) out.push(await this.updateOne(s));
    return out;
  }

  private async updateOne(s: Subscription): Promise<SubscriptionStatus> {
    const backend = this.opts.backend();
    const done = (result: SubscriptionStatus['result'], detail: string, added?: number): SubscriptionStatus => {
      const st: SubscriptionStatus = { id: s.id, url: s.url, lastFetchAt: this.now(), result, detail, ...(added !== undefined ? { added } : {}) };
      this.status.set(s.id, st);
      this.opts.log.info({ url: s.url, result, detail }, 'address book subscription');
      return st;
    };
    if (!backend) return done('failed', 'no I2P backend: the LAN gateway is not running');
    let res: HttpResponse;
    try {
      res = await fetchOverI2P(backend, s.url, this.validators.get(s.id) ?? {}, AbortSignal.timeout(this.opts.timeoutMs ?? SUBSCRIPTION_TIMEOUT_MS));
    } catch (e) {
      if (e instanceof I2PBackendError) return done('failed', `${e.kind}: ${e.message}`);
      if (e instanceof HttpResponseError) return done('failed', `bad answer: ${e.message}`);
      throw e;
    }
    if (res.status === 304) return done('not-modified', 'not modified since the last fetch');
    if (res.status !== 200) return done('failed', `HTTP ${res.status}`);
    const r = await this.opts.book.importHostsTxt(res.body.toString('utf8'), false);
    const etag = validator(res.headers.get('etag'));
    const lastModified = validator(res.headers.get('last-modified'));
    this.validators.set(s.id, { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) });
    return done('imported', `${r.added} added, ${r.unchanged} unchanged, ${r.conflicts} left alone (the book has another destination), ${r.rejectedCount} refused`, r.added);
  }
}
