/**
 * Reseed policy: when the RouterInfo store holds fewer than `threshold` routers (i2pd's
 * `--reseed.threshold`, default 25), fetch reseed data and add it to the store.
 *
 * Sources, as in i2pd: `--reseed.file` (an .su3 path or an https URL of one) or else
 * `--reseed.zipfile` when given, and then ONLY those (a private network must never fall back
 * to the public reseed servers); otherwise the `--reseed.urls` servers, tried in random order
 * until one yields at least `minRouters` new routers.
 *
 * When every source fails, the next attempt waits with exponential backoff and jitter (30 s
 * doubling to 30 min): a Raspberry Pi often boots before its uplink is up, and hammering
 * reseed servers helps nobody. The timing is the sans-IO `ReseedBackoff`; `Reseeder.start()`
 * is the thin timer shell around it.
 */
import type { RouterInfo } from '../../data/router-info.js';
import type { Logger } from '../../util/log.js';
import { ProtocolError } from '../../util/errors.js';
import { ReseedFailure } from './reseed-failure.js';
import { DEFAULT_RESEED_MAX_BYTES, DEFAULT_RESEED_TIMEOUT_MS, reseedFromFile, reseedFromUrl, type ReseedData } from './reseed-source.js';
import type { TrustStore } from './trust-store.js';

/** Where reseeded RouterInfos go: the netDb store (anything with a size and a checked add). */
export interface ReseedTarget {
  readonly size: number;
  /** Returns true when stored; `verified` says the signature was already checked. */
  add(ri: RouterInfo, now: number, verified: boolean): true | string;
}

export interface ReseedBackoffOptions {
  /** Delay after the first failure; default 30 s. */
  initialMs?: number;
  /** Upper bound of the delay; default 30 min. */
  maxMs?: number;
  /** After a successful reseed, no automatic one before this long; default 1 h. */
  afterSuccessMs?: number;
  /** Uniform in [0, 1); injected for tests. */
  random?: () => number;
}

/**
 * When may the next reseed start? Pure: time in, decisions out. Delay after n consecutive
 * failures is d = min(max, initial * 2^(n-1)), jittered uniformly into [d/2, d) so a fleet of
 * routers that lost their uplink together does not come back in lockstep.
 */
export class ReseedBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly afterSuccessMs: number;
  private readonly random: () => number;
  private failures = 0;
  private notBefore = 0;

  constructor(opts: ReseedBackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 30_000;
    this.maxMs = opts.maxMs ?? 30 * 60_000;
    this.afterSuccessMs = opts.afterSuccessMs ?? 60 * 60_000;
    this.random = opts.random ?? Math.random;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The un-jittered delay after `failures` consecutive failures (0 for none). */
  baseDelay(failures: number): number {
    if (failures <= 0) return 0;
    // Cap the exponent before computing so huge counts cannot overflow to Infinity.
    const exp = Math.min(failures - 1, 40);
    return Math.min(this.maxMs, this.initialMs * 2 ** exp);
  }

  /** The earliest time (ms) an automatic attempt may start; <= now means "now". */
  nextAttemptAt(now: number): number {
    return Math.max(now, this.notBefore);
  }

  /** True when an automatic attempt may start at `now`. */
  mayAttempt(now: number): boolean {
    return now >= this.notBefore;
  }

  recordFailure(now: number): number {
    this.failures++;
    const d = this.baseDelay(this.failures);
    this.notBefore = now + d / 2 + this.random() * (d / 2);
    return this.notBefore;
  }

  recordSuccess(now: number): number {
    this.failures = 0;
    this.notBefore = now + this.afterSuccessMs;
    return this.notBefore;
  }
}

export interface ReseederOptions {
  /** Reseed server URLs (`--reseed.urls`). */
  urls: readonly string[];
  /** `--reseed.file`: an .su3 path or an https URL of an .su3. */
  file?: string;
  /** `--reseed.zipfile`: a zip of routerInfo-*.dat. */
  zipfile?: string;
  /** `--reseed.threshold`: reseed when the store has fewer routers. */
  threshold: number;
  /** `--reseed.proxy`. */
  proxy?: string;
  trustStore: TrustStore;
  log: Logger;
  now?: () => number;
  random?: () => number;
  netId?: number;
  /** A server must yield at least this many new routers to count as a success; default 10. Local files: 1. */
  minRouters?: number;
  timeoutMs?: number;
  maxBytes?: number;
  /** Extra TLS anchors (tests; self-signed reseed hosts). */
  ca?: readonly (string | Buffer)[];
  backoff?: Omit<ReseedBackoffOptions, 'random'>;
  /** How often the shell re-checks the store when it is healthy; default 5 min. */
  checkIntervalMs?: number;
}

export interface ReseedOutcome {
  added: number;
  source: string;
}

/** `local`: configured by the owner (`--reseed.file`/`--reseed.zipfile`), so one router suffices. */
type SourceSpec = { kind: 'su3-file' | 'zip-file'; path: string } | { kind: 'url'; url: string; local: boolean };

function describe(s: SourceSpec): string {
  return s.kind === 'url' ? s.url : s.path;
}

export class Reseeder {
  readonly backoff: ReseedBackoff;
  readonly counters = { attempts: 0, successes: 0, failures: {} as Record<string, number>, added: 0 };
  private readonly now: () => number;
  private readonly random: () => number;
  private inFlight: Promise<ReseedOutcome | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(private readonly opts: ReseederOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.backoff = new ReseedBackoff({ ...opts.backoff, random: this.random });
  }

  /** The sources of one attempt, in the order they will be tried. */
  sources(): SourceSpec[] {
    const local: SourceSpec[] = [];
    if (this.opts.file) local.push(/^https:\/\//i.test(this.opts.file) ? { kind: 'url', url: this.opts.file, local: true } : { kind: 'su3-file', path: this.opts.file });
    if (this.opts.zipfile) local.push({ kind: 'zip-file', path: this.opts.zipfile });
    if (local.length > 0) return local;
    const urls: SourceSpec[] = this.opts.urls.map((url) => ({ kind: 'url', url, local: false }));
    // Fisher–Yates with the injected random source.
    for (let i = urls.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [urls[i], urls[j]] = [urls[j]!, urls[i]!];
    }
    return urls;
  }

  /** True while a reseed attempt is running (I2PControl `i2p.router.netdb.isreseeding`). */
  get inProgress(): boolean {
    return this.inFlight !== undefined;
  }

  /** Reseeds if the store is below the threshold and the backoff allows it. */
  reseedIfNeeded(store: ReseedTarget): Promise<ReseedOutcome | undefined> {
    if (this.inFlight) return this.inFlight;
    if (store.size >= this.opts.threshold) return Promise.resolve(undefined);
    if (!this.backoff.mayAttempt(this.now())) return Promise.resolve(undefined);
    return this.reseedNow(store);
  }

  /** Reseeds now, whatever the store size and backoff (I2PControl "Reseed", a UI button). */
  reseedNow(store: ReseedTarget): Promise<ReseedOutcome | undefined> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.attempt(store).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(s: SourceSpec, signal: AbortSignal): Promise<ReseedData> {
    const { trustStore, log } = this.opts;
    if (s.kind !== 'url') return reseedFromFile(s.path, trustStore, { kind: s.kind === 'su3-file' ? 'su3' : 'zip', now: this.now() });
    return reseedFromUrl(s.url, {
      trustStore,
      proxy: this.opts.proxy,
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_RESEED_TIMEOUT_MS,
      maxBytes: this.opts.maxBytes ?? DEFAULT_RESEED_MAX_BYTES,
      ca: this.opts.ca,
      netId: this.opts.netId ?? 2,
      now: this.now(),
      log,
      signal,
    });
  }

  private async attempt(store: ReseedTarget): Promise<ReseedOutcome | undefined> {
    const { log } = this.opts;
    const sources = this.sources();
    this.counters.attempts++;
    if (sources.length === 0) log.warn('reseed: no reseed sources configured');
    this.abort = new AbortController();
    try {
      for (const s of sources) {
        if (this.stopped) return undefined;
        const source = describe(s);
        try {
          const data = await this.fetch(s, this.abort.signal);
          let added = 0;
          // readReseedZip verified every RouterInfo's signature already.
          for (const ri of data.routerInfos) if (store.add(ri, this.now(), true) === true) added++;
          const min = s.kind === 'url' && !s.local ? (this.opts.minRouters ?? 10) : 1;
          log.info({ source, signer: data.signer, version: data.version, routers: data.routerInfos.length, added, rejected: data.rejected, storeSize: store.size }, 'reseed: source processed');
          if (added >= min) {
            this.counters.successes++;
            this.counters.added += added;
            this.backoff.recordSuccess(this.now());
            return { added, source };
          }
          this.countFailure('too-few-routers');
          log.warn({ source, added, min }, 'reseed: source yielded too few new routers');
        } catch (e) {
          if (this.stopped) return undefined; // cancelled by stop(): not the source's fault
          const reason = e instanceof ReseedFailure ? e.reason : e instanceof ProtocolError ? `malformed:${e.code}` : 'error';
          this.countFailure(reason);
          // One clear line per refused source; nothing from it entered the store.
          log.warn({ source, reason, err: (e as Error).message }, 'reseed: source refused');
        }
      }
    } finally {
      this.abort = undefined;
    }
    if (this.stopped) return undefined;
    const next = this.backoff.recordFailure(this.now());
    log.warn({ failures: this.backoff.consecutiveFailures, retryInMs: Math.round(next - this.now()) }, 'reseed: all sources failed');
    return undefined;
  }

  private countFailure(reason: string): void {
    this.counters.failures[reason] = (this.counters.failures[reason] ?? 0) + 1;
  }

  /** Starts automatic reseeding: now if needed, then whenever the store is low and backoff allows. */
  start(store: ReseedTarget): void {
    this.stopped = false;
    const tick = (): void => {
      this.timer = undefined;
      if (this.stopped) return;
      void this.reseedIfNeeded(store).finally(() => {
        if (!this.stopped) this.schedule(store, tick);
      });
    };
    this.schedule(store, tick, 0);
  }

  private schedule(store: ReseedTarget, tick: () => void, delay?: number): void {
    const check = this.opts.checkIntervalMs ?? 5 * 60_000;
    const now = this.now();
    const low = store.size < this.opts.threshold;
    const d = delay ?? (low ? Math.min(check, Math.max(1000, this.backoff.nextAttemptAt(now) - now)) : check);
    this.timer = setTimeout(tick, d);
    this.timer.unref();
  }

  /** Stops the timer and cancels a download in progress. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort(new ReseedFailure('aborted', 'router stopping'));
  }
}
