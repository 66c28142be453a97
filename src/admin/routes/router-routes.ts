/** Peers, tunnels and the netDb (issue 6, item 4): sortable tables, sorted and paged on the server. */
import type { FastifyInstance } from 'fastify';
import { notAvailable, notAvailableSchema } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { tunnelCountsSchema } from './dashboard-routes.js';
import { API_PREFIX, arr, bool, int, obj, oneOfStr, page, pagedResponse, pageQuery, record, route, str, type PageQuery, type RouteSpec } from './spec.js';

const PEER_SORT = ['hash', 'address', 'port', 'inbound', 'establishedAt', 'bytesIn', 'bytesOut', 'caps', 'version'] as const;
const TRANSIT_SORT = ['role', 'receiveTunnelId', 'next', 'createdAt', 'expiresAt', 'messages', 'bytes'] as const;

const peerSchema = obj({
  hash: str('router hash, I2P base64'),
  address: str(),
  port: int(),
  inbound: bool('the peer connected to us'),
  establishedAt: int(),
  bytesIn: int(),
  bytesOut: int(),
  caps: str('the peer’s published caps'),
  version: str('the peer’s router.version ("" when none)'),
});

const tunnelSchema = obj({
  id: int(),
  direction: oneOfStr(['inbound', 'outbound']),
  hops: arr(str(), 'router hashes (I2P base64) in message order'),
  createdAt: int(),
  expiresAt: int(),
  state: str(),
  latencyMs: { type: ['integer', 'null'], description: 'round trip of the last test; null when not tested yet' },
});

const transitSchema = obj({
  role: str('participant, inbound gateway (ibgw) or outbound endpoint (obep)'),
  receiveTunnelId: int(),
  next: str('next hop, I2P base64'),
  createdAt: int(),
  expiresAt: int(),
  messages: int('messages relayed'),
  bytes: int('bytes relayed'),
});

export const ROUTER_ROUTES = {
  peers: {
    method: 'GET',
    url: `${API_PREFIX}/peers`,
    group: 'Router',
    summary: 'Connected peers (NTCP2 sessions), sortable',
    auth: 'session',
    schema: { querystring: pageQuery(PEER_SORT, 'establishedAt'), response: { 200: pagedResponse(peerSchema, 'one page of peers') } },
  },
  tunnels: {
    method: 'GET',
    url: `${API_PREFIX}/tunnels`,
    group: 'Router',
    summary: 'Our tunnels: counts, the exploratory tunnels',
    auth: 'session',
    schema: {
      response: {
        200: obj({
          counts: tunnelCountsSchema,
          exploratory: arr(tunnelSchema, 'exploratory tunnels that can carry traffic'),
          client: { ...notAvailableSchema, description: 'client tunnels per destination: not available yet (no destinations exist)' },
        }),
      },
    },
  },
  transit: {
    method: 'GET',
    url: `${API_PREFIX}/tunnels/transit`,
    group: 'Router',
    summary: 'Transit tunnels we carry for others, sortable',
    auth: 'session',
    schema: { querystring: pageQuery(TRANSIT_SORT, 'createdAt'), response: { 200: pagedResponse(transitSchema, 'one page of transit tunnels') } },
  },
  netdb: {
    method: 'GET',
    url: `${API_PREFIX}/netdb`,
    group: 'Router',
    summary: 'netDb summary: what we know, by caps and version, and the netDb’s counters',
    auth: 'session',
    schema: {
      response: {
        200: obj({
          routerInfos: int(),
          floodfills: int('usable floodfills'),
          leaseSets: int(),
          caps: obj({
            bandwidth: record(int(), 'known routers by bandwidth class letter'),
            floodfill: int('known routers with caps f'),
            reachable: int('caps R'),
            unreachable: int('caps U'),
          }),
          versions: record(int(), 'known routers by router.version: the 10 most common, the rest as "other"'),
          counters: record({}, 'the netDb’s counters (numbers, or maps of numbers by reason): lookups, publishing, floodfill role, ...'),
          reseeding: bool(),
        }),
      },
    },
  },
} satisfies Record<string, RouteSpec>;

export function registerRouterRoutes(app: FastifyInstance, deps: AdminDeps): void {
  route(app, ROUTER_ROUTES.peers, async (request) => page(deps.router.peers(), request.query as PageQuery));

  route(app, ROUTER_ROUTES.tunnels, async () => ({
    counts: deps.router.tunnelCounts(),
    exploratory: deps.router.exploratoryTunnels().map((t) => ({ ...t, latencyMs: t.latencyMs ?? null })),
    client: notAvailable(),
  }));

  route(app, ROUTER_ROUTES.transit, async (request) => page(deps.router.transitTunnels(), request.query as PageQuery));

  route(app, ROUTER_ROUTES.netdb, async () => ({ ...deps.router.netDbSummary(), reseeding: deps.router.isReseeding() }));
}
