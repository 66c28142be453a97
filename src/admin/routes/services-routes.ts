/**
 * Hidden services (issue 6, item 4: "publish a LAN service (host:port) as an I2P site in one form,
 * show its .b32.i2p address and a QR code"). The sites are published through the LAN gateway's SAM
 * bridge (src/gateway/hidden-services.ts): with the gateway off there is no bridge, and the routes
 * answer 503 with that reason after checking their input (a malformed request is still a 400). The
 * QR code is drawn by the page from the .b32.i2p address; the server sends no image.
 */
import type { FastifyInstance } from 'fastify';
import { HiddenServiceError, isLanHost, type HiddenServices } from '../../gateway/hidden-services.js';
import { I2PBackendError } from '../../gateway/i2p-backend.js';
import { featureUnavailable, featureUnavailableSchema } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, arr, errorSchema, int, noContent, obj, route, str, type RouteSpec } from './spec.js';

const FEATURE = 'hidden services';
const NO_GATEWAY = 'no SAM bridge: hidden services are published through the LAN gateway’s SAM bridge (gateway.sam.*), and the gateway is off (gateway.enabled=false)';

const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$';

const serviceSchema = obj(
  {
    id: str('the site’s id (its name in lower case)'),
    name: str('the name given'),
    host: str('the LAN service’s IP address or host name'),
    port: int('the LAN service’s TCP port; visitors reach it on any port of the site (the SAM 3.1 bridge has no ports)'),
    b32: str('the site’s .b32.i2p address (stays the same across restarts)'),
    createdAt: int('when it was created, ms since epoch'),
    state: str('starting: the SAM session is being created; published: reachable from I2P; error: see reason; stopped', { enum: ['starting', 'published', 'error', 'stopped'] }),
    reason: str('why it is not published (state error, or starting again after the bridge went away)'),
  },
  { required: ['id', 'name', 'host', 'port', 'b32', 'createdAt', 'state'] },
);

const unavailableSchema = { ...featureUnavailableSchema, description: 'no SAM bridge: the LAN gateway is off, or its SAM bridge cannot be reached (detail says which)' };

export const SERVICES_ROUTES = {
  list: {
    method: 'GET',
    url: `${API_PREFIX}/services`,
    group: 'Hidden services',
    summary: 'The published I2P sites (with their .b32.i2p addresses and whether they are reachable)',
    auth: 'session',
    schema: { response: { 200: obj({ services: arr(serviceSchema) }), 503: unavailableSchema } },
  },
  create: {
    method: 'POST',
    url: `${API_PREFIX}/services`,
    group: 'Hidden services',
    summary: 'Publish a LAN service (host:port) as an I2P site',
    description:
      'Asks the SAM bridge for a new destination (DEST GENERATE, Ed25519), keeps its keys in the datadir and publishes the site in the background (state starting, then published; a LeaseSet can take a minute or two to be found). The answer carries the site’s .b32.i2p address; the page draws its QR code.',
    auth: 'session',
    schema: {
      body: obj(
        {
          name: str('a name for the site (letters, digits, -)', { pattern: ID_PATTERN }),
          host: str('the LAN service’s IP address or host name', { minLength: 1, maxLength: 253 }),
          port: int('the LAN service’s TCP port', { minimum: 1, maximum: 65535 }),
        },
        { required: ['name', 'host', 'port'] },
      ),
      response: { 201: serviceSchema, 400: errorSchema('invalid input'), 409: errorSchema('a site of that name exists, or there are too many'), 503: unavailableSchema },
    },
  },
  remove: {
    method: 'DELETE',
    url: `${API_PREFIX}/services/:id`,
    group: 'Hidden services',
    summary: 'Stop publishing an I2P site (its keys are deleted: its address is gone for good)',
    auth: 'session',
    schema: {
      params: obj({ id: str('the site’s id', { pattern: ID_PATTERN }) }),
      response: { 204: noContent('removed'), 404: errorSchema('no such site'), 503: unavailableSchema },
    },
  },
} satisfies Record<string, RouteSpec>;

export function registerServicesRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const hs = (): HiddenServices | undefined => deps.hiddenServices;
  const noGateway = featureUnavailable(FEATURE, NO_GATEWAY);
  route(app, SERVICES_ROUTES.list, async (_request, reply) => {
    const h = hs();
    if (!h) return reply.code(503).send(noGateway);
    return { services: h.list() };
  });
  route(app, SERVICES_ROUTES.create, async (request, reply) => {
    const body = request.body as { name: string; host: string; port: number };
    if (!isLanHost(body.host)) return reply.code(400).send({ error: 'invalid input', detail: `host: "${body.host}" is neither an IP address nor a host name` });
    const h = hs();
    if (!h) return reply.code(503).send(noGateway);
    try {
      return reply.code(201).send(await h.create(body));
    } catch (e) {
      if (e instanceof HiddenServiceError) return reply.code(e.kind === 'invalid' ? 400 : 409).send({ error: e.kind === 'invalid' ? 'invalid input' : 'conflict', detail: e.message });
      if (e instanceof I2PBackendError) {
        const b = h.bridge;
        return reply.code(503).send(featureUnavailable(FEATURE, `no SAM bridge: the one at ${b.host}:${b.port} could not make a destination (${e.message})`));
      }
      throw e;
    }
  });
  route(app, SERVICES_ROUTES.remove, async (request, reply) => {
    const h = hs();
    if (!h) return reply.code(503).send(noGateway);
    try {
      await h.remove((request.params as { id: string }).id.toLowerCase());
    } catch (e) {
      if (e instanceof HiddenServiceError && e.kind === 'not-found') return reply.code(404).send({ error: 'not found', detail: e.message });
      throw e;
    }
    return reply.code(204).send();
  });
}
