/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766): each message is preceded by a two-byte length.
 * Pure: bytes in, whole messages out. A length of zero or above `maxMessage` is a protocol error
 * (the shell closes the connection), so at most one oversized message's worth is ever buffered.
 */
import { ProtocolError } from '../util/errors.js';

export class DnsTcpFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessage: number) {}

  /** Bytes received and not yet part of a whole message. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (len === 0) throw new ProtocolError('dns-tcp-empty', 'zero-length DNS message');
      if (len > this.maxMessage) throw new ProtocolError('dns-tcp-oversized', `DNS message of ${len} bytes (limit ${this.maxMessage})`);
      if (this.buf.length < 2 + len) break;
      // Copied so a retained message does not pin a large socket chunk.
      out.push(Buffer.from(this.buf.subarray(2, 2 + len)));
      this.buf = this.buf.subarray(2 + len);
    }
    return out;
  }
}

/** A message with its two-byte length prefix. */
export function frameDnsMessage(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}
