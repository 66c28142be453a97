/**
 * Two byte streams joined both ways, as the transparent proxy (LAN client ↔ I2P stream) and hidden
 * services (I2P stream ↔ LAN service) need: back-pressure (pipeline pauses the source while the
 * destination is full) and half-close (the end of one side ends only the other side's writable half,
 * so a request's FIN does not cut off the answer). An error on either side resets the TCP socket
 * (an RST, not a FIN: the other end must not take a broken transfer for a complete one) and destroys
 * the other stream.
 */
import type { Socket } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';

/** Joins `socket` and `stream`; `onDone` runs once when both directions have finished or failed. */
export function pipeBothWays(socket: Socket, stream: Duplex, onDone?: () => void): void {
  const abort = (): void => {
    if (!socket.destroyed) socket.resetAndDestroy();
    if (!stream.destroyed) stream.destroy();
  };
  // Registered before pipeline's own listeners so the TCP side gets an RST, not a FIN.
  stream.once('error', abort);
  socket.once('error', abort);
  let finished = 0;
  const done = (err: Error | null | undefined): void => {
    if (err) abort();
    if (++finished < 2) return;
    socket.destroy();
    stream.destroy();
    onDone?.();
  };
  pipeline(socket, stream, done);
  pipeline(stream, socket, done);
}
