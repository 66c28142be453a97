/**
 * The dashboard (issue 6, item 3): one snapshot for the first paint, then a stream of snapshots
 * (Server-Sent Events) aggregated on the server (../dashboard.ts) — one serialization per tick for all
 * open pages.
 */
import type { FastifyInstance } from 'fastify';
import { maybeSchema } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, arr, bool, errorSchema, int, num, obj, oneOfStr, route, str, type RouteSpec } from './spec.js';

const componentSchema = (what: string): object =>
  obj(
    {
      state: oneOfStr(['ok', 'failed', 'unknown', 'disabled', 'not-available'], 'ok: checked and working; failed: checked and not working; unknown: could not be checked; disabled: off in the config; not-available: nothing provides it yet'),
      detail: str(),
      checkedAt: int('when it was last checked (ms since epoch)'),
    },
    { required: ['state', 'detail'], description: what },
  );

export const tunnelCountsSchema = obj(
  {
    exploratoryInbound: int(),
    exploratoryOutbound: int(),
    clientPools: int('client destinations with tunnel pools'),
    clientInbound: int(),
    clientOutbound: int(),
    transit: int('transit tunnels we carry for others'),
  },
  { description: 'tunnels that can carry traffic now' },
);

const systemSchema = obj(
  {
    sampledAt: int(),
    cpu: obj({
      loadPercent: maybeSchema(num('CPU busy over the last sample, percent')),
      cores: int(),
      loadAverage: arr(num(), '1, 5 and 15 minute load averages', { minItems: 3, maxItems: 3 }),
      temperatureC: maybeSchema(num('°C')),
    }),
    memory: maybeSchema(obj({ totalBytes: int(), availableBytes: int(), usedPercent: num() })),
    disk: maybeSchema(obj({ mount: str(), totalBytes: int(), freeBytes: int(), usedPercent: num() }, { description: 'the filesystem of the data directory (the SD card on the appliance)' })),
    process: obj({ rssBytes: int(), heapUsedBytes: int(), uptimeS: int() }, { description: 'the router process' }),
  },
  { description: 'system health (CPU, memory, SD card), sampled at most every 5 s (the filesystem every 60 s)' },
);

export const snapshotSchema = obj(
  {
    at: int('when the snapshot was taken (ms since epoch)'),
    protection: obj(
      {
        state: oneOfStr(['protected', 'not-protected'], 'protected only when the firewall, the DNS server and the transparent proxy are all checked and ok'),
        reasons: arr(str(), 'why not protected (empty when protected)'),
        firewall: componentSchema('the loaded firewall compared with the settings in effect (checked every 30 s; on the appliance root checks every minute and the router reads its report)'),
        dns: componentSchema('the LAN DNS server'),
        proxy: componentSchema('the transparent proxy'),
      },
      { description: 'is the LAN protected' },
    ),
    router: obj({
      version: str(),
      routerHash: str('our router hash, I2P base64'),
      netId: int(),
      uptimeMs: int(),
      caps: str('caps of our published RouterInfo'),
      floodfill: bool(),
      published: oneOfStr(['reachable', 'firewalled'], 'what our RouterInfo says (caps R or U)'),
      reachability: maybeSchema(oneOfStr(['ok', 'firewalled', 'testing'], 'reachability as tested by peers')),
      clockSkewMs: maybeSchema(int('our clock minus the network’s')),
      reseeding: bool(),
    }),
    bandwidth: obj(
      {
        inBps: maybeSchema(int('bytes per second received, over the last tick')),
        outBps: maybeSchema(int('bytes per second sent')),
        transitBps: maybeSchema(int('bytes per second relayed for transit tunnels')),
        totalInBytes: int('since start'),
        totalOutBytes: int(),
        totalTransitBytes: int(),
      },
      { description: 'rates are not available until two samples exist ("measuring")' },
    ),
    counts: obj({ peers: int('NTCP2 sessions'), knownRouters: int('RouterInfos in the netDb'), floodfills: int(), leaseSets: int(), tunnels: tunnelCountsSchema }),
    tunnelBuildSuccess: obj(
      {
        windowMs: int(),
        started: int('builds started in the window'),
        succeeded: int(),
        percent: maybeSchema(int('succeeded / started, percent (builds still in flight count as not succeeded)')),
      },
      { description: 'tunnel build success over the last 10 minutes (exploratory and client pools)' },
    ),
    lanClients: maybeSchema(
      obj({
        count: int(),
        clients: arr(obj({ address: str(), lastSeenAt: int(), name: str('host name from DHCP') }, { required: ['address', 'lastSeenAt'] }), 'at most 50'),
      }),
    ),
    system: maybeSchema(systemSchema),
  },
  { description: 'the dashboard snapshot' },
);

export const historySchema = obj(
  {
    intervalMs: int('time between points'),
    points: arr(arr(num(), undefined, { minItems: 4, maxItems: 4 }), '`[time ms, in B/s, out B/s, transit B/s]`, oldest first, up to 150 (5 minutes)'),
  },
  { description: 'bandwidth graph history' },
);

export const DASHBOARD_ROUTES = {
  dashboard: {
    method: 'GET',
    url: `${API_PREFIX}/dashboard`,
    group: 'Dashboard',
    summary: 'The current snapshot and the bandwidth history (first paint)',
    auth: 'session',
    schema: { response: { 200: obj({ snapshot: snapshotSchema, history: historySchema }) } },
  },
  stream: {
    method: 'GET',
    url: `${API_PREFIX}/dashboard/stream`,
    group: 'Dashboard',
    summary: 'Live snapshots (Server-Sent Events)',
    description: [
      'An `text/event-stream`. Events:',
      '- `hello` once, first: `{"snapshot": Snapshot, "history": History}` (as `GET /api/v1/dashboard`);',
      '- `snapshot` every tick (2 s): `{"snapshot": Snapshot, "point": [time, in, out, transit] | null}` — append `point` to the graphs.',
      'Comments (`: keep-alive`) every 15 s. The stream ends when the session ends (logout, expiry); EventSource then reconnects and gets 401.',
      'At most 16 streams are open at once (dashboard and logs together).',
    ].join('\n'),
    auth: 'session',
    produces: 'text/event-stream',
    schema: { response: { 200: { type: 'string', description: 'text/event-stream (see above)' }, 503: errorSchema('too many open streams') } },
  },
} satisfies Record<string, RouteSpec>;

export function registerDashboardRoutes(app: FastifyInstance, deps: AdminDeps): void {
  route(app, DASHBOARD_ROUTES.dashboard, async () => deps.dashboard.current());

  route(app, DASHBOARD_ROUTES.stream, async (request, reply) => {
    if (!deps.streams.hasRoom()) return reply.code(503).send({ error: 'too many open event streams' });
    const stream = deps.streams.open(request, reply, request.session.sessionId);
    const hello = await deps.dashboard.current();
    if (!stream.send('hello', JSON.stringify(hello))) return;
    const unsubscribe = deps.dashboard.subscribe((json) => stream.send('snapshot', json));
    stream.onClose(unsubscribe);
  });
}
