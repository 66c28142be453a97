/**
 * The settings page's logic (issue 6, item 4): show the settings, validate a change with the
 * config's own parsers (a refused value comes back with the parser's reason), apply it through the
 * confirm-or-roll-back transaction, write the config file once confirmed.
 *
 * Three configs are in play: `running` (what is in effect now, including a pending change),
 * `committed` (what the config file and command line give — what a restart would use) and the boot
 * config (what the router started with: restart-kind settings differ from it until a restart).
 */
import { ConfigError, OPTIONS, type RouterConfig } from '../../config/options.js';
import { firewallConfigFrom, FirewallConfigError } from '../../gateway/firewall/firewall-config.js';
import type { Logger } from '../../util/log.js';
import type { RuntimeSettings } from '../router-view.js';
import { iniValue, writeConfigValues } from './config-file.js';
import { SETTINGS, SETTING_KEYS, settingHelp, settingValue, type SettingKey, type SettingKind, type SettingValue } from './settings-spec.js';
import { TransactionError, type PendingChange, type SettingsTransaction, type TransactionOutcome } from './transaction.js';

/** Puts network settings into effect: generates and loads the firewall for `config`. */
export interface NetworkApplier {
  apply(config: RouterConfig): Promise<void>;
  /**
   * Called once the config file describes the network in effect again (after a confirmation wrote
   * it, or a rollback put its values back): drop any override of it. A failure is logged only.
   */
  settled?(): Promise<void>;
}

export interface SettingsServiceOptions {
  /** The config the router started with (not modified). */
  config: RouterConfig;
  /** The INI file changes are written to (src/config/load.ts configFilePath). */
  configFile: string;
  /** Options given on the command line: they win over the file. */
  commandLine: ReadonlySet<string>;
  runtime: { applyRuntimeSettings(s: RuntimeSettings): Promise<void> };
  network: NetworkApplier;
  transaction: SettingsTransaction;
  log: Logger;
  /** The clock of the transaction's deadlines. */
  now?: () => number;
}

export const ROLLBACK_DEFAULT_S = 90;
export const ROLLBACK_MIN_S = 10;
export const ROLLBACK_MAX_S = 600;

export interface SettingView {
  key: SettingKey;
  kind: SettingKind;
  help: string;
  /** In effect now (including a pending change). */
  value: SettingValue;
  /** What the next start uses (the config file, or the command line where it sets the option). */
  configured: SettingValue;
  /** Set on the command line: the config file cannot change it. */
  commandLine: boolean;
}

export interface SettingsView {
  settings: SettingView[];
  configFile: string;
  pending: (PendingChange & { keys: SettingKey[]; remainingMs: number }) | null;
  lastOutcome: TransactionOutcome | null;
  /** Restart-kind settings whose configured value is not in effect yet. */
  restartRequired: SettingKey[];
}

export interface ApplyResult {
  pending: PendingChange & { keys: SettingKey[] };
  /** What happens to each changed key: applied now, used after a restart, or written only. */
  effects: { key: SettingKey; effect: 'applied' | 'firewall-reloaded' | 'after-restart' }[];
  /** Changed keys that are set on the command line: the file is written, but the command line still wins. */
  overriddenByCommandLine: SettingKey[];
}

/** The change was refused: a reason per key (`_network` for reasons about the combination). */
export class SettingsRejected extends Error {
  constructor(readonly reasons: Record<string, string>) {
    super(`invalid settings: ${Object.entries(reasons).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    this.name = 'SettingsRejected';
  }
}

const RUNTIME_KEYS: (keyof RuntimeSettings)[] = ['bandwidth', 'share', 'limits.transittunnels'];

function runtimeOf(c: RouterConfig): RuntimeSettings {
  return { bandwidth: c.bandwidth, share: c.share, 'limits.transittunnels': c['limits.transittunnels'] };
}

export class SettingsService {
  private running: RouterConfig;
  private committed: RouterConfig;
  private pendingKeys: SettingKey[] = [];
  private readonly boot: RouterConfig;

  constructor(private readonly opts: SettingsServiceOptions) {
    this.boot = { ...opts.config };
    this.running = { ...opts.config };
    this.committed = { ...opts.config };
  }

  /** The config in effect now (the firewall monitor compares the loaded rules with it). */
  runningConfig(): RouterConfig {
    return this.running;
  }

  view(): SettingsView {
    const now = (this.opts.now ?? Date.now)();
    const p = this.opts.transaction.pending;
    const o = this.opts.transaction.lastOutcome;
    return {
      settings: SETTING_KEYS.map((key) => ({
        key,
        kind: SETTINGS[key],
        help: settingHelp(key),
        value: settingValue(this.running, key),
        configured: settingValue(this.committed, key),
        commandLine: this.opts.commandLine.has(key),
      })),
      configFile: this.opts.configFile,
      pending: p ? { ...p, keys: this.pendingKeys, remainingMs: Math.max(0, p.deadline - now) } : null,
      lastOutcome: o ?? null,
      restartRequired: SETTING_KEYS.filter((k) => SETTINGS[k] === 'restart' && this.committed[k] !== this.boot[k]),
    };
  }

  /**
   * Validates every value with its option's parser, then the combination (the firewall's own
   * validation when a network setting changes); returns the parsed values that differ from the
   * running ones. Throws SettingsRejected.
   */
  validate(changes: Record<string, SettingValue>): Map<SettingKey, unknown> {
    const reasons: Record<string, string> = {};
    const parsed = new Map<SettingKey, unknown>();
    for (const [key, raw] of Object.entries(changes)) {
      if (!Object.prototype.hasOwnProperty.call(SETTINGS, key)) {
        reasons[key] = 'not a setting the admin UI changes';
        continue;
      }
      const k = key as SettingKey;
      try {
        const v = OPTIONS[k].parse(raw === null ? '' : String(raw), k);
        if (v !== this.running[k]) parsed.set(k, v);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        reasons[k] = e.message.replace(/^option --[^:]+: /, '');
      }
    }
    if (Object.keys(reasons).length > 0) throw new SettingsRejected(reasons);
    if (parsed.size === 0) throw new SettingsRejected({ _changes: 'nothing to change: every value is already in effect' });
    const candidate = { ...this.running, ...Object.fromEntries(parsed) } as RouterConfig;
    if (candidate['gateway.mode'] === 'outproxy' && candidate['gateway.outproxy'] === undefined) {
      throw new SettingsRejected({ 'gateway.outproxy': 'outproxy mode needs an outproxy (name.i2p:port)' });
    }
    if ([...parsed.keys()].some((k) => SETTINGS[k] === 'network')) {
      try {
        firewallConfigFrom(candidate, { tcp: [], udp: [] });
      } catch (e) {
        if (!(e instanceof FirewallConfigError)) throw e;
        throw new SettingsRejected({ _network: e.message });
      }
    }
    return parsed;
  }

  /** Validates and applies; the change is pending until confirm() or the deadline. Throws SettingsRejected or TransactionError. */
  async apply(changes: Record<string, SettingValue>, rollbackSeconds = ROLLBACK_DEFAULT_S): Promise<ApplyResult> {
    if (!Number.isInteger(rollbackSeconds) || rollbackSeconds < ROLLBACK_MIN_S || rollbackSeconds > ROLLBACK_MAX_S) {
      throw new SettingsRejected({ rollbackSeconds: `must be ${ROLLBACK_MIN_S}–${ROLLBACK_MAX_S} seconds` });
    }
    if (this.opts.transaction.pending) throw new TransactionError('busy', `another change is waiting for confirmation (${this.opts.transaction.pending.id}): confirm or roll it back first`);
    const parsed = this.validate(changes);
    const keys = [...parsed.keys()];
    const old = this.running;
    const next = { ...old, ...Object.fromEntries(parsed) } as RouterConfig;
    const runtimeChanged = keys.some((k) => (RUNTIME_KEYS as string[]).includes(k));
    const networkChanged = keys.some((k) => SETTINGS[k] === 'network');
    const firewallManaged = (c: RouterConfig): boolean => c['gateway.enabled'];
    const putInEffect = async (to: RouterConfig): Promise<void> => {
      this.running = to;
      if (runtimeChanged) await this.opts.runtime.applyRuntimeSettings(runtimeOf(to));
      if (networkChanged && firewallManaged(to)) await this.opts.network.apply(to);
    };
    const pending = await this.opts.transaction.begin(
      {
        apply: () => putInEffect(next),
        revert: async () => {
          this.pendingKeys = [];
          await putInEffect(old);
          if (networkChanged) await this.settleNetwork();
        },
        commit: async () => {
          await writeConfigValues(this.opts.configFile, new Map(keys.map((k) => [k, iniValue(parsed.get(k))])));
          this.committed = { ...this.committed, ...Object.fromEntries(keys.filter((k) => !this.opts.commandLine.has(k)).map((k) => [k, parsed.get(k)])) };
          this.pendingKeys = [];
          if (networkChanged) await this.settleNetwork();
        },
      },
      rollbackSeconds * 1000,
      `settings: ${keys.map((k) => `${k}=${iniValue(parsed.get(k))}`).join(', ')}`,
    );
    this.pendingKeys = keys;
    return {
      pending: { ...pending, keys },
      effects: keys.map((key) => ({
        key,
        effect: SETTINGS[key] === 'runtime' ? 'applied' : SETTINGS[key] === 'network' && firewallManaged(next) ? 'firewall-reloaded' : 'after-restart',
      })),
      overriddenByCommandLine: keys.filter((k) => this.opts.commandLine.has(k)),
    };
  }

  private async settleNetwork(): Promise<void> {
    try {
      await this.opts.network.settled?.();
    } catch (e) {
      this.opts.log.warn({ err: (e as Error).message }, 'network settings: could not drop the pending request');
    }
  }

  confirm(id: string): Promise<TransactionOutcome> {
    return this.opts.transaction.confirm(id);
  }

  rollback(id: string): Promise<TransactionOutcome> {
    return this.opts.transaction.rollback(id);
  }
}
