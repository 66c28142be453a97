/**
 * JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification), as used by I2PControl
 * (docs/api-i2pcontrol.html, "JSON-RPC 2 format"). Pure functions: text in, validated requests
 * and response objects out. Request bodies are hostile input; every field is checked before use.
 */

export type JsonRpcId = string | number | null;

/** Standard JSON-RPC 2.0 error codes (also listed in the I2PControl spec, "Error codes"). */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
} as const;

const STANDARD_MESSAGES: Record<number, string> = {
  [-32700]: 'JSON parse error.',
  [-32600]: 'Invalid request.',
  [-32601]: 'Method not found.',
  [-32602]: 'Invalid parameters.',
  [-32603]: 'Internal error.',
};

/** An error to be answered as a JSON-RPC error object; thrown by method implementations. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message?: string, data?: unknown) {
    super(message ?? STANDARD_MESSAGES[code] ?? 'Error.');
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

/** Named parameters only: I2PControl's spec says "Parameters are only provided in a named way (maps)". */
export type NamedParams = Record<string, unknown>;

export interface JsonRpcRequest {
  method: string;
  params: NamedParams;
  /** The request's id; null when it was given as null. Meaningless for notifications. */
  id: JsonRpcId;
  /** No `id` member at all: JSON-RPC says the server must not answer it. */
  notification: boolean;
}

export interface JsonRpcSuccess {
  id: JsonRpcId;
  result: unknown;
  jsonrpc: '2.0';
}

export interface JsonRpcFailure {
  id: JsonRpcId;
  error: { code: number; message: string; data?: unknown };
  jsonrpc: '2.0';
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

// Member order id, result/error, jsonrpc: the order i2pd writes (irrelevant to JSON parsers, but it
// keeps byte-level diffs against i2pd's answers readable).
export function successResponse(id: JsonRpcId, result: unknown): JsonRpcSuccess {
  return { id, result, jsonrpc: '2.0' };
}

export function errorResponse(id: JsonRpcId, error: RpcError): JsonRpcFailure {
  const e: JsonRpcFailure['error'] = { code: error.code, message: error.message };
  if (error.data !== undefined) e.data = error.data;
  return { id, error: e, jsonrpc: '2.0' };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type ParsedBody =
  | { kind: 'single'; message: unknown }
  | { kind: 'batch'; messages: unknown[] }
  | { kind: 'invalid'; response: JsonRpcFailure };

/**
 * Decode and parse a request body. Invalid UTF-8 and invalid JSON are parse errors (-32700); an
 * empty batch, or one longer than `maxBatch`, is an invalid request (-32600), answered once.
 */
export function parseBody(body: Uint8Array | string, maxBatch: number): ParsedBody {
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    return { kind: 'invalid', response: errorResponse(null, new RpcError(JsonRpcErrorCode.ParseError, 'JSON parse error: the body is not UTF-8.')) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { kind: 'invalid', response: errorResponse(null, new RpcError(JsonRpcErrorCode.ParseError, `JSON parse error: ${(e as Error).message}`)) };
  }
  if (!Array.isArray(value)) return { kind: 'single', message: value };
  if (value.length === 0) {
    return { kind: 'invalid', response: errorResponse(null, new RpcError(JsonRpcErrorCode.InvalidRequest, 'Invalid request: empty batch.')) };
  }
  if (value.length > maxBatch) {
    return {
      kind: 'invalid',
      response: errorResponse(null, new RpcError(JsonRpcErrorCode.InvalidRequest, `Invalid request: a batch may hold at most ${maxBatch} requests.`)),
    };
  }
  return { kind: 'batch', messages: value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/**
 * Check one request object. Returns the request, or the error response to send (with id null when
 * the id itself is unusable, as JSON-RPC requires).
 *
 * Leniency kept from i2pd so that scripts written for it keep working: a missing `jsonrpc` member
 * is accepted (i2pd never reads it); a present one must be "2.0". A missing `params` is an empty map.
 */
export function checkRequest(message: unknown): { ok: true; request: JsonRpcRequest } | { ok: false; response: JsonRpcFailure } {
  const invalid = (id: JsonRpcId, why: string) => ({
    ok: false as const,
    response: errorResponse(id, new RpcError(JsonRpcErrorCode.InvalidRequest, `Invalid request: ${why}.`)),
  });
  if (!isPlainObject(message)) return invalid(null, 'a request must be a JSON object');
  const notification = !has(message, 'id');
  let id: JsonRpcId = null;
  if (!notification) {
    const raw = message.id;
    if (raw === null || typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw))) id = raw;
    else return invalid(null, '"id" must be a string, a number or null');
  }
  if (has(message, 'jsonrpc') && message.jsonrpc !== '2.0') return invalid(id, '"jsonrpc" must be "2.0"');
  if (typeof message.method !== 'string') return invalid(id, '"method" must be a string');
  let params: NamedParams = {};
  if (has(message, 'params')) {
    const p = message.params;
    if (Array.isArray(p)) {
      return { ok: false, response: errorResponse(id, new RpcError(JsonRpcErrorCode.InvalidParams, 'Invalid parameters: I2PControl takes named parameters (an object), not an array.')) };
    }
    if (!isPlainObject(p)) return invalid(id, '"params" must be an object');
    params = p;
  }
  return { ok: true, request: { method: message.method, params, id, notification } };
}

/** The value of a named parameter, or undefined when absent (own members only: no prototype keys). */
export function param(params: NamedParams, name: string): unknown {
  return has(params, name) ? params[name] : undefined;
}
