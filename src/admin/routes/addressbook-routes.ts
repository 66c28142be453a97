/**
 * The address book (issue 6, item 4: add, remove, import subscriptions): name → destination entries
 * kept in the data directory (../addressbook/address-book.ts), a hosts.txt import, and subscription
 * URLs, fetched over I2P through the LAN gateway's backend (../addressbook/subscriptions.ts);
 * without the gateway, fetching answers "not available".
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AddressBookError, MAX_ENTRIES } from '../addressbook/address-book.js';
import { featureUnavailable, featureUnavailableSchema, notAvailable, notAvailableSchema } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, arr, bool, errorSchema, int, noContent, obj, oneOfStr, page, record, route, str, type RouteSpec } from './spec.js';

const entrySchema = obj({
  name: str('lower case, ends with .i2p'),
  destination: str('I2P base64 Destination'),
  b32: str('the .b32.i2p address of the destination'),
  addedAt: int(),
});

const subscriptionSchema = obj({ id: str('16 hex digits'), url: str(), addedAt: int() });

const subscriptionStatusSchema = obj(
  {
    id: str('16 hex digits'),
    url: str(),
    lastFetchAt: int(),
    result: oneOfStr(['imported', 'not-modified', 'failed']),
    detail: str(),
    added: int('names added by this fetch'),
  },
  { required: ['id', 'url', 'lastFetchAt', 'result', 'detail'] },
);

const reasonsSchema = record(str(), 'a reason per field (`name`, `destination`, `url`)');

export const ADDRESSBOOK_ROUTES = {
  list: {
    method: 'GET',
    url: `${API_PREFIX}/addressbook`,
    group: 'Address book',
    summary: 'Entries, sorted by name or date, filtered by a substring of the name or b32 address',
    auth: 'session',
    schema: {
      querystring: obj(
        {
          search: str('substring of the name or .b32.i2p address', { maxLength: 100 }),
          sort: { ...oneOfStr(['name', 'addedAt']), default: 'name' },
          order: { ...oneOfStr(['asc', 'desc']), default: 'asc' },
          limit: int(undefined, { minimum: 1, maximum: 1000, default: 100 }),
          offset: int(undefined, { minimum: 0, maximum: MAX_ENTRIES, default: 0 }),
        },
        { required: [] },
      ),
      response: { 200: obj({ total: int('matching entries'), offset: int(), limit: int(), rows: arr(entrySchema) }) },
    },
  },
  add: {
    method: 'POST',
    url: `${API_PREFIX}/addressbook`,
    group: 'Address book',
    summary: 'Add an entry (names follow the I2P naming rules; the destination is parsed)',
    auth: 'session',
    schema: {
      body: obj(
        {
          name: str('e.g. example.i2p', { minLength: 1, maxLength: 100 }),
          destination: str('I2P base64 Destination (516–616 characters)', { minLength: 1, maxLength: 1000 }),
          replace: bool('replace an entry with the same name (default false)'),
        },
        { required: ['name', 'destination'] },
      ),
      response: {
        201: entrySchema,
        400: errorSchema('refused', { reasons: reasonsSchema }),
        409: errorSchema('the name is already in the address book (send replace: true to change it)'),
        507: errorSchema('the address book is full'),
      },
    },
  },
  remove: {
    method: 'DELETE',
    url: `${API_PREFIX}/addressbook/:name`,
    group: 'Address book',
    summary: 'Remove an entry',
    auth: 'session',
    schema: {
      params: obj({ name: str(undefined, { minLength: 1, maxLength: 100 }) }),
      response: { 204: noContent('removed'), 404: errorSchema('no such entry') },
    },
  },
  import: {
    method: 'POST',
    url: `${API_PREFIX}/addressbook/import`,
    group: 'Address book',
    summary: 'Import hosts.txt text (name=destination lines)',
    description: '`#` comments and the `#!key=value` suffixes of the subscription format are ignored. Each refused line is counted, the first 100 with their reason.',
    auth: 'session',
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      body: obj({ hostsTxt: str('the hosts.txt text (up to 16 MiB)'), replace: bool('replace entries whose name exists with another destination (default false)') }, { required: ['hostsTxt'] }),
      response: {
        200: obj({
          added: int(),
          replaced: int(),
          unchanged: int('already present with the same destination'),
          conflicts: int('present with another destination, left alone'),
          rejectedCount: int(),
          rejected: arr(obj({ line: int('line number, from 1'), reason: str() }), 'the first 100 refused lines'),
        }),
      },
    },
  },
  subscriptions: {
    method: 'GET',
    url: `${API_PREFIX}/addressbook/subscriptions`,
    group: 'Address book',
    summary: 'The subscription URLs',
    auth: 'session',
    schema: {
      response: {
        200: obj({
          subscriptions: arr(subscriptionSchema),
          fetching: {
            anyOf: [arr(subscriptionStatusSchema, 'the last fetch of each subscription fetched so far'), notAvailableSchema],
            description: 'fetching needs the LAN gateway’s way into I2P (gateway.enabled): without it, not available',
          },
        }),
      },
    },
  },
  addSubscription: {
    method: 'POST',
    url: `${API_PREFIX}/addressbook/subscriptions`,
    group: 'Address book',
    summary: 'Add a subscription URL (http://…i2p/…)',
    auth: 'session',
    schema: {
      body: obj({ url: str('e.g. http://reg.i2p/hosts.txt', { minLength: 1, maxLength: 512 }) }),
      response: { 201: subscriptionSchema, 400: errorSchema('refused', { reasons: reasonsSchema }), 409: errorSchema('already listed'), 507: errorSchema('too many subscriptions') },
    },
  },
  removeSubscription: {
    method: 'DELETE',
    url: `${API_PREFIX}/addressbook/subscriptions/:id`,
    group: 'Address book',
    summary: 'Remove a subscription',
    auth: 'session',
    schema: {
      params: obj({ id: str(undefined, { pattern: '^[0-9a-f]{16}$' }) }),
      response: { 204: noContent('removed'), 404: errorSchema('no such subscription') },
    },
  },
  fetchSubscriptions: {
    method: 'POST',
    url: `${API_PREFIX}/addressbook/subscriptions/fetch`,
    group: 'Address book',
    summary: 'Fetch the subscriptions now',
    description:
      'Each subscription is fetched over I2P (HTTP/1.0 GET through the gateway’s I2P backend, conditional on the previous answer’s ETag / Last-Modified) and its hosts.txt imported; names already in the book are never replaced. Answers when all are done (up to 3 minutes each). Also done 5 minutes after start and every 12 hours.',
    auth: 'session',
    schema: { response: { 200: obj({ results: arr(subscriptionStatusSchema) }), 503: featureUnavailableSchema } },
  },
} satisfies Record<string, RouteSpec>;

function sendBookError(reply: FastifyReply, e: unknown): FastifyReply {
  if (!(e instanceof AddressBookError)) throw e;
  switch (e.code) {
    case 'invalid':
      return reply.code(400).send({ error: e.message, reasons: e.reasons });
    case 'exists':
      return reply.code(409).send({ error: e.message });
    case 'not-found':
      return reply.code(404).send({ error: e.message });
    case 'full':
      return reply.code(507).send({ error: e.message });
  }
}

export function registerAddressBookRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const book = deps.addressBook;

  route(app, ADDRESSBOOK_ROUTES.list, async (request) => {
    const q = request.query as { search?: string; sort: 'name' | 'addedAt'; order: 'asc' | 'desc'; limit: number; offset: number };
    return page(book.list(q.search ?? ''), q);
  });

  route(app, ADDRESSBOOK_ROUTES.add, async (request, reply) => {
    const b = request.body as { name: string; destination: string; replace?: boolean };
    try {
      return reply.code(201).send(await book.add(b.name, b.destination, b.replace ?? false));
    } catch (e) {
      return sendBookError(reply, e);
    }
  });

  route(app, ADDRESSBOOK_ROUTES.remove, async (request, reply) => {
    try {
      await book.remove((request.params as { name: string }).name);
      return reply.code(204).send();
    } catch (e) {
      return sendBookError(reply, e);
    }
  });

  route(app, ADDRESSBOOK_ROUTES.import, async (request) => {
    const b = request.body as { hostsTxt: string; replace?: boolean };
    const r = await book.importHostsTxt(b.hostsTxt, b.replace ?? false);
    deps.log.info({ added: r.added, replaced: r.replaced, rejected: r.rejectedCount }, 'address book import');
    return r;
  });

  const noBackend = 'fetching subscriptions needs the LAN gateway’s way into I2P (gateway.enabled)';
  route(app, ADDRESSBOOK_ROUTES.subscriptions, async () => ({
    subscriptions: book.subscriptions(),
    fetching: deps.subscriptions.available ? deps.subscriptions.statuses() : notAvailable(noBackend),
  }));

  route(app, ADDRESSBOOK_ROUTES.addSubscription, async (request, reply) => {
    try {
      return reply.code(201).send(await book.addSubscription((request.body as { url: string }).url));
    } catch (e) {
      return sendBookError(reply, e);
    }
  });

  route(app, ADDRESSBOOK_ROUTES.removeSubscription, async (request, reply) => {
    try {
      await book.removeSubscription((request.params as { id: string }).id);
      return reply.code(204).send();
    } catch (e) {
      return sendBookError(reply, e);
    }
  });

  route(app, ADDRESSBOOK_ROUTES.fetchSubscriptions, async (_request, reply) => {
    if (!deps.subscriptions.available) return reply.code(503).send(featureUnavailable('address book subscriptions', noBackend));
    return { results: await deps.subscriptions.updateAll() };
  });
}
