/**
 * What a backup holds and how a restore is made safe (issue 6, item 4). The archive (./archive.ts)
 * carries the router's identity keys, its state (NTCP2 port), the config file and the address book.
 * Not included: the netDb (relearned from the network), the owner's admin password (restoring onto a
 * box means logging in to it first), I2PControl's self-signed certificate (made again).
 *
 * Restore checks everything before writing anything: the archive's authentication, then each file
 * with the parser that will read it (keys cross-checked, config validated option by option, address
 * book entry by entry). Only then are the files written, each atomically; if a write fails, the files
 * already written are put back as they were. A bad archive changes nothing — the keys are never lost.
 * The running router keeps its keys in memory: a restore takes effect at the next start.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { applyConfigFile } from '../../config/load.js';
import { defaultConfig } from '../../config/options.js';
import { parseRouterKeys, ROUTER_KEYS_FILE } from '../../router/router-keys.js';
import { parseRouterState, ROUTER_STATE_FILE } from '../../router/router-state.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { Logger } from '../../util/log.js';
import { ADDRESS_BOOK_FILE, parseAddressBookFile } from '../addressbook/address-book.js';
import type { ScryptParams } from '../auth/password.js';
import { BackupError, encodeBackup, openBackup, type BackupFile, type BackupManifest } from './archive.js';

/** Name in the archive of the config file (wherever it lives on the box). */
export const CONFIG_ENTRY = 'garlicgate.conf';

interface Kind {
  description: string;
  required: boolean;
  mode: number;
  /** Throws with the reason when the content would not be accepted by its reader. */
  check(data: Buffer): void;
}

const KINDS: Record<string, Kind> = {
  [ROUTER_KEYS_FILE]: {
    description: "the router's identity: private keys, NTCP2 static key and IV",
    required: true,
    mode: 0o600,
    check: (d) => void parseRouterKeys(d.toString('utf8'), ROUTER_KEYS_FILE),
  },
  [ROUTER_STATE_FILE]: { description: 'router state (the NTCP2 port)', required: false, mode: 0o644, check: (d) => void parseRouterState(d.toString('utf8'), ROUTER_STATE_FILE) },
  [CONFIG_ENTRY]: { description: 'the config file', required: false, mode: 0o600, check: (d) => applyConfigFile(defaultConfig('/'), d.toString('utf8'), CONFIG_ENTRY) },
  [ADDRESS_BOOK_FILE]: { description: 'the address book and its subscriptions', required: false, mode: 0o600, check: (d) => void parseAddressBookFile(d.toString('utf8')) },
};

export interface BackupListing {
  createdAt: string;
  software: string;
  files: { name: string; size: number; sha256: string; description: string }[];
}

export interface BackupServiceOptions {
  datadir: string;
  /** Where the config file lives (it may be outside the data directory: --conf). */
  configFile: string;
  software: string;
  log: Logger;
  /** Called after a restore wrote the address book (the in-memory book reads it again). */
  afterRestore?: (restored: string[]) => Promise<void>;
  scrypt?: ScryptParams;
}

export class BackupService {
  constructor(private readonly opts: BackupServiceOptions) {}

  private pathOf(name: string): string {
    return name === CONFIG_ENTRY ? this.opts.configFile : join(this.opts.datadir, name);
  }

  /** The archive of the files that exist now (the keys must: a router that never started has nothing to back up). */
  async create(passphrase: string, now = new Date()): Promise<Buffer> {
    const files: BackupFile[] = [];
    for (const [name, kind] of Object.entries(KINDS)) {
      const data = await readIfExists(this.pathOf(name));
      if (data === undefined) {
        if (kind.required) throw new BackupError('invalid-content', `${name} does not exist yet: start the router once before making a backup`);
        continue;
      }
      files.push({ name, data, mode: kind.mode });
    }
    return encodeBackup(files, { createdAt: now, software: this.opts.software }, passphrase, this.opts.scrypt);
  }

  /** Opens and checks an archive; what it holds, for the owner to see before restoring. */
  async inspect(archive: Buffer, passphrase: string): Promise<BackupListing> {
    const { manifest } = await this.openAndCheck(archive, passphrase);
    return listing(manifest);
  }

  /** Restores every file of a fully checked archive; on a failed write, what was written is undone. */
  async restore(archive: Buffer, passphrase: string): Promise<{ listing: BackupListing; restored: string[] }> {
    const { manifest, files } = await this.openAndCheck(archive, passphrase);
    const before: { path: string; data: Buffer | undefined; mode: number }[] = [];
    try {
      for (const f of files) {
        const path = this.pathOf(f.name);
        before.push({ path, data: await readIfExists(path), mode: KINDS[f.name]!.mode });
        await writeFileAtomic(path, f.data, KINDS[f.name]!.mode);
      }
    } catch (e) {
      for (const b of before.reverse()) {
        try {
          if (b.data === undefined) await unlink(b.path).catch(() => undefined);
          else await writeFileAtomic(b.path, b.data, b.mode);
        } catch (u) {
          this.opts.log.error({ path: b.path, err: (u as Error).message }, 'restore: could not put a file back');
        }
      }
      throw new Error(`restore failed while writing, the previous files were put back: ${(e as Error).message}`);
    }
    const restored = files.map((f) => f.name);
    this.opts.log.warn({ restored, createdAt: manifest.createdAt }, 'backup restored; it takes effect at the next start');
    await this.opts.afterRestore?.(restored);
    return { listing: listing(manifest), restored };
  }

  private async openAndCheck(archive: Buffer, passphrase: string): Promise<{ manifest: BackupManifest; files: BackupFile[] }> {
    const opened = await openBackup(archive, passphrase);
    for (const f of opened.files) {
      const kind = KINDS[f.name];
      if (!kind) throw new BackupError('invalid-content', `unexpected file ${f.name} in the archive`);
      try {
        kind.check(f.data);
      } catch (e) {
        throw new BackupError('invalid-content', `${f.name} would not be accepted: ${(e as Error).message}`);
      }
    }
    for (const [name, kind] of Object.entries(KINDS)) {
      if (kind.required && !opened.files.some((f) => f.name === name)) throw new BackupError('invalid-content', `the archive has no ${name}`);
    }
    return opened;
  }
}

function listing(m: BackupManifest): BackupListing {
  return {
    createdAt: m.createdAt,
    software: m.software,
    files: m.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, description: KINDS[f.name]?.description ?? '' })),
  };
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
