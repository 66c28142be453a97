/**
 * Where reseed data comes from (spec docs/reseed.html, updates.rst "SU3 Reseed File
 * Specification"):
 *  - a local file: an SU3 (signature verified, always) or a plain zip of routerInfo-*.dat
 *    (i2pd's `--reseed.zipfile`: an unsigned file the owner put there; every RouterInfo in it
 *    is still signature-checked by readReseedZip);
 *  - a reseed server over HTTPS: `<url>/i2pseeds.su3?netid=<netId>` (updates.rst: "the
 *    requestor should append a query string '?netid=2'"), directly or through a proxy.
 *
 * Nothing from a source is returned unless the whole file passed its checks: the caller gets
 * either verified RouterInfos or a typed error, never a partial result of a refused file.
 */
import { BoundedFileError, readBoundedFile } from '../../util/bounded-file.js';
import type { RouterInfo } from '../../data/router-info.js';
import type { Logger } from '../../util/log.js';
import { DEFAULT_MAX_REDIRECTS, httpsGet, parseHttpsUrl } from './https-fetch.js';
import { parseProxyUrl } from './proxy-tunnel.js';
import { ReseedFailure } from './reseed-failure.js';
import { MAX_SU3_BYTES, SU3_MAGIC, openReseedSU3, type SignerKeyring } from './su3.js';
import type { TrustStore } from './trust-store.js';
import { readReseedZip } from './zipfile.js';

export const SU3_FILE_NAME = 'i2pseeds.su3';
/**
 * A reseed SU3's version is its creation time in seconds. An older file, even validly signed,
 * is refused: replaying an old file would boot us into a stale (or chosen) set of routers.
 */
export const MAX_SU3_AGE_MS = 30 * 24 * 3600_000;
/**
 * RouterInfos published longer ago than this are stale (i2pd's bound: 10 x its 27 h netDb
 * expiration). They are dropped; if they are more than half of a file, the whole file is
 * refused as i2pd does, since such a file cannot be a fresh reseed.
 */
export const MAX_ROUTER_INFO_AGE_MS = 270 * 3600_000;
export const DEFAULT_RESEED_TIMEOUT_MS = 60_000;
/** Real reseed files are ~100 KiB–2 MiB. */
export const DEFAULT_RESEED_MAX_BYTES = 8 * 1024 * 1024;

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');

export interface ReseedData {
  /** File path or URL, for logs. */
  source: string;
  /** Verified RouterInfos (signature, structure, freshness); the store still applies its own checks. */
  routerInfos: RouterInfo[];
  /** Entries dropped, by reason (zip entry problems and `stale`). */
  rejected: Record<string, number>;
  /** SU3 signer ID; undefined for a plain zip. */
  signer?: string;
  /** SU3 version (creation time in seconds for reseeds). */
  version?: string;
}

export interface ReseedFileOptions {
  /** Expected kind; undefined = recognised by its magic bytes. */
  kind?: 'su3' | 'zip';
  /** ms since the epoch; default Date.now(). */
  now?: number;
  maxBytes?: number;
}

export interface ReseedUrlOptions {
  trustStore: TrustStore;
  /** i2pd syntax: http://host:port (CONNECT) or socks://host:port (SOCKS5). */
  proxy?: string;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  /** Extra TLS trust anchors in addition to Node's CAs and the trust store's `ssl/` ones. */
  ca?: readonly (string | Buffer)[];
  netId?: number;
  now?: number;
  log?: Logger;
  signal?: AbortSignal;
}

/** Drops stale RouterInfos; refuses the file when most of it is stale. */
function freshRouterInfos(all: RouterInfo[], rejected: Record<string, number>, now: number, source: string): RouterInfo[] {
  const fresh = all.filter((ri) => now - ri.published <= MAX_ROUTER_INFO_AGE_MS);
  const stale = all.length - fresh.length;
  if (stale > 0) rejected.stale = (rejected.stale ?? 0) + stale;
  if (stale > all.length / 2) throw new ReseedFailure('stale', `${stale} of ${all.length} RouterInfos in ${source} are older than ${MAX_ROUTER_INFO_AGE_MS / 3600_000} h`);
  return fresh;
}

function checkSU3Age(version: string, now: number, source: string): void {
  if (!/^\d{1,15}$/.test(version)) return; // not a timestamp: nothing to compare (the signature still holds)
  const created = Number(version) * 1000;
  if (now - created > MAX_SU3_AGE_MS) {
    throw new ReseedFailure('stale', `SU3 from ${source} was created ${new Date(created).toISOString()}, more than ${MAX_SU3_AGE_MS / 86_400_000} days ago`);
  }
}

/**
 * Turns the bytes of a reseed file into verified RouterInfos: SU3 -> signature check -> zip,
 * or a plain zip. Pure apart from the zip reader; used for files and downloads alike.
 */
export async function openReseedData(buf: Buffer, kind: 'su3' | 'zip', keyring: SignerKeyring, now: number, source: string): Promise<ReseedData> {
  if (kind === 'zip') {
    const { routerInfos, rejected } = await readReseedZip(buf);
    return { source, routerInfos: freshRouterInfos(routerInfos, rejected, now, source), rejected };
  }
  const su3 = openReseedSU3(buf, keyring, now);
  checkSU3Age(su3.version, now, source);
  const { routerInfos, rejected } = await readReseedZip(su3.content);
  return { source, routerInfos: freshRouterInfos(routerInfos, rejected, now, source), rejected, signer: su3.signerId, version: su3.version };
}

function sniffKind(buf: Buffer, path: string): 'su3' | 'zip' {
  if (buf.subarray(0, SU3_MAGIC.length).equals(SU3_MAGIC)) return 'su3';
  if (buf.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) return 'zip';
  throw new ReseedFailure('unknown-file-kind', `${path} is neither an SU3 nor a zip file`);
}

/** Reads a file of at most `maxBytes` without trusting its size (it may grow while we read). */
async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  let buf: Buffer | undefined;
  try {
    buf = await readBoundedFile(path, maxBytes);
  } catch (e) {
    if (!(e instanceof BoundedFileError)) throw e;
    throw new ReseedFailure(e.problem === 'too-large' ? 'file-too-large' : 'unreadable', `reseed file: ${e.message}`);
  }
  if (buf === undefined) throw new ReseedFailure('unreadable', `cannot open reseed file ${path}: it does not exist`);
  return buf;
}

/** Reseeds from a local .su3 (`--reseed.file`) or .zip (`--reseed.zipfile`). */
export async function reseedFromFile(path: string, trustStore: TrustStore, opts: ReseedFileOptions = {}): Promise<ReseedData> {
  const buf = await readBounded(path, opts.maxBytes ?? MAX_SU3_BYTES);
  const kind = sniffKind(buf, path);
  if (opts.kind && kind !== opts.kind) throw new ReseedFailure('unknown-file-kind', `${path} is a ${kind} file, expected ${opts.kind}`);
  return openReseedData(buf, kind, trustStore, opts.now ?? Date.now(), path);
}

/**
 * The SU3 URL for a reseed server URL: `<url>/i2pseeds.su3?netid=N`. A URL that already
 * names an .su3 file (i2pd's `--reseed.file=https://...`) is used as it is.
 */
export function su3UrlFor(url: string, netId: number): string {
  const u = parseHttpsUrl(url);
  if (u.pathname.toLowerCase().endsWith('.su3')) return u.toString();
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.pathname += SU3_FILE_NAME;
  u.search = `?netid=${netId}`;
  return u.toString();
}

/** Downloads and verifies `<url>/i2pseeds.su3` over HTTPS (optionally through a proxy). */
export async function reseedFromUrl(url: string, opts: ReseedUrlOptions): Promise<ReseedData> {
  const target = su3UrlFor(url, opts.netId ?? 2);
  const ca = [...opts.trustStore.tlsCas, ...(opts.ca ?? [])];
  opts.log?.info({ url: target, proxy: opts.proxy }, 'reseed: downloading');
  const res = await httpsGet(target, {
    timeoutMs: opts.timeoutMs ?? DEFAULT_RESEED_TIMEOUT_MS,
    maxBytes: Math.min(opts.maxBytes ?? DEFAULT_RESEED_MAX_BYTES, MAX_SU3_BYTES),
    maxRedirects: opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    proxy: opts.proxy ? parseProxyUrl(opts.proxy) : undefined,
    ca,
    signal: opts.signal,
  });
  return openReseedData(res.body, 'su3', opts.trustStore, opts.now ?? Date.now(), res.url);
}
