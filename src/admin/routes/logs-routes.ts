/**
 * The router's log (issue 6, item 4: "live tail of the router's pino log with level filter"): the
 * recent lines from the ring buffer (../log-buffer.ts), and a live tail over Server-Sent Events that
 * resumes after Last-Event-ID when EventSource reconnects.
 */
import type { FastifyInstance } from 'fastify';
import { entryJson, LOG_LEVEL_NAMES, LOG_LEVELS, type LogLevelName } from '../log-buffer.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, arr, errorSchema, int, obj, oneOfStr, route, type RouteSpec } from './spec.js';

const levelQuery = { ...oneOfStr(LOG_LEVEL_NAMES, 'lowest level shown'), default: 'info' };

const entrySchema = obj({
  seq: int('increasing number of the line'),
  level: oneOfStr(LOG_LEVEL_NAMES),
  time: int('ms since epoch'),
  record: { type: 'object', description: 'the pino record as logged: level, time, msg, sub (subsystem) and fields', additionalProperties: true },
});

/** Lines sent from the buffer when a stream opens without Last-Event-ID. */
const STREAM_BACKLOG = 100;

export const LOGS_ROUTES = {
  recent: {
    method: 'GET',
    url: `${API_PREFIX}/logs`,
    group: 'Logs',
    summary: 'Recent log lines at or above a level, oldest first',
    description: 'The buffer keeps the last 2000 lines (at most 1 MiB) that the router logged at its configured --loglevel.',
    auth: 'session',
    schema: {
      querystring: obj(
        {
          level: levelQuery,
          limit: int('lines to return', { minimum: 1, maximum: 2000, default: 200 }),
          after: int('only lines with a larger seq', { minimum: 0, default: 0 }),
        },
        { required: [] },
      ),
      response: { 200: obj({ entries: arr(entrySchema) }) },
    },
  },
  stream: {
    method: 'GET',
    url: `${API_PREFIX}/logs/stream`,
    group: 'Logs',
    summary: 'Live tail (Server-Sent Events)',
    description: [
      'An `text/event-stream` of `log` events, each `data` one entry as in `GET /api/v1/logs` and `id` its seq.',
      `On opening, the last ${STREAM_BACKLOG} lines at the level are sent first, or, when the request has a Last-Event-ID header (EventSource reconnecting), the lines after it.`,
      'A reader too slow to keep up loses lines; a `dropped` event (`{"dropped": n}`) says how many.',
    ].join(' '),
    auth: 'session',
    produces: 'text/event-stream',
    schema: {
      querystring: obj({ level: levelQuery }, { required: [] }),
      response: { 200: { type: 'string', description: 'text/event-stream (see above)' }, 503: errorSchema('too many open streams') },
    },
  },
} satisfies Record<string, RouteSpec>;

export function registerLogsRoutes(app: FastifyInstance, deps: AdminDeps): void {
  route(app, LOGS_ROUTES.recent, async (request, reply) => {
    const q = request.query as { level: LogLevelName; limit: number; after: number };
    const lines = deps.logs.recent(LOG_LEVELS[q.level], q.limit, q.after).map(entryJson);
    // The records are pino's own JSON lines: spliced in, not parsed and serialized again.
    return reply.type('application/json; charset=utf-8').send(`{"entries":[${lines.join(',')}]}`);
  });

  route(app, LOGS_ROUTES.stream, async (request, reply) => {
    if (!deps.streams.hasRoom()) return reply.code(503).send({ error: 'too many open event streams' });
    const min = LOG_LEVELS[(request.query as { level: LogLevelName }).level];
    const last = Number(request.headers['last-event-id']);
    const stream = deps.streams.open(request, reply, request.session.sessionId);
    const backlog = Number.isInteger(last) && last > 0 ? deps.logs.recent(min, 2000, last) : deps.logs.recent(min, STREAM_BACKLOG);
    for (const e of backlog) stream.send('log', entryJson(e), e.seq);
    let reported = 0;
    const stop = deps.logs.follow(min, (e) => {
      if (stream.dropped > reported) {
        reported = stream.dropped;
        stream.send('dropped', JSON.stringify({ dropped: reported }));
      }
      return stream.send('log', entryJson(e), e.seq);
    });
    stream.onClose(stop);
  });
}
