/**
 * The tunnel gateway's preprocessing (tunnel-message.rst "Message preprocessing", "Ordering,
 * Batching, Packing"): I2NP messages with their delivery instructions in, plaintext 1028-byte
 * tunnel messages out (random IV, nonzero padding, checksum), ready for layer encryption.
 *
 * Packing is greedy in arrival order, which minimises the number of tunnel messages for that
 * order: a message goes whole into the current tunnel message when it fits; otherwise its first
 * fragment fills what is left and follow-on fragments (up to 996 bytes each) carry the rest, the
 * last one sharing its tunnel message with whatever comes next. The fragment number is 6 bits,
 * so a message has at most 64 fragments; one that cannot fit them even from an empty tunnel
 * message (about 62 KiB, tunnel-message.rst "I2NP Message Maximum Size") is refused.
 */
import { randomBytes } from '../crypto/index.js';
import { encodeStandard, type I2NPMessage } from '../i2np/message.js';
import {
  FOLLOW_ON_HEADER_LENGTH,
  MAX_FRAGMENT_NUMBER,
  TUNNEL_MESSAGE_CAPACITY,
  encodeTunnelMessage,
  firstFragmentHeaderLength,
  type TunnelDeliveryInstructions,
  type TunnelFragment,
} from './tunnel-message.js';

/** An I2NP message to send through a tunnel and where the endpoint is to deliver it. */
export interface GatewayMessage {
  delivery: TunnelDeliveryInstructions;
  /** The I2NP message with its standard 16-byte header: what the endpoint reassembles. */
  data: Buffer;
}

export function gatewayMessage(delivery: TunnelDeliveryInstructions, message: I2NPMessage): GatewayMessage {
  return { delivery, data: encodeStandard(message) };
}

const FOLLOW_ON_CAPACITY = TUNNEL_MESSAGE_CAPACITY - FOLLOW_ON_HEADER_LENGTH;

/**
 * The largest message (standard header included) a gateway can send with this delivery: a first
 * fragment filling an empty tunnel message and 63 full follow-on fragments.
 */
export function maxGatewayMessageLength(delivery: TunnelDeliveryInstructions): number {
  return TUNNEL_MESSAGE_CAPACITY - firstFragmentHeaderLength(delivery, true) + MAX_FRAGMENT_NUMBER * FOLLOW_ON_CAPACITY;
}

export interface FragmenterOptions {
  /** Source of IVs and padding (default: node:crypto randomBytes). */
  random?: (n: number) => Buffer;
}

export interface FragmentResult {
  /** Plaintext tunnel messages for `tunnelId`, in order. */
  tunnelMessages: Buffer[];
  /** Messages that were empty or too large to fragment; not sent. */
  refused: GatewayMessage[];
}

/** Fragmenting state for one batch: the fragments of the tunnel message being filled. */
class Packer {
  readonly out: Buffer[] = [];
  private fragments: TunnelFragment[] = [];
  free = TUNNEL_MESSAGE_CAPACITY;

  constructor(
    private readonly tunnelId: number,
    private readonly random: (n: number) => Buffer,
  ) {}

  add(f: TunnelFragment, size: number): void {
    this.fragments.push(f);
    this.free -= size;
  }

  flush(): void {
    if (this.fragments.length === 0) return;
    this.out.push(encodeTunnelMessage(this.tunnelId, this.fragments, { random: this.random }));
    this.fragments = [];
    this.free = TUNNEL_MESSAGE_CAPACITY;
  }
}

/** Follow-on fragments needed after a first fragment of `first` bytes. */
function followOnCount(length: number, first: number): number {
  return Math.ceil((length - first) / FOLLOW_ON_CAPACITY);
}

/**
 * Packs `messages` into as few tunnel messages as the greedy order allows. Pure apart from the
 * random source; `tunnelId` is written into each message (the next hop's receive id).
 */
export function fragmentMessages(tunnelId: number, messages: readonly GatewayMessage[], opts: FragmenterOptions = {}): FragmentResult {
  const p = new Packer(tunnelId, opts.random ?? randomBytes);
  const refused: GatewayMessage[] = [];
  for (const m of messages) {
    const { delivery, data } = m;
    const whole = firstFragmentHeaderLength(delivery, false) + data.length;
    if (data.length === 0 || data.length > maxGatewayMessageLength(delivery)) {
      refused.push(m);
      continue;
    }
    if (whole <= p.free) {
      p.add({ followOn: false, delivery, data }, whole);
      continue;
    }
    const header = firstFragmentHeaderLength(delivery, true);
    // Start fragmenting in what is left of the current tunnel message if at least one byte fits
    // and the rest still fits in 63 follow-on fragments; otherwise start a fresh one.
    if (p.free <= header || followOnCount(data.length, p.free - header) > MAX_FRAGMENT_NUMBER) {
      p.flush();
      if (whole <= p.free) {
        p.add({ followOn: false, delivery, data }, whole);
        continue;
      }
    }
    // Fragment ids are the I2NP message id (tunnel-message.rst: "the current implementation uses
    // I2NPMessageHeader.msg_id"), bytes 1..4 of the standard header.
    const msgId = data.length >= 5 ? data.readUInt32BE(1) : 0;
    const firstLength = p.free - header;
    p.add({ followOn: false, delivery, msgId, data: data.subarray(0, firstLength) }, p.free);
    let off = firstLength;
    for (let n = 1; off < data.length; n++) {
      p.flush();
      const size = Math.min(FOLLOW_ON_CAPACITY, data.length - off);
      const last = off + size === data.length;
      p.add({ followOn: true, fragmentNumber: n, last, msgId, data: data.subarray(off, off + size) }, FOLLOW_ON_HEADER_LENGTH + size);
      off += size;
    }
  }
  p.flush();
  return { tunnelMessages: p.out, refused };
}
