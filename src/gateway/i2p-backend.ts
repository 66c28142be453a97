/**
 * The one interface through which the LAN gateway reaches I2P (issue 5, item 3): resolve a name, open
 * a stream. The first implementation talks SAM v3 to a bridge (i2pd's); the in-process router plugs
 * in behind the same interface once it carries streams. The DNS server and the transparent proxy know
 * nothing else about I2P.
 */
import type { Duplex } from 'node:stream';

/** Why a lookup or connect failed, in words the proxy can log and count. */
export type I2PBackendErrorKind =
  | 'unknown-name' // the name is not in any address book / not a valid b32
  | 'unreachable' // no LeaseSet, no route, peer did not answer
  | 'timeout'
  | 'refused' // the destination exists but refused the connection
  | 'backend-down' // the bridge / router is not available
  | 'protocol'; // the bridge answered something we did not understand

export class I2PBackendError extends Error {
  constructor(
    readonly kind: I2PBackendErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'I2PBackendError';
  }
}

/**
 * The User-Agent every I2P HTTP proxy sends (i2pd and Java I2P rewrite it to this): our own HTTP
 * requests into I2P (subscriptions, "test an I2P site") send it too, so a site learns nothing of the box.
 */
export const I2P_HTTP_USER_AGENT = 'MYOB/6.66 (AN/ON)';

export interface I2PStreamBackend {
  /**
   * The destination (I2P base64) for an `.i2p` name — an address-book name or a `.b32.i2p` — or
   * undefined when the name is unknown. Rejects with I2PBackendError for anything but "unknown".
   */
  lookup(name: string, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * A connected stream to `target` (an `.i2p` name or a base64 destination) on `port`; resolves once
   * the far end accepted. Rejects with I2PBackendError.
   */
  connect(target: string, port: number, signal?: AbortSignal): Promise<Duplex>;
  /** Closes the session(s); open streams are destroyed. */
  close(): Promise<void>;
}
