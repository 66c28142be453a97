/**
 * TEST DOUBLE — not I2P. An I2PStreamBackend whose `connect` opens a plain TCP connection to a
 * local server chosen by the test, and whose `lookup` knows the names the test gives it. It exists
 * to test what the gateway does around the backend (DNS policy, piping, back-pressure, half-close,
 * error handling) on loopback; everything I2P about the real backend is tested against i2pd.
 */
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { I2PBackendError, type I2PBackendErrorKind, type I2PStreamBackend } from '../../src/gateway/i2p-backend.js';

export interface LocalEndpoint {
  host: string;
  port: number;
}

export class LocalTcpTestBackend implements I2PStreamBackend {
  /** Every connect() call, in order: what the proxy asked for. */
  readonly connects: { target: string; port: number }[] = [];
  readonly lookups: string[] = [];
  /** Names `lookup` finds (address-book names; b32 names are never looked up by the DNS server). */
  readonly knownNames = new Set<string>();
  /** When set, every lookup / connect fails with this kind. */
  failWith: I2PBackendErrorKind | undefined;
  /** Delay before lookup answers (ms); an AbortSignal cuts it short. */
  lookupDelayMs = 0;
  /** Delay before connect starts (ms); an AbortSignal cuts it short. */
  connectDelayMs = 0;
  /** Lookups that ignore their AbortSignal (a misbehaving backend). */
  ignoreAbort = false;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly endpointFor: (target: string, port: number) => LocalEndpoint | undefined) {}

  async lookup(name: string, signal?: AbortSignal): Promise<string | undefined> {
    this.lookups.push(name);
    await this.delay(this.lookupDelayMs, this.ignoreAbort ? undefined : signal);
    if (this.failWith) throw new I2PBackendError(this.failWith, `test backend: ${this.failWith}`);
    // A stand-in destination string: the gateway only cares whether there is one.
    return this.knownNames.has(name) ? `test-destination-of-${name}` : undefined;
  }

  async connect(target: string, port: number, signal?: AbortSignal): Promise<Duplex> {
    this.connects.push({ target, port });
    await this.delay(this.connectDelayMs, signal);
    if (this.failWith) throw new I2PBackendError(this.failWith, `test backend: ${this.failWith}`);
    const ep = this.endpointFor(target, port);
    if (ep === undefined) throw new I2PBackendError('unknown-name', `test backend: no endpoint for ${target}:${port}`);
    return new Promise<Duplex>((resolve, reject) => {
      const s = net.connect({ host: ep.host, port: ep.port, allowHalfOpen: true });
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      const onAbort = (): void => {
        s.destroy();
        reject(new I2PBackendError('timeout', 'test backend: connect aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      s.once('connect', () => {
        signal?.removeEventListener('abort', onAbort);
        s.off('error', onError);
        resolve(s);
      });
      const onError = (e: Error): void => {
        signal?.removeEventListener('abort', onAbort);
        reject(new I2PBackendError('refused', `test backend: ${e.message}`));
      };
      s.once('error', onError);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
  }

  private delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          reject(new I2PBackendError('timeout', 'test backend: aborted'));
        },
        { once: true },
      );
    });
  }
}
