/**
 * Typed errors for hostile-input code. Parsers throw these; shells catch them and turn
 * them into "drop this peer" (and a counter), never a crash.
 */
export class ProtocolError extends Error {
  /** Short machine-readable reason, used as a counter/metric label. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A wire structure is malformed: truncated, oversized, or with an invalid field. */
export class DataFormatError extends ProtocolError {
  constructor(message: string, code = 'malformed') {
    super(code, message);
  }
}

/** An AEAD tag or signature did not verify. */
export class AuthenticationError extends ProtocolError {
  constructor(message: string, code = 'auth') {
    super(code, message);
  }
}
