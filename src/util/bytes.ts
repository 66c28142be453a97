import { DataFormatError } from './errors.js';

/**
 * Bounds-checked big-endian reader over a Buffer. Every read checks the remaining length
 * first and throws DataFormatError on truncation, so parsers never trust a length blindly.
 */
export class ByteReader {
  offset: number;
  readonly end: number;
  constructor(readonly buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) throw new DataFormatError('reader bounds out of range');
    this.offset = offset;
    this.end = end;
  }
  get remaining(): number {
    return this.end - this.offset;
  }
  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new DataFormatError(`truncated: need ${n} bytes for ${what}, have ${this.end - this.offset}`, 'truncated');
    }
  }
  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.offset++]!;
  }
  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  /** Returns a view (no copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  rest(): Buffer {
    const v = this.buf.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }
  /** A sub-reader over the next n bytes; advances this reader past them. */
  sub(n: number, what = 'sub-structure'): ByteReader {
    this.need(n, what);
    const r = new ByteReader(this.buf, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }
  expectEnd(what: string): void {
    if (this.offset !== this.end) throw new DataFormatError(`${this.end - this.offset} trailing bytes after ${what}`, 'trailing');
  }
}

/** Growable big-endian writer. */
export class ByteWriter {
  private chunks: Buffer[] = [];
  private length = 0;
  u8(v: number): this {
    return this.push(Buffer.of(v & 0xff));
  }
  u16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }
  u64(v: bigint | number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(BigInt(v));
    return this.push(b);
  }
  bytes(b: Uint8Array): this {
    return this.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  get size(): number {
    return this.length;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
  private push(b: Buffer): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
}
