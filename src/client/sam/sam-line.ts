/**
 * SAM v3 line codec (api-samv3 "Encoding and Escaping"): every command and reply is one line ended
 * by `\n`, `COMMAND SUBCOMMAND [key=value]...` (or `PING`/`PONG` with free text, SAM 3.2), values
 * in double quotes when they hold spaces, `\"` and `\\` escapes inside quotes (SAM 3.2), UTF-8.
 *
 * The bridge is a peer like any other: its lines are parsed as hostile input. Every line is bounded
 * (MAX_SAM_LINE), must be valid UTF-8 without control characters and must tokenise; anything else
 * throws SamProtocolError and the shell drops the socket.
 */
import { ProtocolError } from '../../util/errors.js';

/**
 * i2pd reads and writes SAM lines through an 8192-byte buffer (SAM_SOCKET_BUFFER_SIZE), so none of
 * its replies is longer; the longest real one, SESSION STATUS with a private key, is ~1.2 KB.
 */
export const MAX_SAM_LINE = 8192;
/** Replies carry a handful of options; a bound keeps a hostile line from building a huge map. */
const MAX_OPTIONS = 32;

export class SamProtocolError extends ProtocolError {}

export interface SamReply {
  /** `HELLO`, `SESSION`, `STREAM`, `NAMING`, `DEST`, `PING`, `PONG`, ... */
  readonly command: string;
  /** `REPLY`, `STATUS`, ...; undefined for PING/PONG and single-word commands. */
  readonly subcommand: string | undefined;
  readonly options: ReadonlyMap<string, string>;
  /** The free text after PING/PONG. */
  readonly text: string | undefined;
}

const LF = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into lines. `nextLine()` hands out one line at a time so that the caller can
 * stop after a reply that turns the socket into a data stream and take the rest with `takeRest()`.
 */
export class SamLineDecoder {
  private buf: Buffer = EMPTY;

  constructor(readonly maxLineLength = MAX_SAM_LINE) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
  }

  /**
   * The next complete line (without `\n` and an optional `\r`), or undefined when more bytes are
   * needed. Throws when no `\n` comes within maxLineLength bytes: the bytes buffered are bounded by
   * one line plus one socket read.
   */
  nextLine(): string | undefined {
    const window = this.buf.subarray(0, this.maxLineLength + 1);
    const eol = window.indexOf(LF);
    if (eol < 0) {
      if (this.buf.length > this.maxLineLength) {
        throw new SamProtocolError('line-too-long', `SAM line longer than ${this.maxLineLength} bytes`);
      }
      return undefined;
    }
    const end = eol > 0 && this.buf[eol - 1] === 0x0d ? eol - 1 : eol;
    const raw = this.buf.subarray(0, end);
    this.buf = this.buf.subarray(eol + 1);
    let line: string;
    try {
      line = utf8.decode(raw);
    } catch {
      throw new SamProtocolError('bad-utf8', 'SAM line is not valid UTF-8');
    }
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) throw new SamProtocolError('control-char', 'SAM line contains a control character');
    return line;
  }

  /** Everything buffered after the last line handed out; the decoder is empty afterwards. */
  takeRest(): Buffer {
    const rest = this.buf;
    this.buf = EMPTY;
    return rest;
  }
}

const WORD = /^[A-Z][A-Z0-9_]*$/;
/** Option keys: I2CP names (`i2cp.leaseSetEncType`), SAM names, 0.9.66 `OPTION:_smtp._tcp`. */
const KEY = /^[A-Za-z0-9_.:-]+$/;

/**
 * Parses one reply line. Throws SamProtocolError for an empty line, a bad command word, an
 * unterminated quote, a bad key, a duplicated key=value or too many options.
 *
 * Bare words after the command are kept as keys with an empty value (SAM 3.2 "empty values"). They
 * also absorb i2pd's unquoted `MESSAGE=two words` (it writes messages with %s), which is why a
 * repeated bare word is tolerated while a repeated `key=value` is not.
 */
export function parseSamReply(line: string): SamReply {
  const trimmed = line.replace(/^ +| +$/g, '');
  if (trimmed === '') throw new SamProtocolError('malformed', 'empty SAM line');
  const ping = /^(PING|PONG)(?: (.*))?$/.exec(trimmed);
  if (ping) return { command: ping[1]!, subcommand: undefined, options: new Map(), text: ping[2] ?? '' };

  const options = new Map<string, string>();
  let i = 0;
  const words: string[] = [];
  const explicit = new Set<string>();
  while (i < trimmed.length) {
    while (trimmed[i] === ' ') i++;
    if (i >= trimmed.length) break;
    let j = i;
    while (j < trimmed.length && trimmed[j] !== ' ' && trimmed[j] !== '=') j++;
    const key = trimmed.slice(i, j);
    if (trimmed[j] !== '=') {
      // A bare word: the command and subcommand first, then valueless keys.
      i = j;
      if (words.length < 2 && options.size === 0 && WORD.test(key)) {
        words.push(key);
        continue;
      }
      if (!KEY.test(key)) throw new SamProtocolError('malformed', `bad SAM token ${JSON.stringify(key.slice(0, 40))}`);
      if (!options.has(key)) options.set(key, '');
    } else {
      if (!KEY.test(key)) throw new SamProtocolError('malformed', `bad SAM option key ${JSON.stringify(key.slice(0, 40))}`);
      let value = '';
      j++; // '='
      if (trimmed[j] === '"') {
        j++;
        let closed = false;
        while (j < trimmed.length) {
          const c = trimmed[j]!;
          if (c === '\\' && j + 1 < trimmed.length) {
            value += trimmed[j + 1];
            j += 2;
          } else if (c === '"') {
            closed = true;
            j++;
            break;
          } else {
            value += c;
            j++;
          }
        }
        if (!closed) throw new SamProtocolError('malformed', `unterminated quoted value for ${key}`);
        if (j < trimmed.length && trimmed[j] !== ' ') throw new SamProtocolError('malformed', `garbage after quoted value for ${key}`);
      } else {
        const start = j;
        while (j < trimmed.length && trimmed[j] !== ' ') j++;
        value = trimmed.slice(start, j);
      }
      if (explicit.has(key)) throw new SamProtocolError('malformed', `SAM option ${key} given twice`);
      explicit.add(key);
      options.set(key, value);
      i = j;
    }
    if (options.size > MAX_OPTIONS) throw new SamProtocolError('malformed', `more than ${MAX_OPTIONS} options in a SAM line`);
  }
  if (words.length === 0) throw new SamProtocolError('malformed', `SAM line does not start with a command: ${JSON.stringify(trimmed.slice(0, 40))}`);
  return { command: words[0]!, subcommand: words[1], options, text: undefined };
}

/** Keys we send: SAM's own and I2CP/streaming option names. */
const SEND_KEY = /^[A-Za-z][A-Za-z0-9_.:-]*$/;

function formatValue(key: string, v: string): string {
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new RangeError(`SAM option ${key}: value contains a control character`);
  if (v !== '' && !/[\s"\\]/.test(v)) return v;
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * One command line, `\n`-terminated. Callers validate what they put in (names, destinations, ids);
 * a newline or control character here is a programming error (RangeError), never sent.
 */
export function formatSamCommand(command: string, subcommand: string | undefined, options: ReadonlyArray<readonly [string, string]> = []): Buffer {
  if (!WORD.test(command) || (subcommand !== undefined && !WORD.test(subcommand))) throw new RangeError(`bad SAM command ${command} ${subcommand ?? ''}`);
  const parts = [command];
  if (subcommand !== undefined) parts.push(subcommand);
  for (const [k, v] of options) {
    if (!SEND_KEY.test(k)) throw new RangeError(`bad SAM option key ${JSON.stringify(k)}`);
    parts.push(`${k}=${formatValue(k, v)}`);
  }
  return Buffer.from(parts.join(' ') + '\n', 'utf8');
}
