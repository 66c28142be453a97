/**
 * DNS messages for the LAN server (pure): checks a query's shape (RFC 1035 §4.1, RFC 6891 EDNS0,
 * RFC 9619 one question) and builds responses. The wire format itself is `dns-packet`'s; this
 * module decides what is acceptable from a hostile LAN and what goes back.
 */
import * as dnsPacket from 'dns-packet';

/** A query is ~20–300 bytes; anything longer is not for us. Dropped unanswered. */
export const MAX_DNS_QUERY = 4096;
/** RFC 1035 §4.2.1: a UDP answer without EDNS fits 512 bytes. */
const CLASSIC_UDP_LIMIT = 512;
/** DNS Flag Day 2020: the EDNS buffer size we advertise and never exceed. */
export const EDNS_UDP_SIZE = 1232;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

const QR = 1 << 15;
const OPCODE_MASK = 0xf << 11;
const AA = 1 << 10;
const TC = 1 << 9;
const RD = 1 << 8;
const RA = 1 << 7;
const CD = 1 << 4;

export interface Edns {
  udpPayloadSize: number;
  version: number;
}

export interface DnsQuestion {
  /** As the client wrote it (case kept: some resolvers randomise case, RFC draft 0x20). */
  name: string;
  type: string;
  class: string;
}

export interface DnsQuery {
  id: number;
  /** The header flags word as received (opcode, RD, CD are echoed). */
  flags: number;
  question: DnsQuestion;
  edns: Edns | undefined;
}

export type QueryCheck =
  | { ok: true; query: DnsQuery }
  /** Not answered at all: too short to carry an id, too long, a response, a class we cannot echo. */
  | { ok: false; drop: true; reason: string }
  /** Answered with `rcode` (FORMERR, NOTIMP, BADVERS, REFUSED), echoing what could be decoded. */
  | { ok: false; drop: false; reason: string; rcode: Rcode; id: number; flags: number; question: DnsQuestion | undefined; edns: Edns | undefined };

const KNOWN_CLASSES = new Set(['IN', 'CH', 'HS', 'CS', 'ANY']);

/** Checks a query message. Never throws. */
export function checkQuery(msg: Buffer): QueryCheck {
  if (msg.length < 12) return { ok: false, drop: true, reason: 'short' };
  if (msg.length > MAX_DNS_QUERY) return { ok: false, drop: true, reason: 'oversized' };
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  // Never answer a response: two servers would bounce errors at each other forever.
  if (flags & QR) return { ok: false, drop: true, reason: 'response' };
  const refuse = (reason: string, rcode: Rcode, question?: DnsQuestion, edns?: Edns): QueryCheck => ({ ok: false, drop: false, reason, rcode, id, flags, question, edns });
  if ((flags & OPCODE_MASK) !== 0) return refuse('opcode', RCODE.NOTIMP);
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  // RFC 9619: a query with other than one question is a format error; a query carries no answers.
  if (qdcount !== 1) return refuse('question-count', RCODE.FORMERR);
  if (ancount !== 0 || nscount !== 0) return refuse('records-in-query', RCODE.FORMERR);

  let decoded: dnsPacket.DecodedPacket;
  try {
    decoded = dnsPacket.decode(msg);
  } catch {
    return refuse('malformed', RCODE.FORMERR);
  }
  if (dnsPacket.decode.bytes !== msg.length) return refuse('trailing-bytes', RCODE.FORMERR);
  const q = decoded.questions![0]!;
  const question: DnsQuestion = { name: q.name, type: q.type, class: q.class ?? 'IN' };
  // dns-packet cannot encode a class it has no name for: such a question could not be echoed.
  if (!KNOWN_CLASSES.has(question.class)) return { ok: false, drop: true, reason: 'class' };
  // A label with a dot or bytes that are not UTF-8 does not survive decode → encode; answering it
  // would echo a different question, so it is refused without one.
  if (!sameWireName(msg, question.name)) return refuse('unrepresentable-name', RCODE.REFUSED);

  let edns: Edns | undefined;
  for (const rr of decoded.additionals ?? []) {
    if (rr.type !== 'OPT') continue; // other additional records (a TSIG we do not check) are ignored
    if (edns !== undefined) return refuse('two-opt', RCODE.FORMERR, question);
    if (rr.name !== '.') return refuse('opt-name', RCODE.FORMERR, question);
    edns = { udpPayloadSize: rr.udpPayloadSize, version: rr.ednsVersion };
  }
  // RFC 6891 §6.1.3: a version we do not implement gets BADVERS, with our version (0) in the OPT.
  if (edns !== undefined && edns.version > 0) return refuse('edns-version', RCODE.BADVERS, question, edns);
  if (question.class !== 'IN') return refuse('class', RCODE.REFUSED, question, edns);
  return { ok: true, query: { id, flags, question, edns } };
}

/** dns-packet exports its name codec, which @types/dns-packet does not declare. */
const nameCodec = (dnsPacket as unknown as { name: { encode(name: string): Buffer } }).name;

/** The question name at offset 12 re-encoded equals the received bytes (ignoring case). */
function sameWireName(msg: Buffer, name: string): boolean {
  const wire = nameCodec.encode(name);
  const got = msg.subarray(12, 12 + wire.length);
  return got.length === wire.length && got.toString('latin1').toLowerCase() === wire.toString('latin1').toLowerCase();
}

export interface ResponseParts {
  id: number;
  /** The query's flags word: opcode, RD and CD are echoed. */
  queryFlags: number;
  rcode: Rcode;
  question: DnsQuestion | undefined;
  edns: Edns | undefined;
  authoritative?: boolean;
  answers?: dnsPacket.Answer[];
  authorities?: dnsPacket.Answer[];
}

/**
 * Encodes a response. Over UDP it is cut to the client's limit (512, or its EDNS size up to
 * ours): an answer that does not fit goes back empty with TC set, so the client retries over TCP.
 */
export function encodeResponse(parts: ResponseParts, transport: 'udp' | 'tcp'): Buffer {
  const full = encode(parts, false);
  if (transport === 'tcp') return full;
  const limit = parts.edns ? Math.min(Math.max(parts.edns.udpPayloadSize, CLASSIC_UDP_LIMIT), EDNS_UDP_SIZE) : CLASSIC_UDP_LIMIT;
  return full.length <= limit ? full : encode(parts, true);
}

function encode(parts: ResponseParts, truncated: boolean): Buffer {
  let flags = QR | (parts.queryFlags & (OPCODE_MASK | RD | CD)) | RA | (parts.rcode & 0xf);
  if (parts.authoritative) flags |= AA;
  if (truncated) flags |= TC;
  const additionals: dnsPacket.Answer[] = [];
  if (parts.edns !== undefined) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: EDNS_UDP_SIZE,
      // RFC 6891 §6.1.3: the upper 8 bits of a 12-bit RCODE.
      extendedRcode: parts.rcode >> 4,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    });
  }
  return dnsPacket.encode({
    type: 'response',
    id: parts.id,
    flags,
    questions: parts.question ? [{ name: parts.question.name, type: parts.question.type as dnsPacket.RecordType, class: parts.question.class as dnsPacket.RecordClass }] : [],
    answers: truncated ? [] : (parts.answers ?? []),
    authorities: truncated ? [] : (parts.authorities ?? []),
    additionals,
  });
}
