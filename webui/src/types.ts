/**
 * The answers of the admin API the page reads (docs/api.md). Where the server serializes one of its
 * own types as it is, the page uses that type (type-only imports: nothing of the server is bundled,
 * and a change on one side is a compile error on the other); the rest is written here as the wire
 * carries it.
 */
import type { DashboardHistory, DashboardSnapshot } from '../../src/admin/dashboard.js';
import type { AdminNetDbSummary, AdminPeer, AdminTransitTunnel, AdminTunnel, AdminTunnelCounts } from '../../src/admin/router-view.js';
import type { AddressBookEntry, ImportResult, Subscription } from '../../src/admin/addressbook/address-book.js';
import type { SubscriptionStatus } from '../../src/admin/addressbook/subscriptions.js';
import type { BackupListing } from '../../src/admin/backup/backup-service.js';
import type { SettingsView, SettingView, ApplyResult } from '../../src/admin/settings/settings-service.js';
import type { TransactionOutcome } from '../../src/admin/settings/transaction.js';
import type { LogLevelName } from '../../src/admin/log-buffer.js';
import type { Maybe } from '../../src/admin/not-available.js';

export type { BandwidthPoint } from '../../src/admin/dashboard.js';
export type { ComponentStatus } from '../../src/admin/gateway-status.js';
export type { AddressBookEntry, BackupListing, ImportResult, Subscription, SubscriptionStatus };
export type { SettingKind, SettingValue } from '../../src/admin/settings/settings-spec.js';

export type TunnelCounts = AdminTunnelCounts;
export type Snapshot = DashboardSnapshot;
export type History = DashboardHistory;
export type Peer = AdminPeer;
export type TransitTunnel = AdminTransitTunnel;
export type NetDbSummary = AdminNetDbSummary & { reseeding: boolean };
export type Setting = SettingView;
export type Settings = SettingsView;
export type ApplyAnswer = ApplyResult;
export type Outcome = TransactionOutcome;
export type Pending = ApplyResult['pending'] & { remainingMs?: number };

export interface Status {
  apiVersion: number;
  firstRun: boolean;
  authenticated: boolean;
  sessionExpiresAt: number | null;
}

export interface LoginAnswer {
  csrfToken: string;
  expiresAt: number;
}

export interface Page<Row> {
  total: number;
  offset: number;
  limit: number;
  rows: Row[];
}

/** On the wire an untested tunnel's latency is null. */
export type OwnTunnel = Omit<AdminTunnel, 'latencyMs'> & { latencyMs: number | null };

export interface Tunnels {
  counts: AdminTunnelCounts;
  exploratory: OwnTunnel[];
  client: Maybe<unknown>;
}

export interface Subscriptions {
  subscriptions: Subscription[];
  fetching: Maybe<SubscriptionStatus[]>;
}

export type LogLevel = LogLevelName;
export const LOG_LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** A log line as the API sends it: the level by name and the pino record parsed. */
export interface LogEntry {
  seq: number;
  level: LogLevel;
  time: number;
  record: Record<string, unknown>;
}

export interface DnsAnswer {
  name: string;
  kind: 'b32' | 'address-book';
  addressBook: { destination: string; b32: string } | null;
  network: Maybe<{ destination: string; b32: string } | null>;
}

export interface SiteTest {
  reachable: boolean;
  status?: number;
  statusText?: string;
  connectMs?: number;
  totalMs: number;
  error?: string;
  detail?: string;
}

export interface RestoreAnswer {
  restored: string[];
  listing: BackupListing;
  restartRequired: boolean;
}
