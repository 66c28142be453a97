/** Every API route: the specs (for the docs and the route tests) and their registration. */
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from './deps.js';
import type { RouteSpec } from './spec.js';
import { ADDRESSBOOK_ROUTES, registerAddressBookRoutes } from './addressbook-routes.js';
import { AUTH_ROUTES, registerAuthRoutes } from './auth-routes.js';
import { BACKUP_ROUTES, registerBackupRoutes } from './backup-routes.js';
import { DASHBOARD_ROUTES, registerDashboardRoutes } from './dashboard-routes.js';
import { DIAGNOSTICS_ROUTES, registerDiagnosticsRoutes } from './diagnostics-routes.js';
import { LOGS_ROUTES, registerLogsRoutes } from './logs-routes.js';
import { ROUTER_ROUTES, registerRouterRoutes } from './router-routes.js';
import { SERVICES_ROUTES, registerServicesRoutes } from './services-routes.js';
import { SETTINGS_ROUTES, registerSettingsRoutes } from './settings-routes.js';
import { SYSTEM_ROUTES, registerSystemRoutes } from './system-routes.js';

/** In documentation order. */
export const ALL_ROUTES: readonly RouteSpec[] = [
  AUTH_ROUTES,
  DASHBOARD_ROUTES,
  ROUTER_ROUTES,
  SERVICES_ROUTES,
  ADDRESSBOOK_ROUTES,
  SETTINGS_ROUTES,
  LOGS_ROUTES,
  DIAGNOSTICS_ROUTES,
  BACKUP_ROUTES,
  SYSTEM_ROUTES,
].flatMap((group) => Object.values(group) as RouteSpec[]);

export function registerApiRoutes(app: FastifyInstance, deps: AdminDeps): void {
  registerAuthRoutes(app, deps);
  registerDashboardRoutes(app, deps);
  registerRouterRoutes(app, deps);
  registerServicesRoutes(app, deps);
  registerAddressBookRoutes(app, deps);
  registerSettingsRoutes(app, deps);
  registerLogsRoutes(app, deps);
  registerDiagnosticsRoutes(app, deps);
  registerBackupRoutes(app, deps);
  registerSystemRoutes(app, deps);
}
