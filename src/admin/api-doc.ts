/**
 * docs/api.md, generated from the route specs (./routes/): the same schemas Fastify validates and
 * serializes with. `npm run docs:api` writes it; a test fails when the file differs from what this
 * produces, so the documentation cannot drift from the server.
 */
import { ALL_ROUTES } from './routes/index.js';
import { API_PREFIX, isStateChanging, type RouteSpec } from './routes/spec.js';
import { ROLLBACK_DEFAULT_S } from './settings/settings-service.js';

type Schema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  pattern?: string;
  default?: unknown;
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

function isNotAvailable(s: Schema): boolean {
  return s.type === 'object' && s.properties?.available !== undefined && s.properties?.reason !== undefined && Object.keys(s.properties).length === 2;
}

/** A one-line type expression. */
function typeOf(s: Schema): string {
  if (s.anyOf) return s.anyOf.map((x) => (isNotAvailable(x) ? 'NotAvailable' : x.type === 'null' ? 'null' : typeOf(x))).join(' or ');
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') {
    const v = s.additionalProperties;
    return `map of string → ${Object.keys(v).length === 0 ? 'any' : typeOf(v)}`;
  }
  if (s.type === 'object' && !s.properties) return 'object';
  return s.type ?? 'any';
}

function notes(s: Schema): string {
  if (s.anyOf) {
    const real = s.anyOf.filter((x) => !isNotAvailable(x) && x.type !== 'null');
    return [s.description ? escape(s.description) : '', real.length === 1 ? notes(real[0]!) : ''].filter((x) => x !== '').join('; ');
  }
  const n: string[] = [];
  if (s.description) n.push(s.description);
  if (s.enum) n.push(`one of ${s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) n.push(`length ${s.minLength ?? 0}–${s.maxLength ?? '∞'}`);
  if (s.minimum !== undefined || s.maximum !== undefined) n.push(`${s.minimum ?? '−∞'}–${s.maximum ?? '∞'}`);
  if (s.minItems !== undefined && s.minItems === s.maxItems) n.push(`exactly ${s.minItems} items`);
  if (s.minProperties) n.push(`at least ${s.minProperties} key${s.minProperties > 1 ? 's' : ''}`);
  if (s.pattern) n.push(`pattern \`${s.pattern}\``);
  if (s.default !== undefined) n.push(`default \`${JSON.stringify(s.default)}\``);
  return escape(n.join('; '));
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The object schema to descend into, if the field has one (through arrays and "X or NotAvailable/null"). */
function inner(s: Schema): { schema: Schema; suffix: string } | undefined {
  if (s.anyOf) {
    const real = s.anyOf.filter((x) => !isNotAvailable(x) && x.type !== 'null');
    return real.length === 1 ? inner(real[0]!) : undefined;
  }
  if (s.type === 'object' && s.properties) return { schema: s, suffix: '' };
  if (s.type === 'array' && s.items) {
    const i = inner(s.items);
    return i ? { schema: i.schema, suffix: `[]${i.suffix}` } : undefined;
  }
  return undefined;
}

function rows(s: Schema, prefix: string, out: string[]): void {
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    const path = `${prefix}${name}`;
    const required = (s.required ?? []).includes(name) ? 'yes' : 'no';
    out.push(`| \`${path}\` | ${typeOf(p)} | ${required} | ${notes(p)} |`);
    const i = inner(p);
    if (i) rows(i.schema, `${path}${i.suffix}.`, out);
  }
}

function table(s: Schema): string[] {
  const i = inner(s);
  if (!i) return [`${typeOf(s)}${s.description ? ` — ${notes(s)}` : ''}`, ''];
  const out = ['| field | type | required | notes |', '|---|---|---|---|'];
  rows(i.schema, i.suffix ? `${i.suffix}.` : '', out);
  if (i.schema.properties && Object.keys(i.schema.properties).length === 0) out.push('| (none) | | | |');
  return [...out, ''];
}

function anchor(r: RouteSpec): string {
  return `${r.method} ${r.url}`
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

function renderRoute(r: RouteSpec): string[] {
  const out = [`### ${r.method} ${r.url}`, '', r.summary + '.', ''];
  if (r.description) out.push(r.description, '');
  const facts = [
    `**Auth:** ${r.auth === 'public' ? 'none (public)' : 'logged-in session'}`,
    `**CSRF token:** ${isStateChanging(r.method) ? 'required' : 'no'}`,
    `**Rate limit:** ${r.rateLimit === 'password' ? 'password checks: 5 per minute per client, 30 per minute overall (plus the general limit)' : 'general'}`,
  ];
  if (r.bodyLimit) facts.push(`**Body limit:** ${Math.round(r.bodyLimit / 1024 / 1024)} MiB`);
  out.push(facts.join(' · '), '');
  const s = r.schema as { params?: Schema; querystring?: Schema; body?: Schema; response: Record<string, Schema> };
  if (s.params) out.push('**Path parameters**', '', ...table(s.params));
  if (s.querystring) out.push('**Query parameters** (all optional)', '', ...table(s.querystring));
  if (s.body) out.push('**Body** (`application/json`)', '', ...table(s.body));
  out.push('**Responses**', '');
  for (const [code, schema] of Object.entries(s.response)) {
    const c = Number(code);
    const kind = c === 200 && r.produces ? ` (\`${r.produces}\`)` : '';
    if (schema.type === 'null') {
      out.push(`- **${c} ${STATUS_TEXT[c] ?? ''}** — ${schema.description ?? ''}; no body`, '');
      continue;
    }
    if (schema.type === 'string') {
      out.push(`- **${c} ${STATUS_TEXT[c] ?? ''}**${kind} — ${schema.description ?? ''}`, '');
      continue;
    }
    out.push(`- **${c} ${STATUS_TEXT[c] ?? ''}**${kind}${schema.description ? ` — ${schema.description}` : ''}`, '');
    out.push(...table(schema));
  }
  const implied: string[] = [];
  if (s.body || s.querystring || s.params) implied.push('400 (input does not match the schema)');
  if (r.auth === 'session') implied.push('401 (not logged in)');
  if (isStateChanging(r.method)) implied.push('403 (missing or invalid CSRF token)');
  implied.push('429 (rate limit)');
  out.push(`Also: ${implied.join(', ')} — see [Errors](#errors).`, '');
  return out;
}

const CONVENTIONS = `# GarlicGate admin API, version 1

> **Generated** from the route schemas in \`src/admin/routes/\` by \`npm run docs:api\`. Do not edit by hand:
> \`test/unit/admin/api-doc.test.ts\` fails when this file differs from the routes the server registers.

The JSON API of the admin web UI (issue 6). The server is part of the router process (\`src/admin\`); the page in
\`webui/\` is built on this API only.

## Conventions

- **Where:** \`http://<box>:<http.port>/\` (default port 7070), on the LAN address and loopback only — never the WAN
  (\`http.address\`: \`127.0.0.1\` by default; \`0.0.0.0\` means the LAN address and loopback). Plain HTTP on the LAN.
- **Base path:** \`${API_PREFIX}\`. Everything else on the server is the static page (\`webui/dist\`).
- **JSON:** request bodies must be \`application/json\` (anything else: 415); answers are \`application/json; charset=utf-8\`
  unless a route says otherwise. A POST/PUT/DELETE sent without a body counts as \`{}\`. Unknown body fields are
  refused (400). Times are milliseconds since the Unix epoch
  unless named otherwise; sizes are bytes; rates are bytes per second.
- **Host check (DNS rebinding):** a request whose \`Host\` header is not one of the box's names (\`localhost\`, its
  hostname, \`<hostname>.local\`, the \`http.hostname\` names) or addresses is answered **403** \`{"error":"host not allowed"}\`
  before anything else.
- **Security headers** on every answer (helmet): a strict Content-Security-Policy (\`default-src 'self'\`, no inline
  scripts or styles, \`img-src 'self' data:\`, \`frame-ancestors 'none'\`), \`X-Content-Type-Options: nosniff\`,
  \`Referrer-Policy: no-referrer\`, and the others helmet sets. No HSTS (plain HTTP).

### Sessions and the first run

- The session is a cookie \`gg_session\`: \`HttpOnly\`, \`SameSite=Strict\`, \`Path=/\`, with an expiry 60 minutes ahead that
  every answer renews; a session also ends 12 hours after its login. Sessions live in the router's memory: a restart
  logs everyone out. At most 64 sessions exist (anonymous ones are evicted first).
- **There is no default password.** \`GET ${API_PREFIX}/status\` says \`firstRun: true\` until the owner sets one. Flow:
  1. \`GET ${API_PREFIX}/status\` → \`firstRun\`, \`authenticated\`.
  2. \`GET ${API_PREFIX}/auth/csrf\` → \`csrfToken\` (this also creates the session cookie).
  3. First run: \`POST ${API_PREFIX}/auth/first-run\` \`{"password"}\` with header \`x-csrf-token\`; otherwise
     \`POST ${API_PREFIX}/auth/login\` \`{"password"}\`. Both answer a **new** \`csrfToken\` (the session id changes at login):
     use it for every later state change.
  4. \`POST ${API_PREFIX}/auth/logout\` ends the session.
- Without a logged-in session every route answers **401** \`{"error":"not logged in","firstRun":bool}\`, except the four
  public ones: \`GET /status\`, \`GET /auth/csrf\`, \`POST /auth/first-run\`, \`POST /auth/login\` (a test enumerates every
  route and checks this).

### CSRF

Every \`POST\`, \`PUT\` and \`DELETE\` — login and first-run included — needs the header \`x-csrf-token\` with a token of the
session's secret (from \`GET ${API_PREFIX}/auth/csrf\`, or the \`csrfToken\` of the login / first-run answer). Missing or
wrong: **403** \`{"error":"missing or invalid CSRF token"}\`. Tokens are only accepted in that header.

### Rate limits

600 requests per minute per client address (every answer carries \`x-ratelimit-limit\`, \`x-ratelimit-remaining\`,
\`x-ratelimit-reset\`). The routes that check the owner password (first-run, login, password change, factory reset)
also allow 5 attempts per minute per client and 30 per minute from all clients together. Over a limit: **429**
\`{"error","detail"}\` with \`Retry-After\` (seconds).

### Errors

Every error answer is a JSON object with \`error\` (words for a person) and often \`detail\`, plus route-specific fields
(\`reasons\`, \`reason\`, \`restored\`, \`firstRun\`) listed with each route.

| status | when |
|---|---|
| 400 | the input does not match the route's schema (\`detail\` names the field), or a value is refused (\`reasons\` per field) |
| 401 | not logged in (\`firstRun\` tells whether a password exists), or a wrong password where one is asked |
| 403 | foreign \`Host\` header; missing or invalid CSRF token |
| 404 | no such route or item |
| 409 | conflicts: the item exists, a settings change is already pending, first run already done |
| 413 | body larger than the route's limit (1 MiB unless stated) |
| 415 | body not \`application/json\` |
| 429 | rate limit (see above) |
| 500 | internal error (logged); or a settings/restore step that failed (its \`error\` says what and whether it was undone) |
| 503 | the feature does not exist in the router yet: \`{"error":"not available yet","feature","detail"}\`; or too many open event streams |

### Values that are not available

Parts of the router that do not exist yet are never given invented numbers. A **value** that cannot be known is the
object \`{"available": false, "reason": "..."}\` in its place — written **NotAvailable** in the tables below (e.g. a
field typed \`integer or NotAvailable\`). A **feature** that does not exist yet answers **503**
\`{"error": "not available yet", "feature", "detail"}\` (after checking its input: bad input is still 400).

### Event streams

\`GET ${API_PREFIX}/dashboard/stream\` and \`GET ${API_PREFIX}/logs/stream\` are Server-Sent Events (use \`EventSource\`; the
session cookie goes with it). Each event has \`event:\` and one line of JSON \`data:\`; log events also carry \`id:\`
(EventSource's \`Last-Event-ID\` resumes after it). A \`: keep-alive\` comment comes every 15 s; \`retry: 3000\` is sent
first. A stream ends when its session ends. At most 16 streams are open on the server; more answer 503.

### Settings: apply, then confirm

\`PUT ${API_PREFIX}/settings\` applies a change **at once** and answers \`pending.id\` and \`pending.deadline\`. The page must
then call \`POST ${API_PREFIX}/settings/confirm\` \`{"id"}\` before the deadline (default ${ROLLBACK_DEFAULT_S} s) — from a fresh
request, which proves the owner can still reach the UI — or the old values are put back automatically (LuCI-style).
Nothing is written to the config file until the confirmation. \`GET ${API_PREFIX}/settings\` shows a pending change and
how the last one ended (\`lastOutcome\`).
`;

export function renderApiDoc(routes: readonly RouteSpec[] = ALL_ROUTES): string {
  const out = [CONVENTIONS, '## Routes', '', '| method | path | auth | summary |', '|---|---|---|---|'];
  for (const r of routes) out.push(`| ${r.method} | [\`${r.url}\`](#${anchor(r)}) | ${r.auth} | ${r.summary.replace(/\|/g, '\\|')} |`);
  out.push('');
  let group = '';
  for (const r of routes) {
    if (r.group !== group) {
      group = r.group;
      out.push(`## ${group}`, '');
    }
    out.push(...renderRoute(r));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
