/**
 * The SAM v3 commands the gateway uses and what their replies mean (api-samv3): HELLO, SESSION
 * CREATE (STYLE=STREAM), NAMING LOOKUP, STREAM CONNECT, and for hidden services DEST GENERATE and
 * STREAM FORWARD. Pure: a command is a line plus the reply
 * it expects; a reply is turned into a value or a RESULT code, and a reply that does not say what
 * the spec says it must (no RESULT, OK without VERSION/VALUE, a VALUE that is no Destination) throws
 * SamProtocolError.
 */
import { isIP } from 'node:net';
import { isDestinationBase64 } from './i2p-name.js';
import { parsePrivateKeys, type PrivateKeys } from './private-keys.js';
import { SamProtocolError, formatSamCommand, type SamReply } from './sam-line.js';

/** A command line and the `COMMAND SUBCOMMAND` of the reply that answers it. */
export interface SamCommand {
  readonly line: Buffer;
  readonly reply: { readonly command: string; readonly subcommand: string };
  /** STREAM CONNECT: after `RESULT=OK` the socket carries the stream's bytes, not lines. */
  readonly streamOnOk?: boolean;
}

/** A reply with RESULT other than OK: the code and the bridge's optional MESSAGE. */
export interface SamFailure {
  readonly ok: false;
  readonly result: string;
  readonly message: string | undefined;
}
export type SamOutcome<T> = { readonly ok: true; readonly value: T } | SamFailure;

// --- HELLO ------------------------------------------------------------------------------------------

export interface SamVersionRange {
  min: string;
  max: string;
}

/**
 * 3.1 is the floor: it brings SIGNATURE_TYPE (without it a transient destination is DSA_SHA1).
 * 3.2 adds FROM_PORT/TO_PORT and PING; 3.3 PRIMARY sessions. i2pd 2.45.1 answers 3.1.
 */
export const SAM_VERSIONS: SamVersionRange = { min: '3.1', max: '3.3' };

function versionNumber(v: string): number | undefined {
  const m = /^(\d)(?:\.(\d{1,2}))?$/.exec(v);
  return m ? Number(m[1]) * 100 + Number(m[2] ?? 0) : undefined;
}

export function compareSamVersions(a: string, b: string): number {
  const x = versionNumber(a);
  const y = versionNumber(b);
  if (x === undefined || y === undefined) throw new RangeError(`not a SAM version: ${a} / ${b}`);
  return x - y;
}

export function helloCommand(range: SamVersionRange = SAM_VERSIONS): SamCommand {
  return {
    line: formatSamCommand('HELLO', 'VERSION', [
      ['MIN', range.min],
      ['MAX', range.max],
    ]),
    reply: { command: 'HELLO', subcommand: 'REPLY' },
  };
}

function resultOf(reply: SamReply): string {
  const result = reply.options.get('RESULT');
  if (result === undefined || result === '') {
    throw new SamProtocolError('missing-result', `${reply.command} ${reply.subcommand ?? ''} without RESULT`);
  }
  return result;
}

function failure(reply: SamReply, result: string): SamFailure {
  return { ok: false, result, message: reply.options.get('MESSAGE') };
}

/** `HELLO REPLY RESULT=OK VERSION=3.1` → the negotiated version, which must lie in `range`. */
export function helloOutcome(reply: SamReply, range: SamVersionRange = SAM_VERSIONS): SamOutcome<string> {
  const result = resultOf(reply);
  if (result !== 'OK') return failure(reply, result);
  const version = reply.options.get('VERSION') ?? '';
  if (versionNumber(version) === undefined) throw new SamProtocolError('bad-version', `HELLO REPLY with VERSION ${JSON.stringify(version.slice(0, 20))}`);
  if (compareSamVersions(version, range.min) < 0 || compareSamVersions(version, range.max) > 0) {
    throw new SamProtocolError('bad-version', `bridge chose SAM ${version}, outside ${range.min}–${range.max}`);
  }
  return { ok: true, value: version };
}

// --- SESSION CREATE -----------------------------------------------------------------------------------

/** Session ids: no whitespace (api-samv3), and none of i2pd's refused `< > " ' /`. */
const SESSION_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `SESSION CREATE STYLE=STREAM ID=<id> DESTINATION=TRANSIENT SIGNATURE_TYPE=7
 * i2cp.leaseSetEncType=4,0 [options]`: a fresh Ed25519 destination whose LeaseSet offers
 * ECIES-X25519 and ElGamal (api-samv3 "Signature and Encryption Types"); I2CP options such as tunnel
 * lengths and quantities follow.
 */
export function sessionCreateCommand(
  id: string,
  options: ReadonlyArray<readonly [string, string]> = [],
  signatureType = 7,
  leaseSetEncType = '4,0',
  privateKeys?: string,
): SamCommand {
  if (!SESSION_ID.test(id)) throw new RangeError(`bad SAM session id ${JSON.stringify(id)}`);
  // A persistent destination (a hidden service): DESTINATION carries its private keys, whose own
  // certificate fixes the signature type, so SIGNATURE_TYPE is left out (api-samv3 "SESSION CREATE").
  if (privateKeys !== undefined && !/^[A-Za-z0-9~-]+={0,2}$/.test(privateKeys)) throw new RangeError('SAM private keys are not I2P base64');
  return {
    line: formatSamCommand('SESSION', 'CREATE', [
      ['STYLE', 'STREAM'],
      ['ID', id],
      ['DESTINATION', privateKeys ?? 'TRANSIENT'],
      ...(privateKeys === undefined ? [['SIGNATURE_TYPE', String(signatureType)] as const] : []),
      ['i2cp.leaseSetEncType', leaseSetEncType],
      ...options,
    ]),
    reply: { command: 'SESSION', subcommand: 'STATUS' },
  };
}

/**
 * `SESSION STATUS RESULT=OK DESTINATION=<private keys>`. The private keys of a transient
 * destination are of no use to us and are not kept; only their presence is checked.
 */
export function sessionStatusOutcome(reply: SamReply): SamOutcome<void> {
  const result = resultOf(reply);
  if (result !== 'OK') return failure(reply, result);
  if (!reply.options.get('DESTINATION')) throw new SamProtocolError('malformed', 'SESSION STATUS RESULT=OK without DESTINATION');
  return { ok: true, value: undefined };
}

// --- NAMING LOOKUP --------------------------------------------------------------------------------------

/** `NAMING LOOKUP NAME=<name>`; the name must have been checked (parseI2PName). */
export function namingLookupCommand(name: string): SamCommand {
  return { line: formatSamCommand('NAMING', 'LOOKUP', [['NAME', name]]), reply: { command: 'NAMING', subcommand: 'REPLY' } };
}

/**
 * `NAMING REPLY RESULT=OK NAME=.. VALUE=<destination>` → the destination (checked to be one).
 * NAME is not compared with the request: i2pd answers `NAME=ME` whatever was asked.
 */
export function namingOutcome(reply: SamReply): SamOutcome<string> {
  const result = resultOf(reply);
  if (result !== 'OK') return failure(reply, result);
  const value = reply.options.get('VALUE') ?? '';
  if (!isDestinationBase64(value)) throw new SamProtocolError('bad-destination', 'NAMING REPLY RESULT=OK without a valid Destination in VALUE');
  return { ok: true, value };
}

// --- STREAM CONNECT --------------------------------------------------------------------------------------

/**
 * `STREAM CONNECT ID=<id> DESTINATION=<b64 or name> SILENT=false [TO_PORT=<port>]`. TO_PORT is a
 * SAM 3.2 option; a 3.1 bridge (i2pd 2.45.1) ignores keys it does not know, and i2pd's server
 * tunnels mostly ignore ports, so it is sent whenever a port is asked for.
 */
export function streamConnectCommand(id: string, destination: string, toPort?: number): SamCommand {
  if (!SESSION_ID.test(id)) throw new RangeError(`bad SAM session id ${JSON.stringify(id)}`);
  const options: [string, string][] = [
    ['ID', id],
    ['DESTINATION', destination],
    ['SILENT', 'false'],
  ];
  if (toPort !== undefined) {
    if (!Number.isInteger(toPort) || toPort < 0 || toPort > 65535) throw new RangeError(`bad I2CP port ${toPort}`);
    options.push(['TO_PORT', String(toPort)]);
  }
  return { line: formatSamCommand('STREAM', 'CONNECT', options), reply: { command: 'STREAM', subcommand: 'STATUS' }, streamOnOk: true };
}

/** `STREAM STATUS RESULT=OK`: from here on the socket is the stream. */
export function streamStatusOutcome(reply: SamReply): SamOutcome<void> {
  const result = resultOf(reply);
  return result === 'OK' ? { ok: true, value: undefined } : failure(reply, result);
}

// --- DEST GENERATE ---------------------------------------------------------------------------------------

/** `DEST GENERATE SIGNATURE_TYPE=7`: a new persistent destination (api-samv3 "Destination Key Generation"). */
export function destGenerateCommand(signatureType = 7): SamCommand {
  if (!Number.isInteger(signatureType) || signatureType < 0 || signatureType > 65535) throw new RangeError(`bad signature type ${signatureType}`);
  return { line: formatSamCommand('DEST', 'GENERATE', [['SIGNATURE_TYPE', String(signatureType)]]), reply: { command: 'DEST', subcommand: 'REPLY' } };
}

export interface GeneratedDestination {
  /** I2P base64 of the Destination. */
  readonly destination: string;
  /** I2P base64 of the PrivateKeyFile: Destination, private key, signing private key. */
  readonly privateKeys: string;
}

/**
 * `DEST REPLY PUB=<destination> PRIV=<private keys>`. The reply has no RESULT on success (the spec
 * lists none; i2pd and Java I2P send `RESULT=I2P_ERROR` only on failure). PRIV must start with PUB
 * and parse as a private key file of that destination (parsePrivateKeys), or the reply is refused.
 */
export function destReplyOutcome(reply: SamReply): SamOutcome<GeneratedDestination> {
  const result = reply.options.get('RESULT');
  if (result !== undefined && result !== 'OK') return failure(reply, result);
  const pub = reply.options.get('PUB') ?? '';
  const priv = reply.options.get('PRIV') ?? '';
  if (!isDestinationBase64(pub)) throw new SamProtocolError('bad-destination', 'DEST REPLY without a valid Destination in PUB');
  let keys: PrivateKeys;
  try {
    keys = parsePrivateKeys(priv);
  } catch (e) {
    throw new SamProtocolError('bad-destination', `DEST REPLY: PRIV is no private key file (${(e as Error).message})`);
  }
  if (keys.destination !== pub) throw new SamProtocolError('bad-destination', 'DEST REPLY: PRIV is not the private key file of PUB');
  return { ok: true, value: { destination: pub, privateKeys: priv } };
}

// --- STREAM FORWARD ----------------------------------------------------------------------------------------

/**
 * `STREAM FORWARD ID=<id> PORT=<port> HOST=<ip> SILENT=false` (api-samv3 "Virtual Streams: FORWARD"):
 * the bridge connects to host:port for every incoming stream and, as SILENT=false, first writes the
 * peer's destination on a line (forward-header.ts). The bridge needs an IP address (i2pd parses
 * HOST as one), and the forwarding lasts as long as this socket stays open.
 */
export function streamForwardCommand(id: string, port: number, host: string): SamCommand {
  if (!SESSION_ID.test(id)) throw new RangeError(`bad SAM session id ${JSON.stringify(id)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad forward port ${port}`);
  if (isIP(host) === 0) throw new RangeError(`forward host must be an IP address: ${JSON.stringify(host)}`);
  return {
    line: formatSamCommand('STREAM', 'FORWARD', [
      ['ID', id],
      ['PORT', String(port)],
      ['HOST', host],
      ['SILENT', 'false'],
    ]),
    reply: { command: 'STREAM', subcommand: 'STATUS' },
  };
}
