/**
 * The request/reply state machine of one socket to a SAM bridge (api-samv3 "SAM Connection
 * Handshake", "Virtual Streams: CONNECT"). Sans-IO: bytes and time in, bytes and events out.
 *
 *   new --HELLO--> waiting --HELLO REPLY--> ready --command--> waiting --reply--> ready ...
 *                                                  STREAM CONNECT --RESULT=OK--> stream
 *   any waiting state past its deadline --> closed
 *
 * One command at a time: SAM v3 answers commands in order on a socket and gives no way to tell
 * replies apart, so a second command before the first is answered would be ambiguous. A reply that
 * is not the one expected is a protocol error. Once STREAM STATUS RESULT=OK has been read, nothing
 * more is parsed: the bytes after that line belong to the stream (takeStream()).
 */
import type { SamCommand } from './sam-commands.js';
import { SamLineDecoder, SamProtocolError, formatSamCommand, parseSamReply, type SamReply } from './sam-line.js';

export type SamExchangeState = 'new' | 'waiting' | 'ready' | 'stream' | 'closed';

export type SamExchangeEvent =
  /** The reply to the command in flight. */
  | { readonly type: 'reply'; readonly reply: SamReply }
  /** Bytes to write now (PONG to the bridge's PING, SAM 3.2). */
  | { readonly type: 'write'; readonly bytes: Buffer }
  /** A line while no command was in flight (e.g. `SESSION STATUS RESULT=I2P_ERROR` on a session socket). */
  | { readonly type: 'unsolicited'; readonly reply: SamReply }
  /** The command in flight was not answered in time; the exchange is closed. */
  | { readonly type: 'timeout'; readonly command: string };

interface Pending {
  readonly command: SamCommand;
  readonly deadline: number;
}

export class SamExchange {
  private readonly decoder: SamLineDecoder;
  private pending: Pending | undefined;
  private stateValue: SamExchangeState = 'new';
  private helloDone = false;

  constructor(maxLineLength?: number) {
    this.decoder = new SamLineDecoder(maxLineLength);
  }

  get state(): SamExchangeState {
    return this.stateValue;
  }

  /** The time by which the command in flight must be answered. */
  nextDeadline(): number | undefined {
    return this.pending?.deadline;
  }

  /**
   * Starts a command; returns the bytes to write. The first command must be HELLO and HELLO only
   * once; only one command may be in flight.
   */
  send(command: SamCommand, now: number, timeoutMs: number): Buffer {
    const isHello = command.reply.command === 'HELLO';
    if (this.stateValue === 'new' ? !isHello : this.stateValue !== 'ready' || isHello) {
      throw new Error(`SAM exchange: cannot send ${command.reply.command} in state ${this.stateValue}`);
    }
    this.pending = { command, deadline: now + timeoutMs };
    this.stateValue = 'waiting';
    return command.line;
  }

  /**
   * Feeds bytes from the bridge. Throws SamProtocolError on a malformed line or an unexpected reply;
   * the socket must then be dropped.
   */
  receive(chunk: Uint8Array, now: number): SamExchangeEvent[] {
    if (this.stateValue === 'stream' || this.stateValue === 'closed') {
      throw new Error(`SAM exchange: receive() in state ${this.stateValue}`);
    }
    this.decoder.push(chunk);
    const events: SamExchangeEvent[] = [];
    for (;;) {
      const expired = this.expire(now);
      if (expired) return [...events, expired];
      const line = this.decoder.nextLine();
      if (line === undefined) return events;
      const reply = parseSamReply(line);
      if (reply.command === 'PING') {
        events.push({ type: 'write', bytes: formatPong(reply.text ?? '') });
        continue;
      }
      if (reply.command === 'PONG') continue; // we never ping; harmless
      const p = this.pending;
      if (p === undefined) {
        if (this.stateValue === 'new') throw new SamProtocolError('unexpected-reply', `SAM bridge spoke before HELLO: ${reply.command}`);
        events.push({ type: 'unsolicited', reply });
        continue;
      }
      if (reply.command !== p.command.reply.command || reply.subcommand !== p.command.reply.subcommand) {
        throw new SamProtocolError(
          'unexpected-reply',
          `expected ${p.command.reply.command} ${p.command.reply.subcommand}, got ${reply.command} ${reply.subcommand ?? ''}`.trimEnd(),
        );
      }
      this.pending = undefined;
      if (reply.command === 'HELLO') this.helloDone = true;
      events.push({ type: 'reply', reply });
      if (p.command.streamOnOk && reply.options.get('RESULT') === 'OK') {
        this.stateValue = 'stream';
        return events;
      }
      this.stateValue = this.helloDone ? 'ready' : 'new';
    }
  }

  /** Time passes: a command past its deadline closes the exchange. */
  tick(now: number): SamExchangeEvent[] {
    const expired = this.expire(now);
    return expired ? [expired] : [];
  }

  /** After STREAM STATUS RESULT=OK: the bytes that followed the reply line (the stream's first bytes). */
  takeStream(): Buffer {
    if (this.stateValue !== 'stream') throw new Error(`SAM exchange: takeStream() in state ${this.stateValue}`);
    return this.decoder.takeRest();
  }

  close(): void {
    this.pending = undefined;
    this.stateValue = 'closed';
  }

  private expire(now: number): SamExchangeEvent | undefined {
    const p = this.pending;
    if (p === undefined || now < p.deadline) return undefined;
    this.close();
    return { type: 'timeout', command: commandName(p.command) };
  }
}

function commandName(c: SamCommand): string {
  // The request's own words are the first two of its line.
  return c.line.toString('utf8', 0, Math.min(c.line.length, 40)).split(' ').slice(0, 2).join(' ');
}

function formatPong(text: string): Buffer {
  // PONG echoes the PING's text (SAM 3.2); formatSamCommand has no free-text form.
  return text === '' ? formatSamCommand('PONG', undefined) : Buffer.from(`PONG ${text}\n`, 'utf8');
}
