/**
 * Restart, shutdown, factory reset (issue 6, item 4). They act after the answer has been sent.
 * Restart needs a supervisor (systemd) that starts the process again; without one it is refused.
 * Factory reset asks for the owner password again, leaves a marker and restarts (or stops): the files
 * are removed at the next start, before the router runs (../factory-reset.ts).
 */
import type { FastifyInstance } from 'fastify';
import { PASSWORD_MAX_LENGTH } from '../auth/credentials.js';
import { featureUnavailable, featureUnavailableSchema } from '../not-available.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, bool, errorSchema, obj, route, str, type RouteSpec } from './spec.js';

export const FACTORY_RESET_CONFIRMATION = 'erase everything';

export const SYSTEM_ROUTES = {
  restart: {
    method: 'POST',
    url: `${API_PREFIX}/system/restart`,
    group: 'System',
    summary: 'Restart the router (the page loses its connection for a while)',
    auth: 'session',
    schema: { response: { 202: obj({ restarting: bool('true') }), 503: featureUnavailableSchema } },
  },
  shutdown: {
    method: 'POST',
    url: `${API_PREFIX}/system/shutdown`,
    group: 'System',
    summary: 'Stop the router (under systemd it may be started again by its unit’s policy)',
    auth: 'session',
    schema: {
      body: obj({ graceful: bool('let transit tunnels expire first (default false)') }, { required: [] }),
      response: { 202: obj({ stopping: bool('true') }) },
    },
  },
  factoryReset: {
    method: 'POST',
    url: `${API_PREFIX}/system/factory-reset`,
    group: 'System',
    summary: 'Erase the keys, config, address book and password, then restart',
    description: `A new router identity is created at the next start and the UI is in first-run mode again. Needs the owner password and \`confirm: "${FACTORY_RESET_CONFIRMATION}"\`. Without a supervisor the router stops instead of restarting; the files are erased when it is next started.`,
    auth: 'session',
    rateLimit: 'password',
    schema: {
      body: obj({
        password: str('the owner password', { minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
        confirm: str(`exactly "${FACTORY_RESET_CONFIRMATION}"`, { enum: [FACTORY_RESET_CONFIRMATION] }),
      }),
      response: {
        202: obj({ restarting: bool('true when the router restarts at once; false when it stops and erases at its next start') }),
        401: errorSchema('wrong password'),
      },
    },
  },
} satisfies Record<string, RouteSpec>;

export function registerSystemRoutes(app: FastifyInstance, deps: AdminDeps): void {
  route(app, SYSTEM_ROUTES.restart, async (request, reply) => {
    const restart = deps.process.restart?.bind(deps.process);
    if (!restart) return reply.code(503).send(featureUnavailable('restart', 'no supervisor (systemd) would start the router again; stop it and start it yourself'));
    deps.log.warn({ ip: request.ip }, 'restart requested from the admin UI');
    deps.afterResponse(request, restart);
    return reply.code(202).send({ restarting: true });
  });

  route(app, SYSTEM_ROUTES.shutdown, async (request, reply) => {
    const graceful = (request.body as { graceful?: boolean } | undefined)?.graceful ?? false;
    deps.log.warn({ ip: request.ip, graceful }, 'shutdown requested from the admin UI');
    deps.afterResponse(request, () => deps.process.shutdown(graceful));
    return reply.code(202).send({ stopping: true });
  });

  route(
    app,
    SYSTEM_ROUTES.factoryReset,
    async (request, reply) => {
      const { password } = request.body as { password: string };
      if (!(await deps.credentials.verify(password))) return reply.code(401).send({ error: 'wrong password' });
      await deps.requestFactoryReset();
      const restart = deps.process.restart?.bind(deps.process);
      deps.log.warn({ ip: request.ip, restart: restart !== undefined }, 'factory reset requested from the admin UI');
      deps.afterResponse(request, restart ?? (() => deps.process.shutdown(false)));
      return reply.code(202).send({ restarting: restart !== undefined });
    },
  );
}
