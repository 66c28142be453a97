/**
 * The tunnel build messages of i2np.rst, as arrays of opaque encrypted records:
 *
 *   TunnelBuild (21) / TunnelBuildReply (22):           exactly 8 records of 528 bytes, no count
 *   VariableTunnelBuild (23) / VariableTunnelBuildReply (24): num (1) || num x 528 bytes
 *   ShortTunnelBuild (25) / OutboundTunnelBuildReply (26):    num (1) || num x 218 bytes
 *
 * num is "Valid values: 1-8". The message length must be exactly what the count says: a build
 * message is rewritten in place hop by hop and forwarded with the same length, so trailing bytes
 * are either a bug or a marker an attacker wants carried along.
 *
 * What is inside a record (request or reply, ElGamal or ECIES) is for src/tunnel/build to decide.
 */
import { DataFormatError } from '../util/errors.js';
import { I2NPType } from './message.js';

/** Request and reply records of TunnelBuild and VariableTunnelBuild (and their replies). */
export const BUILD_RECORD_LENGTH = 528;
/** Records of ShortTunnelBuild and OutboundTunnelBuildReply (proposal 157). */
export const SHORT_BUILD_RECORD_LENGTH = 218;
/** TunnelBuild / TunnelBuildReply always carry 8 records; the variable messages 1 to 8. */
export const MAX_BUILD_RECORDS = 8;

export interface BuildMessageLayout {
  /** 528 or 218. */
  recordLength: number;
  /** Whether a 1-byte record count precedes the records (every type but 21/22). */
  counted: boolean;
}

const LONG_FIXED: BuildMessageLayout = Object.freeze({ recordLength: BUILD_RECORD_LENGTH, counted: false });
const LONG_COUNTED: BuildMessageLayout = Object.freeze({ recordLength: BUILD_RECORD_LENGTH, counted: true });
const SHORT_COUNTED: BuildMessageLayout = Object.freeze({ recordLength: SHORT_BUILD_RECORD_LENGTH, counted: true });

/** The layout of a tunnel build message type, or undefined for any other I2NP type. */
export function buildMessageLayout(type: number): BuildMessageLayout | undefined {
  switch (type) {
    case I2NPType.TunnelBuild:
    case I2NPType.TunnelBuildReply:
      return LONG_FIXED;
    case I2NPType.VariableTunnelBuild:
    case I2NPType.VariableTunnelBuildReply:
      return LONG_COUNTED;
    case I2NPType.ShortTunnelBuild:
    case I2NPType.OutboundTunnelBuildReply:
      return SHORT_COUNTED;
    default:
      return undefined;
  }
}

/** Whether `type` is one of the tunnel build message types 21 to 26. */
export function isTunnelBuildType(type: number): boolean {
  return buildMessageLayout(type) !== undefined;
}

function layoutOf(type: number): BuildMessageLayout {
  const layout = buildMessageLayout(type);
  if (!layout) throw new DataFormatError(`I2NP type ${type} is not a tunnel build message`, 'type');
  return layout;
}

/**
 * Decodes the payload of a build message of `type` into its records. The records are views into
 * ONE fresh copy of the payload, so they can be rewritten in place (as a hop and the creator do)
 * without touching the caller's buffer. Throws DataFormatError on a bad count or length.
 */
export function decodeBuildRecords(type: number, payload: Buffer): Buffer[] {
  const layout = layoutOf(type);
  let count: number;
  let offset = 0;
  if (layout.counted) {
    if (payload.length < 1) throw new DataFormatError(`empty I2NP ${type} message`, 'truncated');
    count = payload[0]!;
    offset = 1;
    if (count < 1 || count > MAX_BUILD_RECORDS) throw new DataFormatError(`I2NP ${type} with ${count} records`, 'record-count');
  } else {
    count = MAX_BUILD_RECORDS;
  }
  const expected = offset + count * layout.recordLength;
  if (payload.length !== expected) {
    throw new DataFormatError(`I2NP ${type} of ${count} records must be ${expected} bytes, got ${payload.length}`, payload.length < expected ? 'truncated' : 'trailing');
  }
  const copy = Buffer.from(payload.subarray(offset));
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) records.push(copy.subarray(i * layout.recordLength, (i + 1) * layout.recordLength));
  return records;
}

/** Encodes records as the payload of a build message of `type`; RangeError on a wrong count or record size. */
export function encodeBuildRecords(type: number, records: readonly Uint8Array[]): Buffer {
  const layout = buildMessageLayout(type);
  if (!layout) throw new RangeError(`I2NP type ${type} is not a tunnel build message`);
  const count = records.length;
  if (layout.counted ? count < 1 || count > MAX_BUILD_RECORDS : count !== MAX_BUILD_RECORDS) {
    throw new RangeError(`I2NP ${type} cannot carry ${count} records`);
  }
  const head = layout.counted ? 1 : 0;
  const out = Buffer.allocUnsafe(head + count * layout.recordLength);
  if (layout.counted) out[0] = count;
  records.forEach((rec, i) => {
    if (rec.length !== layout.recordLength) throw new RangeError(`build record ${i} is ${rec.length} bytes, not ${layout.recordLength}`);
    out.set(rec, head + i * layout.recordLength);
  });
  return out;
}

/**
 * The reply type an outbound endpoint sends for a request type (tunnel-creation.rst "Tunnel Build
 * Message Endpoint Handling": "the type of message and number of records must match"): 21 -> 22,
 * 23 -> 24, 25 -> 26 (proposal 157: the OBEP turns a ShortTunnelBuild into an
 * OutboundTunnelBuildReply).
 */
export function buildReplyType(requestType: number): number {
  switch (requestType) {
    case I2NPType.TunnelBuild:
      return I2NPType.TunnelBuildReply;
    case I2NPType.VariableTunnelBuild:
      return I2NPType.VariableTunnelBuildReply;
    case I2NPType.ShortTunnelBuild:
      return I2NPType.OutboundTunnelBuildReply;
    default:
      throw new RangeError(`I2NP type ${requestType} is not a tunnel build request`);
  }
}
