/**
 * The address book: name → destination entries and subscription URLs, kept in
 * `<datadir>/addressbook.json` (written atomically). It is data the router's naming service will use
 * once destinations and streaming exist; for now the admin UI adds, removes and imports entries
 * (hosts.txt format), and stores subscriptions — fetching them needs I2P streaming, not available yet.
 *
 * Every input is checked (./host-name.ts); the file is read back with the same checks, and a damaged
 * file is set aside (renamed) rather than overwritten.
 */
import { createHash } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { Logger } from '../../util/log.js';
import { hostNameProblem, normalizeHostName, parseDestination } from './host-name.js';

export const ADDRESS_BOOK_FILE = 'addressbook.json';
export const MAX_ENTRIES = 100_000;
export const MAX_SUBSCRIPTIONS = 64;
const MAX_URL = 512;
/** Rejected hosts.txt lines reported back in detail (the count is always complete). */
const MAX_REJECTIONS_REPORTED = 100;

export interface AddressBookEntry {
  name: string;
  /** I2P base64 Destination. */
  destination: string;
  b32: string;
  addedAt: number;
}

export interface Subscription {
  /** Stable id (first 16 hex digits of SHA-256 of the URL), used to remove it. */
  id: string;
  url: string;
  addedAt: number;
}

export interface ImportResult {
  added: number;
  replaced: number;
  unchanged: number;
  /** Names already in the book with another destination, left alone (replace = false). */
  conflicts: number;
  rejectedCount: number;
  rejected: { line: number; reason: string }[];
}

export class AddressBookError extends Error {
  constructor(
    readonly code: 'invalid' | 'exists' | 'not-found' | 'full',
    message: string,
    readonly reasons: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AddressBookError';
  }
}

interface StoredFile {
  version: 1;
  entries: { name: string; destination: string; addedAt: number }[];
  subscriptions: { url: string; addedAt: number }[];
}

export function subscriptionId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** Why a subscription URL is refused (an http URL of an .i2p host), or undefined. */
export function subscriptionUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL) return `at most ${MAX_URL} characters`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:') return 'subscriptions are fetched over I2P with http:// URLs';
  if (u.username !== '' || u.password !== '') return 'must not contain a user name or password';
  const host = u.hostname.toLowerCase();
  if (!host.endsWith('.i2p')) return 'the host must be an .i2p name';
  const problem = host.endsWith('.b32.i2p') ? (/^[a-z2-7]{52}\.b32\.i2p$/.test(host) ? undefined : 'not a valid .b32.i2p address') : hostNameProblem(host);
  return problem === undefined ? undefined : `host ${host}: ${problem}`;
}

export class AddressBook {
  private readonly entries = new Map<string, AddressBookEntry>();
  private readonly subs = new Map<string, Subscription>();
  private sorted: AddressBookEntry[] | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  private constructor(
    private readonly path: string,
    private readonly log: Logger,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  static async load(datadir: string, log: Logger, now?: () => number): Promise<AddressBook> {
    const book = new AddressBook(join(datadir, ADDRESS_BOOK_FILE), log, now);
    await book.reload();
    return book;
  }

  /** Reads the file again (after a backup restore). A damaged file is renamed aside and the book starts empty. */
  async reload(): Promise<void> {
    this.entries.clear();
    this.subs.clear();
    this.sorted = undefined;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const f = parseAddressBookFile(text);
      for (const e of f.entries) this.entries.set(e.name, e);
      for (const s of f.subscriptions) this.subs.set(s.id, s);
    } catch (e) {
      const aside = `${this.path}.damaged-${this.now()}`;
      await rename(this.path, aside);
      this.log.error({ err: (e as Error).message, movedTo: aside }, 'address book file is damaged: set aside, starting empty');
      this.entries.clear();
      this.subs.clear();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): AddressBookEntry | undefined {
    return this.entries.get(normalizeHostName(name));
  }

  /** Entries sorted by name, filtered by a substring of the name or b32 address. */
  list(filter = ''): AddressBookEntry[] {
    this.sorted ??= [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const f = filter.trim().toLowerCase();
    return f === '' ? this.sorted : this.sorted.filter((e) => e.name.includes(f) || e.b32.includes(f));
  }

  /** Adds an entry; 'exists' when the name is taken (unless replace), 'invalid' with reasons. */
  async add(nameRaw: string, destinationRaw: string, replace = false): Promise<AddressBookEntry> {
    const { entry, reasons } = checkEntry(nameRaw, destinationRaw, this.now());
    if (!entry) throw new AddressBookError('invalid', 'invalid address book entry', reasons);
    const old = this.entries.get(entry.name);
    if (old && !replace) throw new AddressBookError('exists', `${entry.name} is already in the address book`);
    if (!old && this.entries.size >= MAX_ENTRIES) throw new AddressBookError('full', `the address book holds at most ${MAX_ENTRIES} entries`);
    this.entries.set(entry.name, entry);
    this.sorted = undefined;
    await this.save();
    return entry;
  }

  async remove(nameRaw: string): Promise<void> {
    const name = normalizeHostName(nameRaw);
    if (!this.entries.delete(name)) throw new AddressBookError('not-found', `${name} is not in the address book`);
    this.sorted = undefined;
    await this.save();
  }

  /**
   * Imports hosts.txt text (`name=destination` lines; `#` comments; a `#!key=value` suffix of the
   * subscription format is ignored): valid new entries are added, names already present with another
   * destination are replaced only when `replace`, every refused line is counted with its reason.
   */
  async importHostsTxt(text: string, replace = false): Promise<ImportResult> {
    const r: ImportResult = { added: 0, replaced: 0, unchanged: 0, conflicts: 0, rejectedCount: 0, rejected: [] };
    const reject = (line: number, reason: string): void => {
      r.rejectedCount++;
      if (r.rejected.length < MAX_REJECTIONS_REPORTED) r.rejected.push({ line, reason });
    };
    const lines = text.split(/\r?\n/);
    const now = this.now();
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!;
      const content = raw.split('#!')[0]!.trim();
      if (content === '' || content.startsWith('#')) continue;
      const eq = content.indexOf('=');
      if (eq <= 0) {
        reject(i + 1, 'expected name=destination');
        continue;
      }
      const { entry, reasons } = checkEntry(content.slice(0, eq), content.slice(eq + 1), now);
      if (!entry) {
        reject(i + 1, Object.values(reasons).join('; '));
        continue;
      }
      const old = this.entries.get(entry.name);
      if (old?.destination === entry.destination) {
        r.unchanged++;
      } else if (old && !replace) {
        r.conflicts++;
      } else if (!old && this.entries.size >= MAX_ENTRIES) {
        reject(i + 1, `the address book is full (${MAX_ENTRIES} entries)`);
      } else {
        this.entries.set(entry.name, entry);
        if (old) r.replaced++;
        else r.added++;
      }
    }
    if (r.added + r.replaced > 0) {
      this.sorted = undefined;
      await this.save();
    }
    return r;
  }

  subscriptions(): Subscription[] {
    return [...this.subs.values()].sort((a, b) => a.addedAt - b.addedAt);
  }

  async addSubscription(urlRaw: string): Promise<Subscription> {
    const url = urlRaw.trim();
    const problem = subscriptionUrlProblem(url);
    if (problem) throw new AddressBookError('invalid', 'invalid subscription', { url: problem });
    const id = subscriptionId(url);
    if (this.subs.has(id)) throw new AddressBookError('exists', 'this subscription is already listed');
    if (this.subs.size >= MAX_SUBSCRIPTIONS) throw new AddressBookError('full', `at most ${MAX_SUBSCRIPTIONS} subscriptions`);
    const s: Subscription = { id, url, addedAt: this.now() };
    this.subs.set(id, s);
    await this.save();
    return s;
  }

  async removeSubscription(id: string): Promise<void> {
    if (!this.subs.delete(id)) throw new AddressBookError('not-found', `no subscription with id ${id}`);
    await this.save();
  }

  /** Writes the whole book; writes are serialized so the file always holds a complete state. */
  private save(): Promise<void> {
    const f: StoredFile = {
      version: 1,
      entries: this.list().map((e) => ({ name: e.name, destination: e.destination, addedAt: e.addedAt })),
      subscriptions: this.subscriptions().map((s) => ({ url: s.url, addedAt: s.addedAt })),
    };
    const text = JSON.stringify(f) + '\n';
    const run = this.writing.then(() => writeFileAtomic(this.path, text, 0o600));
    this.writing = run.catch(() => undefined);
    return run;
  }
}

function checkEntry(nameRaw: string, destinationRaw: string, now: number): { entry?: AddressBookEntry; reasons: Record<string, string> } {
  const reasons: Record<string, string> = {};
  const name = normalizeHostName(nameRaw);
  const np = hostNameProblem(name);
  if (np) reasons.name = np;
  let dest;
  try {
    dest = parseDestination(destinationRaw);
  } catch (e) {
    reasons.destination = (e as Error).message;
  }
  if (!dest || np) return { reasons };
  return { entry: { name, destination: dest.toBase64(), b32: dest.b32Address(), addedAt: now }, reasons };
}

/** Parses and checks an address book file (also used to check one in a backup before restoring it). */
export function parseAddressBookFile(text: string): { entries: AddressBookEntry[]; subscriptions: Subscription[] } {
  const f = JSON.parse(text) as Partial<StoredFile>;
  if (f?.version !== 1 || !Array.isArray(f.entries) || !Array.isArray(f.subscriptions)) throw new Error('not an address book file (version 1)');
  if (f.entries.length > MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries`);
  if (f.subscriptions.length > MAX_SUBSCRIPTIONS) throw new Error(`more than ${MAX_SUBSCRIPTIONS} subscriptions`);
  const entries: AddressBookEntry[] = [];
  const seen = new Set<string>();
  for (const [i, e] of f.entries.entries()) {
    if (typeof e?.name !== 'string' || typeof e.destination !== 'string' || typeof e.addedAt !== 'number') throw new Error(`entry ${i}: expected name, destination, addedAt`);
    const { entry, reasons } = checkEntry(e.name, e.destination, e.addedAt);
    if (!entry) throw new Error(`entry ${i} (${e.name}): ${Object.values(reasons).join('; ')}`);
    if (seen.has(entry.name)) throw new Error(`entry ${i}: ${entry.name} appears twice`);
    seen.add(entry.name);
    entries.push(entry);
  }
  const subscriptions: Subscription[] = [];
  for (const [i, s] of f.subscriptions.entries()) {
    if (typeof s?.url !== 'string' || typeof s.addedAt !== 'number') throw new Error(`subscription ${i}: expected url, addedAt`);
    const p = subscriptionUrlProblem(s.url);
    if (p) throw new Error(`subscription ${i}: ${p}`);
    subscriptions.push({ id: subscriptionId(s.url), url: s.url, addedAt: s.addedAt });
  }
  return { entries, subscriptions };
}
