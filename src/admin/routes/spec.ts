/**
 * Routes as data: each API route is a RouteSpec (method, path, who may call it, JSON schemas of its
 * input and output, a summary), registered with its handler by the route modules. The specs drive
 * Fastify's validation and serialization, the authentication and CSRF hooks (../server.ts), and
 * docs/api.md (../api-doc.ts) — so the documentation is generated from what the server enforces.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** Full path, e.g. `/api/v1/peers` (parameters as `:name`). */
  url: string;
  /** Section of the documentation. */
  group: string;
  summary: string;
  description?: string;
  /** public: callable without a session (the first-run and login allow-list); session: needs a logged-in session. */
  auth: 'public' | 'session';
  /** Stricter rate limit on top of the global one (password checks). */
  rateLimit?: 'password';
  /** What a 200 carries when it is not JSON. */
  produces?: 'text/event-stream' | 'application/octet-stream';
  /** Largest accepted request body, bytes (default: Fastify's 1 MiB). */
  bodyLimit?: number;
  schema: {
    body?: object;
    querystring?: object;
    params?: object;
    /** Status code → JSON schema (with a `description`) of the answer. */
    response: Record<number, object>;
  };
}

/** Changes state, so it needs the CSRF token. */
export function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's spec; API routes without one are refused (../server.ts). */
    spec?: RouteSpec;
  }
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Answers whose schema has `anyOf` (values that may be NotAvailable or null) are not handed to
 * Fastify's serializer: fast-json-stringify compiles each anyOf branch with Ajv on first use, which
 * made the first dashboard answer take ~140 ms on x86 (several times that on a Pi). They are sent with
 * JSON.stringify; test/unit/admin/schemas.test.ts checks real answers against their schemas instead.
 */
function serializable(response: Record<number, object>): Record<number, object> {
  return Object.fromEntries(Object.entries(response).filter(([, s]) => !JSON.stringify(s).includes('"anyOf"')));
}

/** Registers `spec` with its handler (the server's hooks read the spec: session, CSRF, rate limit). */
export function route(app: FastifyInstance, spec: RouteSpec, handler: Handler): void {
  app.route({
    method: spec.method,
    url: spec.url,
    schema: { ...spec.schema, response: serializable(spec.schema.response), summary: spec.summary, ...(spec.description ? { description: spec.description } : {}) },
    config: { spec },
    ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
    handler: handler as RouteHandlerMethod,
  });
}

// ---- schema building blocks ---------------------------------------------------------------------

type Schema = Record<string, unknown>;

export function obj(properties: Record<string, object>, opts: { required?: string[]; description?: string; open?: boolean } = {}): Schema {
  return {
    type: 'object',
    ...(opts.description ? { description: opts.description } : {}),
    required: opts.required ?? Object.keys(properties),
    additionalProperties: opts.open ?? false,
    properties,
  };
}

export const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
export const int = (description?: string, extra: Schema = {}): Schema => ({ type: 'integer', ...(description ? { description } : {}), ...extra });
export const num = (description?: string, extra: Schema = {}): Schema => ({ type: 'number', ...(description ? { description } : {}), ...extra });
export const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const arr = (items: object, description?: string, extra: Schema = {}): Schema => ({ type: 'array', items, ...(description ? { description } : {}), ...extra });
export const oneOfStr = (values: readonly string[], description?: string): Schema => ({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
/** A map with arbitrary keys. */
export const record = (values: object, description?: string): Schema => ({ type: 'object', additionalProperties: values, ...(description ? { description } : {}) });

/** Every error answer: `{ error, ... }` with optional details. */
export const errorSchema = (description: string, extra: Record<string, object> = {}): Schema =>
  obj({ error: str('what went wrong, in words'), detail: str('more about it'), ...extra }, { required: ['error'], description });

export const noContent = (description: string): Schema => ({ type: 'null', description });

/** Sorting and paging of the sortable tables: `sort`, `order`, `limit`, `offset`. */
export function pageQuery(sortFields: readonly string[], defaultSort: string, extra: Record<string, object> = {}): Schema {
  return obj(
    {
      sort: { ...oneOfStr(sortFields, 'column to sort by'), default: defaultSort },
      order: { ...oneOfStr(['asc', 'desc'], 'sort order'), default: 'asc' },
      limit: int('rows to return', { minimum: 1, maximum: 1000, default: 100 }),
      offset: int('rows to skip', { minimum: 0, maximum: 1_000_000, default: 0 }),
      ...extra,
    },
    { required: [] },
  );
}

export interface PageQuery {
  sort: string;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/** Sorts by one field (numbers numerically, strings by code point) and cuts the page: the answer of a paged route. */
export function page<T extends object>(rows: T[], q: PageQuery): { total: number; offset: number; limit: number; rows: T[] } {
  const dir = q.order === 'desc' ? -1 : 1;
  const key = q.sort as keyof T;
  const sorted = rows.slice().sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    const sx = String(x);
    const sy = String(y);
    return (sx < sy ? -1 : sx > sy ? 1 : 0) * dir;
  });
  return { total: rows.length, offset: q.offset, limit: q.limit, rows: sorted.slice(q.offset, q.offset + q.limit) };
}

export const pagedResponse = (rowSchema: object, description: string): Schema =>
  obj({ total: int('rows in the whole table'), offset: int(), limit: int(), rows: arr(rowSchema) }, { description });
