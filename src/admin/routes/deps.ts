/** What the route handlers use: the admin server builds it (../server.ts); tests build it with a plain router view. */
import type { FastifyRequest } from 'fastify';
import type { HiddenServices } from '../../gateway/hidden-services.js';
import type { Logger } from '../../util/log.js';
import type { AddressBook } from '../addressbook/address-book.js';
import type { SubscriptionUpdater } from '../addressbook/subscriptions.js';
import type { CredentialStore } from '../auth/credentials.js';
import type { BoundedSessionStore } from '../auth/session-store.js';
import type { BackupService } from '../backup/backup-service.js';
import type { DashboardFeed } from '../dashboard.js';
import type { GatewayStatus } from '../gateway-status.js';
import type { LogRingBuffer } from '../log-buffer.js';
import type { AdminRouterView, ProcessControl } from '../router-view.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { EventStreamHub } from '../sse.js';

export interface AdminDeps {
  router: AdminRouterView;
  gateway: GatewayStatus;
  /** The hidden services manager, when the LAN gateway (and so its SAM bridge) runs. */
  hiddenServices?: HiddenServices;
  dashboard: DashboardFeed;
  logs: LogRingBuffer;
  credentials: CredentialStore;
  sessions: BoundedSessionStore;
  settings: SettingsService;
  addressBook: AddressBook;
  /** Fetches the address book's subscriptions over I2P (through the gateway's backend). */
  subscriptions: SubscriptionUpdater;
  backup: BackupService;
  process: ProcessControl;
  streams: EventStreamHub;
  /** Leaves the factory-reset marker (./../factory-reset.ts). */
  requestFactoryReset: () => Promise<void>;
  log: Logger;
  now: () => number;
  /** Idle and absolute session lifetimes, ms. */
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** Runs `fn` once the answer has been sent (restart, shutdown). */
  afterResponse: (request: FastifyRequest, fn: () => void) => void;
}
