/**
 * Batched atomic file replacement: many files written (temporary file + rename each, so a
 * reader never sees a torn file) and many deleted, then ONE fsync per directory touched instead
 * of one per file. For data written often in bulk, e.g. the netDb's RouterInfo files, where an
 * fsync per file would wear an SD card and stall on every received RouterInfo.
 *
 * `fsyncFiles: false` also skips the per-file data fsync. Use it only for content that is
 * checked when read back (the netDb verifies every RouterInfo's signature on load): after a
 * power cut such a file may be empty or hold the previous version, never a mix presented as
 * valid. Keys and configuration keep using writeFileAtomic.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface BatchWrite {
  path: string;
  data: Uint8Array;
}

export interface AtomicBatchOptions {
  /** fsync each file's data before its rename (default true). */
  fsyncFiles?: boolean;
  /** Files handled at once (default 8): bounds open descriptors and memory. */
  concurrency?: number;
  mode?: number;
}

export interface AtomicBatchResult {
  written: number;
  deleted: number;
  fileSyncs: number;
  dirSyncs: number;
  /** Per-file failures; one bad file does not stop the batch. */
  failed: { path: string; error: Error }[];
}

/** The temporary name used next to `path`; recognisable so a crash's leftovers can be cleaned. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** True for names made by tempPathFor (and by writeFileAtomic, which uses the same form). */
export function isTempName(name: string): boolean {
  return /^\..+\.[0-9a-f]{8}\.tmp$/.test(name);
}

export async function writeFilesAtomic(writes: readonly BatchWrite[], deletes: readonly string[], opts: AtomicBatchOptions = {}): Promise<AtomicBatchResult> {
  const fsyncFiles = opts.fsyncFiles ?? true;
  const result: AtomicBatchResult = { written: 0, deleted: 0, fileSyncs: 0, dirSyncs: 0, failed: [] };
  const dirs = new Set<string>();

  const writeOne = async (w: BatchWrite): Promise<void> => {
    const tmp = tempPathFor(w.path);
    try {
      const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
      try {
        await fh.writeFile(w.data);
        if (fsyncFiles) {
          await fh.sync();
          result.fileSyncs++;
        }
      } finally {
        await fh.close();
      }
      await rename(tmp, w.path);
      result.written++;
      dirs.add(dirname(w.path));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      result.failed.push({ path: w.path, error: e as Error });
    }
  };
  const deleteOne = async (path: string): Promise<void> => {
    try {
      await unlink(path);
      result.deleted++;
      dirs.add(dirname(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') result.failed.push({ path, error: e as Error });
    }
  };

  const jobs: (() => Promise<void>)[] = [...writes.map((w) => () => writeOne(w)), ...deletes.map((p) => () => deleteOne(p))];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, jobs.length)) }, worker));

  for (const dir of dirs) if (await fsyncDirectory(dir)) result.dirSyncs++;
  return result;
}

/** Persists renames/unlinks in `dir`; false where the filesystem cannot fsync directories. */
async function fsyncDirectory(dir: string): Promise<boolean> {
  const dh = await open(dir, 'r').catch(() => undefined);
  if (!dh) return false;
  try {
    await dh.sync();
    return true;
  } catch {
    return false; // EINVAL/EISDIR on filesystems without directory fsync
  } finally {
    await dh.close();
  }
}
