/**
 * The firewall report: what the root side (`garlicgate firewall apply|check status=DIR`, run by the
 * systemd units) found, for the unprivileged router's admin UI, which cannot read the loaded rules
 * itself (issue 6 on the appliance). Two files in the status directory (root's, readable by all):
 *   - status.json — the newest apply or check: the dashboard's "firewall" state;
 *   - apply.json  — the newest apply: the settings transaction waits here for its request's result.
 * A report names the plan hash of the config it was made for, so the reader can tell whether it
 * describes the settings in effect now, and the request it was made with (./network-request.ts).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { BoundedFileError, readBoundedFile } from '../../util/bounded-file.js';

export interface FirewallReport {
  kind: 'apply' | 'check';
  /** ok: loaded and checked back / the loaded rules match. failed: not (detail says why). */
  result: 'ok' | 'failed';
  detail: string;
  /** The plan hash of the config the rules were made from (absent when the config was refused). */
  planHash?: string;
  /** The network request the config was composed with; absent: the config file alone. */
  requestId?: string;
  /** The request in the file was refused (the config file alone was used); why. */
  requestRefused?: string;
  /** When (ms since epoch). */
  at: number;
}

export const STATUS_FILE = 'status.json';
export const APPLY_FILE = 'apply.json';
const MAX_REPORT_BYTES = 16 * 1024;
const MAX_DETAIL_CHARS = 4000;

export class FirewallReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirewallReportError';
  }
}

export function encodeFirewallReport(r: FirewallReport): string {
  const detail = r.detail.length > MAX_DETAIL_CHARS ? `${r.detail.slice(0, MAX_DETAIL_CHARS)}…` : r.detail;
  const refused = r.requestRefused && r.requestRefused.length > MAX_DETAIL_CHARS ? `${r.requestRefused.slice(0, MAX_DETAIL_CHARS)}…` : r.requestRefused;
  return `${JSON.stringify({ version: 1, ...r, detail, ...(refused !== undefined ? { requestRefused: refused } : {}) })}\n`;
}

export function decodeFirewallReport(text: string): FirewallReport {
  if (text.length > MAX_REPORT_BYTES) throw new FirewallReportError(`report larger than ${MAX_REPORT_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FirewallReportError('report is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FirewallReportError('report is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw new FirewallReportError('report version is not 1');
  if (o.kind !== 'apply' && o.kind !== 'check') throw new FirewallReportError('report kind is not apply or check');
  if (o.result !== 'ok' && o.result !== 'failed') throw new FirewallReportError('report result is not ok or failed');
  if (typeof o.detail !== 'string' || o.detail.length > MAX_DETAIL_CHARS + 1) throw new FirewallReportError('report detail is not a string');
  if (typeof o.at !== 'number' || !Number.isFinite(o.at) || o.at < 0) throw new FirewallReportError('report time is not a number');
  const r: FirewallReport = { kind: o.kind, result: o.result, detail: o.detail, at: o.at };
  if (o.planHash !== undefined) {
    if (typeof o.planHash !== 'string' || !/^[0-9a-f]{1,128}$/.test(o.planHash)) throw new FirewallReportError('report plan hash is not hex');
    r.planHash = o.planHash;
  }
  if (o.requestId !== undefined) {
    if (typeof o.requestId !== 'string' || !/^[0-9a-f]{16}$/.test(o.requestId)) throw new FirewallReportError('report request id is not 16 hex digits');
    r.requestId = o.requestId;
  }
  if (o.requestRefused !== undefined) {
    if (typeof o.requestRefused !== 'string' || o.requestRefused.length > MAX_DETAIL_CHARS + 1) throw new FirewallReportError('report requestRefused is not a string');
    r.requestRefused = o.requestRefused;
  }
  return r;
}

/** Writes the report as status.json and, for an apply, as apply.json too (atomically, 0644). */
export async function writeFirewallReport(dir: string, r: FirewallReport): Promise<void> {
  const text = encodeFirewallReport(r);
  if (r.kind === 'apply') await writeFileAtomic(join(dir, APPLY_FILE), text, 0o644);
  await writeFileAtomic(join(dir, STATUS_FILE), text, 0o644);
}

/** The report in `path`; undefined when there is none. Throws FirewallReportError for a bad one. */
export async function readFirewallReport(path: string): Promise<FirewallReport | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readBoundedFile(path, MAX_REPORT_BYTES, { noFollow: true });
  } catch (e) {
    if (e instanceof BoundedFileError) throw new FirewallReportError(e.message);
    throw e;
  }
  return bytes === undefined ? undefined : decodeFirewallReport(bytes.toString('utf8'));
}
