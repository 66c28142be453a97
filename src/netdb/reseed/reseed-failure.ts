/**
 * Why a reseed attempt was refused or failed. Every refusal carries a short machine-readable
 * reason (a log field and a counter label) so a tampered file, an unknown signer and a dead
 * server are told apart in the logs without parsing messages.
 */
import { ReseedError } from './zipfile.js';

export type ReseedFailureReason =
  // SU3 trust decisions (updates.rst "SU3 File Specification", "Notes")
  | 'unknown-signer'
  | 'signer-expired'
  | 'unsupported-signature-type'
  | 'bad-signature'
  | 'wrong-file-type'
  | 'wrong-content-type'
  // content freshness (replay of an old, validly signed file)
  | 'stale'
  // local files
  | 'file-too-large'
  | 'unreadable'
  | 'unknown-file-kind'
  // network
  | 'bad-url'
  | 'bad-proxy'
  | 'proxy'
  | 'connect'
  | 'tls'
  | 'http-status'
  | 'too-many-redirects'
  | 'too-large'
  | 'timeout'
  | 'aborted';

export class ReseedFailure extends ReseedError {
  constructor(
    readonly reason: ReseedFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ReseedFailure';
  }
}
