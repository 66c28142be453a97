/**
 * Hidden services (issue 6, item 4: "publish a LAN service (host:port) as an I2P site in one form,
 * show its .b32.i2p address and a QR code"). Publishing needs destinations, LeaseSets and streaming,
 * which the router does not have yet: the routes exist and check their input (a malformed request is
 * still a 400 with the reason), then answer 503 "not available yet". The QR code will be drawn by the
 * page from the .b32.i2p address; the server sends no image.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { featureUnavailable, featureUnavailableSchema } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, errorSchema, int, obj, route, str, type RouteSpec } from './spec.js';

const FEATURE = 'hidden services';
const WHY = 'the router cannot publish I2P sites yet: destinations, LeaseSets and streaming do not exist in it';

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export const SERVICES_ROUTES = {
  list: {
    method: 'GET',
    url: `${API_PREFIX}/services`,
    group: 'Hidden services',
    summary: 'The published I2P sites (with their .b32.i2p addresses)',
    auth: 'session',
    schema: { response: { 503: featureUnavailableSchema } },
  },
  create: {
    method: 'POST',
    url: `${API_PREFIX}/services`,
    group: 'Hidden services',
    summary: 'Publish a LAN service (host:port) as an I2P site',
    description: 'When available, the answer will carry the new site’s .b32.i2p address; the page draws its QR code.',
    auth: 'session',
    schema: {
      body: obj(
        {
          name: str('a name for the site (letters, digits, -)', { pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$' }),
          host: str('the LAN service’s IP address or host name', { minLength: 1, maxLength: 253 }),
          port: int('the LAN service’s TCP port', { minimum: 1, maximum: 65535 }),
          i2pPort: int('the port the site answers on inside I2P (default: the same as port)', { minimum: 1, maximum: 65535 }),
        },
        { required: ['name', 'host', 'port'] },
      ),
      response: { 400: errorSchema('invalid input'), 503: featureUnavailableSchema },
    },
  },
  remove: {
    method: 'DELETE',
    url: `${API_PREFIX}/services/:id`,
    group: 'Hidden services',
    summary: 'Stop publishing an I2P site',
    auth: 'session',
    schema: {
      params: obj({ id: str('the site’s id', { pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$' }) }),
      response: { 503: featureUnavailableSchema },
    },
  },
} satisfies Record<string, RouteSpec>;

export function registerServicesRoutes(app: FastifyInstance, _deps: AdminDeps): void {
  const unavailable = featureUnavailable(FEATURE, WHY);
  route(app, SERVICES_ROUTES.list, async (_request, reply) => reply.code(503).send(unavailable));
  route(app, SERVICES_ROUTES.create, async (request, reply) => {
    const { host } = request.body as { host: string };
    if (isIP(host) === 0 && !HOST_NAME.test(host)) return reply.code(400).send({ error: 'invalid input', detail: `host: "${host}" is neither an IP address nor a host name` });
    return reply.code(503).send(unavailable);
  });
  route(app, SERVICES_ROUTES.remove, async (_request, reply) => reply.code(503).send(unavailable));
}
