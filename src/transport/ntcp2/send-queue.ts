/**
 * A session's queue of I2NP messages not yet encrypted, with its size in wire bytes so that the
 * flow control can bound it in bytes (a message count says nothing about memory: one I2NP message
 * is 16 bytes or 64 KiB). Pure: no I/O, no clock.
 */
import type { I2NPMessage } from '../../i2np/message.js';
import { BLOCK_HEADER, I2NP_SHORT_HEADER } from './blocks.js';

/** Bytes a message takes inside a frame: its I2NP block (ntcp2.rst "I2NP Message" block). */
export function wireSize(m: I2NPMessage): number {
  return BLOCK_HEADER + I2NP_SHORT_HEADER + m.payload.length;
}

export class SendQueue {
  private items: I2NPMessage[] = [];
  /** Index of the oldest message: taking from the head must not shift the whole array. */
  private head = 0;
  /** Sum of wireSize() of the queued messages. */
  bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(m: I2NPMessage): void {
    this.items.push(m);
    this.bytes += wireSize(m);
  }

  /**
   * Removes and returns the oldest messages, as many as fit in `maxBytes` (at least one, so a
   * message bigger than the budget still leaves).
   */
  take(maxBytes: number): I2NPMessage[] {
    const out: I2NPMessage[] = [];
    let size = 0;
    while (this.head < this.items.length) {
      const m = this.items[this.head]!;
      const sz = wireSize(m);
      if (out.length > 0 && size + sz > maxBytes) break;
      out.push(m);
      size += sz;
      this.head++;
    }
    this.bytes -= size;
    this.compact();
    return out;
  }

  /** Empties the queue and returns what it held, oldest first. */
  clear(): I2NPMessage[] {
    const out = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return out;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
