/**
 * HTTP CONNECT through an I2P outproxy (RFC 9110 §9.3.6), for outproxy mode: once the I2P stream
 * to the outproxy is open, ask it for a tunnel to `host:port` and wait for a 2xx. The codec is the
 * shared pure one (src/util/http-connect.ts); this is the thin shell over a stream.
 */
import type { Duplex } from 'node:stream';
import { encodeHttpConnect, parseHttpConnectReply, type HttpConnectReply } from '../util/http-connect.js';
import { I2PBackendError } from './i2p-backend.js';

/**
 * Sends CONNECT on `stream` and resolves when the outproxy answered 2xx; bytes after the head are
 * put back into the stream. Rejects with I2PBackendError ('refused' for a non-2xx answer,
 * 'protocol' for garbage, 'unreachable' if the stream closes first).
 */
export function httpConnect(stream: Duplex, authority: string, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let head = Buffer.alloc(0);
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      let r: HttpConnectReply | undefined;
      try {
        r = parseHttpConnectReply(head);
      } catch (e) {
        return fail(new I2PBackendError('protocol', `outproxy: ${(e as Error).message}`));
      }
      if (r === undefined) return;
      cleanup();
      stream.pause();
      if (r.status < 200 || r.status > 299) return reject(new I2PBackendError('refused', `outproxy refused CONNECT ${authority}: ${r.statusLine.slice(0, 100)}`));
      if (head.length > r.headLength) stream.unshift(head.subarray(r.headLength));
      resolve();
    };
    const onEnd = (): void => fail(new I2PBackendError('unreachable', `outproxy closed the stream before answering CONNECT ${authority}`));
    const onError = (e: Error): void => fail(new I2PBackendError('unreachable', `outproxy stream: ${e.message}`));
    const onAbort = (): void => fail(signal!.reason instanceof Error ? signal!.reason : new I2PBackendError('timeout', 'CONNECT aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
    stream.write(encodeHttpConnect(authority));
  });
}
