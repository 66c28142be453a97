/**
 * Reads a reseed .zip as i2pd accepts for `--reseed.zipfile`: a zip of `routerInfo-<hash>.dat`
 * files (docs/reseed.html: the SU3 payload is exactly such a zip). The zip is hostile input:
 * entry count and sizes are bounded, names are checked, and every RouterInfo is parsed and its
 * signature verified before it is returned. Bad entries are skipped and counted, not fatal.
 */
import yauzl from 'yauzl';
import { RouterInfo } from '../../data/router-info.js';

export const MAX_ZIP_ENTRIES = 10_000;
/** A RouterInfo is a few KiB; anything beyond this is not one. */
export const MAX_ROUTER_INFO_BYTES = 64 * 1024;

export interface ZipReseedResult {
  routerInfos: RouterInfo[];
  /** Entries skipped, keyed by reason. */
  rejected: Record<string, number>;
}

export class ReseedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReseedError';
  }
}

const ENTRY_NAME = /^(?:.*\/)?routerInfo-[A-Za-z0-9~=-]{43,44}\.dat$/;

/** Parses the entries of a reseed zip held in memory. */
export function readReseedZip(zip: Buffer): Promise<ZipReseedResult> {
  return new Promise((resolve, reject) => {
    const result: ZipReseedResult = { routerInfos: [], rejected: {} };
    const reject1 = (why: string): void => {
      result.rejected[why] = (result.rejected[why] ?? 0) + 1;
    };
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zf) => {
      if (err || !zf) return reject(new ReseedError(`not a valid zip file: ${err?.message ?? 'unknown error'}`));
      if (zf.entryCount > MAX_ZIP_ENTRIES) {
        zf.close();
        return reject(new ReseedError(`zip has ${zf.entryCount} entries, more than ${MAX_ZIP_ENTRIES}`));
      }
      zf.on('error', (e: Error) => reject(new ReseedError(`zip read failed: ${e.message}`)));
      zf.on('end', () => resolve(result));
      zf.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zf.readEntry();
        if (!ENTRY_NAME.test(entry.fileName)) {
          reject1('unexpected-name');
          return zf.readEntry();
        }
        if (entry.uncompressedSize > MAX_ROUTER_INFO_BYTES) {
          reject1('too-large');
          return zf.readEntry();
        }
        zf.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) {
            reject1('unreadable');
            return zf.readEntry();
          }
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ROUTER_INFO_BYTES) stream.destroy(new Error('entry larger than declared'));
            else chunks.push(c);
          });
          stream.on('error', () => {
            reject1('unreadable');
            zf.readEntry();
          });
          stream.on('end', () => {
            try {
              const ri = RouterInfo.parse(Buffer.concat(chunks));
              if (ri.verify()) result.routerInfos.push(ri);
              else reject1('bad-signature');
            } catch {
              reject1('malformed');
            }
            zf.readEntry();
          });
        });
      });
      zf.readEntry();
    });
  });
}
