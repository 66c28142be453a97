/**
 * The netDb's on-disk layout, the same as i2pd's so a netDb folder can be copied between the
 * two: `<datadir>/netDb/r<c>/routerInfo-<base64 hash>.dat`, where <c> is the first character of
 * the I2P-base64 router hash (64 subfolders, `r-` and `r~` included) and the file holds the raw
 * RouterInfo bytes. LeaseSets are not persisted (they live ~10 minutes; neither i2pd nor Java
 * I2P keeps them across restarts).
 *
 * This module is the file-system shell only: it lists, reads, writes and deletes files. What
 * is valid is decided by the NetDbStore.
 */
import { lstat, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { i2pBase64Decode, i2pBase64Encode } from '../data/base64.js';
import { MAX_ROUTER_INFO_SIZE } from '../data/router-info.js';
import { isTempName, writeFilesAtomic } from '../util/atomic-batch.js';
import type { Logger } from '../util/log.js';

const FILE_RE = /^routerInfo-([A-Za-z0-9~-]{43}=)\.dat$/;
const SUBDIR_RE = /^r[A-Za-z0-9~-]$/;
const READ_CONCURRENCY = 16;

export function routerInfoFileName(hash: Uint8Array): string {
  return `routerInfo-${i2pBase64Encode(hash)}.dat`;
}

/** `<dir>/r<c>/routerInfo-<base64>.dat` for a 32-byte router hash. */
export function routerInfoPath(dir: string, hash: Uint8Array): string {
  const name = routerInfoFileName(hash);
  return join(dir, `r${name[11]}`, name);
}

/** The router hash a file name claims, or undefined for any other name. */
export function hashFromFileName(name: string): Buffer | undefined {
  const m = FILE_RE.exec(name);
  if (!m) return undefined;
  try {
    const h = i2pBase64Decode(m[1]!);
    return h.length === 32 ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Why a file in the netDb folder was not handed to the store. */
export type NetDbFileProblem = 'bad-name' | 'misplaced' | 'too-large' | 'empty' | 'read-error';

export type NetDbFileEntry = { path: string; hash: Buffer; data: Buffer; problem?: undefined } | { path: string; problem: NetDbFileProblem };

export interface NetDbFilesCounters {
  batches: number;
  filesWritten: number;
  filesDeleted: number;
  fileSyncs: number;
  dirSyncs: number;
  writeFailures: number;
  tempFilesRemoved: number;
}

export class NetDbFiles {
  readonly counters: NetDbFilesCounters = { batches: 0, filesWritten: 0, filesDeleted: 0, fileSyncs: 0, dirSyncs: 0, writeFailures: 0, tempFilesRemoved: 0 };
  private readonly madeDirs = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  pathFor(hash: Uint8Array): string {
    return routerInfoPath(this.dir, hash);
  }

  /**
   * Lists every RouterInfo file with its bytes, and every file that is not one with the
   * reason. Nothing is deleted except leftovers of interrupted writes (our temporary files)
   * and empty files (what an interrupted unsynced write leaves; they hold nothing to keep).
   * A missing folder is an empty netDb.
   */
  async *scan(): AsyncGenerator<NetDbFileEntry> {
    const subdirs = await readdir(this.dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const sub of subdirs) {
      if (!sub.isDirectory() || !SUBDIR_RE.test(sub.name)) continue;
      const subPath = join(this.dir, sub.name);
      this.madeDirs.add(subPath);
      let names: string[];
      try {
        names = await readdir(subPath);
      } catch (e) {
        this.log.warn({ dir: subPath, err: (e as Error).message }, 'netDb: cannot list folder');
        continue;
      }
      const reads: { path: string; hash: Buffer }[] = [];
      for (const name of names) {
        const path = join(subPath, name);
        if (isTempName(name)) {
          if (await unlink(path).then(() => true, () => false)) this.counters.tempFilesRemoved++;
          continue;
        }
        const hash = hashFromFileName(name);
        if (!hash) yield { path, problem: 'bad-name' };
        else if (name[11] !== sub.name[1]) yield { path, problem: 'misplaced' };
        else reads.push({ path, hash });
      }
      // Several reads in flight: file I/O goes through libuv's thread pool.
      for (let i = 0; i < reads.length; i += READ_CONCURRENCY) {
        yield* await Promise.all(reads.slice(i, i + READ_CONCURRENCY).map((f) => this.readEntry(f.path, f.hash)));
      }
    }
  }

  private async readEntry(path: string, hash: Buffer): Promise<NetDbFileEntry> {
    try {
      const st = await lstat(path);
      if (!st.isFile()) return { path, problem: 'bad-name' };
      if (st.size > MAX_ROUTER_INFO_SIZE) return { path, problem: 'too-large' };
      if (st.size === 0) {
        await unlink(path).catch(() => undefined);
        return { path, problem: 'empty' };
      }
      return { path, hash, data: await readFile(path) };
    } catch {
      return { path, problem: 'read-error' };
    }
  }

  /**
   * Writes and deletes RouterInfo files in one batch: each file atomically (temporary file +
   * rename), then one fsync per folder touched. File data is not fsynced one by one: every
   * RouterInfo is verified when loaded, so a file lost or emptied by a power cut costs one
   * RouterInfo, not a corrupt netDb.
   */
  async writeBatch(writes: readonly { hash: Buffer; data: Buffer }[], deletes: readonly Buffer[]): Promise<void> {
    if (writes.length === 0 && deletes.length === 0) return;
    const files = writes.map((w) => ({ path: this.pathFor(w.hash), data: w.data }));
    for (const f of files) {
      const sub = join(f.path, '..');
      if (!this.madeDirs.has(sub)) {
        await mkdir(sub, { recursive: true, mode: 0o700 });
        this.madeDirs.add(sub);
      }
    }
    const r = await writeFilesAtomic(files, deletes.map((h) => this.pathFor(h)), { fsyncFiles: false, concurrency: 16 });
    const c = this.counters;
    c.batches++;
    c.filesWritten += r.written;
    c.filesDeleted += r.deleted;
    c.fileSyncs += r.fileSyncs;
    c.dirSyncs += r.dirSyncs;
    c.writeFailures += r.failed.length;
    if (r.failed.length) this.log.warn({ failed: r.failed.length, first: r.failed[0]!.error.message }, 'netDb: some files could not be written or deleted');
  }

  /** Deletes one file (a valid RouterInfo the store refuses as stale); missing is fine. */
  async remove(path: string): Promise<void> {
    await unlink(path).then(
      () => this.counters.filesDeleted++,
      () => undefined,
    );
  }
}
