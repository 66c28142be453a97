/**
 * The tunnel endpoint's reassembly (tunnels-implementation.html "Endpoint Processing",
 * tunnel-message.rst): decrypted tunnel messages in, I2NP messages with their delivery
 * instructions out. Sans-IO: the caller passes the time.
 *
 * Tunnel messages "may be dropped or reordered", so fragments are accepted in any order and a
 * partial message waits at most `timeoutMs` for the rest ("The endpoint will attempt to rebuild
 * the I2NP message from the fragments for a short period of time, but will discard them as
 * necessary"). Everything held is bounded — number of partial messages and bytes, per tunnel and
 * optionally across tunnels through a shared ReassemblyBudget — because the gateway of a tunnel
 * (for an outbound endpoint: any tunnel creator) can send endless first fragments that never
 * complete. Whatever is dropped is counted by reason.
 */
import { decodeStandard, type I2NPMessage } from '../i2np/message.js';
import { ProtocolError } from '../util/errors.js';
import { MAX_FRAGMENT_NUMBER, decodeTunnelMessage, type FirstFragment, type FollowOnFragment, type TunnelDeliveryInstructions } from './tunnel-message.js';

export interface DeliveredMessage {
  delivery: TunnelDeliveryInstructions;
  message: I2NPMessage;
  /** The message as reassembled (standard 16-byte header): forwarded as-is by an outbound
   * endpoint inside TunnelGateway, without re-encoding. */
  data: Buffer;
}

/** i2pd and Java I2P give up on a partial message after about ten seconds. */
export const DEFAULT_REASSEMBLY_TIMEOUT_MS = 10_000;
/** The most one message can hold: 64 fragments of at most a whole tunnel message each. */
const MAX_MESSAGE_FRAGMENT_BYTES = (MAX_FRAGMENT_NUMBER + 1) * 1003;

export interface ReassemblerOptions {
  /** Partial messages kept at once (default 64); the oldest is dropped to make room. */
  maxPendingMessages?: number;
  /** Fragment bytes kept at once (default 256 KiB, at least one maximal message). */
  maxPendingBytes?: number;
  timeoutMs?: number;
  /** Shared by the reassemblers of many tunnels to bound their sum (transit endpoints). */
  budget?: ReassemblyBudget;
}

/**
 * A byte allowance shared by many reassemblers. When it is exhausted a new fragment is dropped
 * (counted as 'budget') rather than evicting another tunnel's partial messages, so one tunnel's
 * flood cannot destroy the others' work; each tunnel's own limits stay in force.
 */
export class ReassemblyBudget {
  used = 0;
  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`invalid reassembly budget ${limit}`);
  }
}

export interface ReassemblerCounters {
  /** Tunnel messages whose checksum and structure were good. */
  tunnelMessages: number;
  fragments: number;
  delivered: number;
  /** Drops by reason: DataFormatError codes of bad tunnel messages ('checksum', ...),
   * 'duplicate-fragment', 'inconsistent', 'timeout', 'evicted', 'budget', 'bad-i2np'. */
  dropped: Record<string, number>;
}

/** The instructions with their hash copied out of the tunnel message (which is not kept). */
function ownDelivery(d: TunnelDeliveryInstructions): TunnelDeliveryInstructions {
  if (d.kind === 'tunnel') return { kind: d.kind, tunnelId: d.tunnelId, gateway: Buffer.from(d.gateway) };
  return d.kind === 'router' ? { kind: d.kind, hash: Buffer.from(d.hash) } : d;
}

/** One message being reassembled. */
class Partial {
  readonly fragments: (Buffer | undefined)[] = [];
  delivery: TunnelDeliveryInstructions | undefined;
  /** The last fragment's number once it has arrived. */
  lastNumber = -1;
  highestNumber = 0;
  received = 0;
  bytes = 0;
  constructor(readonly created: number) {}

  get complete(): boolean {
    return this.delivery !== undefined && this.received === this.lastNumber + 1;
  }
}

export class TunnelEndpointReassembler {
  readonly counters: ReassemblerCounters = { tunnelMessages: 0, fragments: 0, delivered: 0, dropped: {} };
  private readonly maxPendingMessages: number;
  private readonly maxPendingBytes: number;
  private readonly timeoutMs: number;
  private readonly budget: ReassemblyBudget | undefined;
  /** By fragment message id, in creation order (so the oldest comes first). */
  private readonly pending = new Map<number, Partial>();
  private bytes = 0;

  constructor(opts: ReassemblerOptions = {}) {
    this.maxPendingMessages = opts.maxPendingMessages ?? 64;
    this.maxPendingBytes = opts.maxPendingBytes ?? 256 * 1024;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REASSEMBLY_TIMEOUT_MS;
    this.budget = opts.budget;
    if (!Number.isInteger(this.maxPendingMessages) || this.maxPendingMessages < 1) throw new RangeError('maxPendingMessages must be at least 1');
    if (!(this.maxPendingBytes >= MAX_MESSAGE_FRAGMENT_BYTES)) throw new RangeError(`maxPendingBytes must be at least ${MAX_MESSAGE_FRAGMENT_BYTES}`);
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
  }

  get pendingMessages(): number {
    return this.pending.size;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  /**
   * Takes one decrypted 1028-byte tunnel message. Bad ones (checksum, structure) are dropped and
   * counted, never thrown; complete I2NP messages come back in the order they completed.
   */
  receive(tunnelMessage: Buffer, now: number): DeliveredMessage[] {
    this.expire(now);
    let fragments;
    try {
      fragments = decodeTunnelMessage(tunnelMessage).fragments;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.drop(e.code);
      return [];
    }
    this.counters.tunnelMessages++;
    const out: DeliveredMessage[] = [];
    for (const f of fragments) {
      this.counters.fragments++;
      if (!f.followOn && f.msgId === undefined) this.deliver(f.delivery, f.data, out);
      else this.addFragment(f, now, out);
    }
    return out;
  }

  /** Drops partial messages older than the timeout. */
  expire(now: number): void {
    for (const [id, p] of this.pending) {
      if (p.created + this.timeoutMs > now) break; // creation order: the rest are younger
      this.remove(id, p, 'timeout');
    }
  }

  private addFragment(f: FirstFragment | FollowOnFragment, now: number, out: DeliveredMessage[]): void {
    const id = f.msgId!;
    const number = f.followOn ? f.fragmentNumber : 0;
    let p = this.pending.get(id);
    if (p?.fragments[number] !== undefined) return this.drop('duplicate-fragment');
    const size = f.data.length;
    if (this.budget !== undefined && this.budget.used + size > this.budget.limit) return this.drop('budget');
    if (p === undefined) {
      this.makeRoom(size, true);
      p = new Partial(now);
      this.pending.set(id, p);
    } else this.makeRoom(size, false, id);
    if (f.followOn) {
      // Fragment numbers beyond the last one, or two different last fragments, mean the
      // fragments do not belong together: the whole message is unusable.
      const badLast = f.last && (p.lastNumber >= 0 || f.fragmentNumber < p.highestNumber);
      if (badLast || (p.lastNumber >= 0 && f.fragmentNumber > p.lastNumber)) return this.remove(id, p, 'inconsistent');
      if (f.last) p.lastNumber = f.fragmentNumber;
      p.highestNumber = Math.max(p.highestNumber, f.fragmentNumber);
    } else p.delivery = ownDelivery(f.delivery);
    // Copy: the fragment is a view into the whole tunnel message, which must not be kept alive.
    // Into memory of its own (not Node's shared 8 KiB pool slabs, which one long-lived fragment
    // would pin), so that the bytes counted are the bytes held.
    const copy = Buffer.allocUnsafeSlow(size);
    f.data.copy(copy);
    p.fragments[number] = copy;
    p.received++;
    p.bytes += size;
    this.bytes += size;
    if (this.budget !== undefined) this.budget.used += size;
    if (p.complete) {
      const data = Buffer.concat(p.fragments as Buffer[]);
      this.release(id, p);
      this.deliver(p.delivery!, data, out);
    }
  }

  /** Evicts the oldest partial messages (never `keep`) until `size` more bytes and, for a new
   * message, one more entry fit. */
  private makeRoom(size: number, newMessage: boolean, keep?: number): void {
    for (const [id, p] of this.pending) {
      const full = this.bytes + size > this.maxPendingBytes || (newMessage && this.pending.size >= this.maxPendingMessages);
      if (!full) return;
      if (id !== keep) this.remove(id, p, 'evicted');
    }
  }

  private deliver(delivery: TunnelDeliveryInstructions, data: Buffer, out: DeliveredMessage[]): void {
    let message: I2NPMessage;
    try {
      message = decodeStandard(data);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.drop('bad-i2np');
    }
    this.counters.delivered++;
    out.push({ delivery, message, data });
  }

  private remove(id: number, p: Partial, reason: string): void {
    this.release(id, p);
    this.drop(reason);
  }

  private release(id: number, p: Partial): void {
    this.pending.delete(id);
    this.bytes -= p.bytes;
    if (this.budget !== undefined) this.budget.used -= p.bytes;
  }

  private drop(reason: string): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  /** Drops everything held (tunnel expired); returns the budget's share. */
  clear(): void {
    for (const [id, p] of this.pending) this.release(id, p);
  }
}
