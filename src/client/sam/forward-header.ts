/**
 * The first line the SAM bridge writes on each connection it forwards to us (api-samv3 "Virtual
 * Streams: FORWARD", SILENT=false): the requesting peer's Destination in base64, then in SAM 3.2+
 * ` FROM_PORT=nnn TO_PORT=nnn`, then `\n`; after it, the stream's bytes. Sans-IO: bytes in, the peer
 * and the stream bytes that followed the line out.
 *
 * Hostile input (anything may connect to the listener the bridge is told about): the line is bounded,
 * must hold a well-formed Destination, and options are only the two ports. Anything else throws
 * SamProtocolError, and the shell drops the connection before a byte reaches the LAN service.
 */
import { b32OfDestination, isDestinationBase64 } from './i2p-name.js';
import { SamLineDecoder, SamProtocolError } from './sam-line.js';

/** A Destination is at most 1400 base64 characters (i2p-name.ts) plus two short options. */
export const MAX_FORWARD_HEADER = 1536;

export interface ForwardedPeer {
  /** I2P base64 of the peer's Destination. */
  readonly destination: string;
  readonly b32: string;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
}

export type ForwardHeaderResult = { readonly done: false } | { readonly done: true; readonly peer: ForwardedPeer; readonly rest: Buffer };

export class ForwardHeaderDecoder {
  private readonly lines = new SamLineDecoder(MAX_FORWARD_HEADER);
  private finished = false;

  /** Feeds bytes; `done` once the line is complete (further bytes belong to the stream: `rest`). */
  push(chunk: Uint8Array): ForwardHeaderResult {
    if (this.finished) throw new Error('forward header already decoded');
    this.lines.push(chunk);
    const line = this.lines.nextLine();
    if (line === undefined) return { done: false };
    this.finished = true;
    return { done: true, peer: parseForwardHeader(line), rest: this.lines.takeRest() };
  }
}

function port(v: string, key: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new SamProtocolError('malformed', `forward header: bad ${key}`);
  return Number(v);
}

/** One header line (without `\n`). */
export function parseForwardHeader(line: string): ForwardedPeer {
  const words = line.split(' ').filter((w) => w !== '');
  const destination = words[0] ?? '';
  if (!isDestinationBase64(destination)) {
    // i2pd may write `STREAM STATUS RESULT=I2P_ERROR ...` here when the session goes away.
    throw new SamProtocolError('bad-destination', `forward header does not start with a Destination: ${JSON.stringify(line.slice(0, 40))}`);
  }
  let fromPort: number | undefined;
  let toPort: number | undefined;
  for (const w of words.slice(1)) {
    const m = /^(FROM_PORT|TO_PORT)=(.*)$/.exec(w);
    if (!m) throw new SamProtocolError('malformed', `forward header: unexpected ${JSON.stringify(w.slice(0, 40))}`);
    if ((m[1] === 'FROM_PORT' ? fromPort : toPort) !== undefined) throw new SamProtocolError('malformed', `forward header: ${m[1]} twice`);
    if (m[1] === 'FROM_PORT') fromPort = port(m[2]!, m[1]);
    else toPort = port(m[2]!, m[1]!);
  }
  return { destination, b32: b32OfDestination(destination), fromPort, toPort };
}
