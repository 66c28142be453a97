/**
 * Hidden services (issue 6: "publish a LAN service (host:port) as an I2P site in one form, show its
 * .b32.i2p address"): the list of published sites, kept in the datadir, and one SAM server session per
 * site (src/client/sam/sam-server-session.ts) while the gateway runs.
 *
 * Why here (src/gateway) and not in src/client/sam: a site is a LAN service made reachable from I2P,
 * the gateway's business like the transparent proxy the other way round; it uses the gateway's SAM
 * bridge (gateway.sam.*) and lives as long as the gateway does. src/client/sam stays the protocol.
 * When our own router carries streams, only the session behind each site changes.
 *
 * Persistence: `hidden-services.json` in the datadir, mode 0600 (it holds private keys), written
 * atomically and only when the list changes (create, remove): the keys are never rewritten, so a
 * site's .b32.i2p address survives restarts. The file is checked when read like any input; a site
 * whose entry does not parse is left out with a warning, never "repaired" on disk.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parsePrivateKeys } from '../client/sam/private-keys.js';
import { generateDestination, SamServerSession, type SamBridgeAddress, type ServerSessionStatus } from '../client/sam/sam-server-session.js';
import type { SamTimeouts } from '../client/sam/sam-backend.js';
import type { BackoffOptions } from '../client/sam/session-policy.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/log.js';
import { I2PBackendError } from './i2p-backend.js';

export const HIDDEN_SERVICES_FILE = 'hidden-services.json';
const FILE_VERSION = 1;
/** A handful of sites on a Pi; the bound keeps a hostile file or client from growing the list. */
export const MAX_HIDDEN_SERVICES = 32;

export const SERVICE_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** True for what may be given as a LAN host: an IP address or a DNS host name. */
export function isLanHost(host: string): boolean {
  return isIP(host) !== 0 || HOST_NAME.test(host);
}

interface StoredService {
  id: string;
  name: string;
  host: string;
  port: number;
  privateKeys: string;
  createdAt: number;
}

/** A site as the admin API shows it (never its private keys). */
export interface HiddenServiceView {
  id: string;
  name: string;
  host: string;
  /**
   * The LAN service's port. There is no separate port inside I2P: the SAM 3.1 bridge (i2pd 2.45.1)
   * has no ports, so every stream to the site's destination reaches this service whatever port the
   * visitor asked for (files of earlier versions may hold an i2pPort: it is ignored).
   */
  port: number;
  b32: string;
  createdAt: number;
  state: ServerSessionStatus['state'];
  reason?: string;
}

export class HiddenServiceError extends Error {
  constructor(
    readonly kind: 'exists' | 'not-found' | 'limit' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

export interface HiddenServicesOptions {
  datadir: string;
  bridge: SamBridgeAddress;
  log: Logger;
  /** I2CP options for every site's session (tunnel lengths...). */
  sessionOptions?: Readonly<Record<string, string>>;
  timeouts?: Partial<SamTimeouts>;
  backoff?: BackoffOptions;
}

function checkStored(v: unknown): StoredService {
  const s = v as Partial<StoredService> | null;
  if (typeof s !== 'object' || s === null) throw new Error('not an object');
  if (typeof s.id !== 'string' || !SERVICE_ID.test(s.id)) throw new Error('bad id');
  if (typeof s.name !== 'string' || !SERVICE_ID.test(s.name)) throw new Error('bad name');
  if (typeof s.host !== 'string' || !isLanHost(s.host)) throw new Error('bad host');
  if (!Number.isInteger(s.port) || (s.port as number) < 1 || (s.port as number) > 65535) throw new Error('bad port');
  if (typeof s.privateKeys !== 'string') throw new Error('no private keys');
  parsePrivateKeys(s.privateKeys);
  if (!Number.isFinite(s.createdAt)) throw new Error('bad createdAt');
  return { id: s.id, name: s.name, host: s.host, port: s.port!, privateKeys: s.privateKeys, createdAt: s.createdAt! };
}

export class HiddenServices {
  private readonly services = new Map<string, { stored: StoredService; b32: string; session: SamServerSession | undefined }>();
  private running = false;
  /** Serialises changes to the list (and its file). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly file: string;

  constructor(private readonly opts: HiddenServicesOptions) {
    this.file = join(opts.datadir, HIDDEN_SERVICES_FILE);
  }

  get bridge(): SamBridgeAddress {
    return this.opts.bridge;
  }

  /** Reads the file (missing: no sites) and starts publishing every site. */
  async start(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) {
      let doc: { version?: unknown; services?: unknown };
      try {
        doc = JSON.parse(text) as typeof doc;
      } catch (e) {
        throw new Error(`${this.file}: not JSON (${(e as Error).message})`);
      }
      if (doc.version !== FILE_VERSION || !Array.isArray(doc.services)) throw new Error(`${this.file}: not a hidden services file of version ${FILE_VERSION}`);
      for (const raw of doc.services.slice(0, MAX_HIDDEN_SERVICES)) {
        try {
          const stored = checkStored(raw);
          this.services.set(stored.id, { stored, b32: parsePrivateKeys(stored.privateKeys).b32, session: undefined });
        } catch (e) {
          this.opts.log.warn({ file: this.file, err: (e as Error).message }, 'hidden services: an entry was left out');
        }
      }
    }
    this.running = true;
    for (const s of this.services.values()) s.session = this.startSession(s.stored);
    this.opts.log.info({ sites: this.services.size, sam: `${this.opts.bridge.host}:${this.opts.bridge.port}` }, 'hidden services started');
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.services.values()].map(async (s) => {
      const session = s.session;
      s.session = undefined;
      await session?.close();
    }));
  }

  list(): HiddenServiceView[] {
    return [...this.services.values()].map((s) => this.view(s.stored, s.b32, s.session));
  }

  /** The session behind a site (tests, diagnostics). */
  session(id: string): SamServerSession | undefined {
    return this.services.get(id)?.session;
  }

  /**
   * A new site: a destination from the bridge (DEST GENERATE), saved, then published in the
   * background. Throws I2PBackendError when the bridge cannot make one, HiddenServiceError for a
   * name in use or too many sites.
   */
  create(input: { name: string; host: string; port: number }, signal?: AbortSignal): Promise<HiddenServiceView> {
    return this.serially(async () => {
      if (!this.running) throw new I2PBackendError('backend-down', 'hidden services are stopped');
      if (!SERVICE_ID.test(input.name)) throw new HiddenServiceError('invalid', `bad name ${JSON.stringify(input.name)}`);
      if (!isLanHost(input.host)) throw new HiddenServiceError('invalid', `"${input.host}" is neither an IP address nor a host name`);
      const id = input.name.toLowerCase();
      if (this.services.has(id)) throw new HiddenServiceError('exists', `a site named ${id} exists already`);
      if (this.services.size >= MAX_HIDDEN_SERVICES) throw new HiddenServiceError('limit', `at most ${MAX_HIDDEN_SERVICES} sites`);
      const generated = await generateDestination(this.opts.bridge, { ...(this.opts.timeouts ? { timeouts: this.opts.timeouts } : {}), ...(signal ? { signal } : {}), log: this.opts.log });
      const keys = parsePrivateKeys(generated.privateKeys);
      const stored: StoredService = { id, name: input.name, host: input.host, port: input.port, privateKeys: generated.privateKeys, createdAt: Date.now() };
      const entry = { stored, b32: keys.b32, session: undefined as SamServerSession | undefined };
      this.services.set(id, entry);
      try {
        await this.save();
      } catch (e) {
        this.services.delete(id);
        throw e;
      }
      if (this.running) entry.session = this.startSession(stored);
      this.opts.log.info({ id, b32: keys.b32, target: `${stored.host}:${stored.port}` }, 'hidden service created');
      return this.view(stored, keys.b32, entry.session);
    });
  }

  /** Stops publishing a site and forgets it (its keys with it). */
  remove(id: string): Promise<void> {
    return this.serially(async () => {
      const entry = this.services.get(id);
      if (!entry) throw new HiddenServiceError('not-found', `no site ${id}`);
      this.services.delete(id);
      try {
        await this.save();
      } catch (e) {
        this.services.set(id, entry);
        throw e;
      }
      await entry.session?.close();
      this.opts.log.info({ id, b32: entry.b32 }, 'hidden service removed');
    });
  }

  private startSession(stored: StoredService): SamServerSession {
    const session = new SamServerSession({
      bridge: this.opts.bridge,
      privateKeys: stored.privateKeys,
      target: { host: stored.host, port: stored.port },
      ...(this.opts.sessionOptions ? { sessionOptions: this.opts.sessionOptions } : {}),
      ...(this.opts.timeouts ? { timeouts: this.opts.timeouts } : {}),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      log: this.opts.log.child({ site: stored.id }),
    });
    session.start();
    return session;
  }

  private view(s: StoredService, b32: string, session: SamServerSession | undefined): HiddenServiceView {
    const status: Pick<ServerSessionStatus, 'state' | 'reason'> = session?.status ?? { state: 'stopped' };
    return { id: s.id, name: s.name, host: s.host, port: s.port, b32, createdAt: s.createdAt, state: status.state, ...(status.reason !== undefined ? { reason: status.reason } : {}) };
  }

  private async save(): Promise<void> {
    const doc = { version: FILE_VERSION, services: [...this.services.values()].map((s) => s.stored) };
    await writeFileAtomic(this.file, JSON.stringify(doc, null, 1) + '\n', 0o600);
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
