/**
 * The settings the admin UI changes (issue 6, item 4: bandwidth and share, transit limit, floodfill,
 * LAN/WAN interfaces, virtual range, outproxy on/off), by their option names (src/config), and how
 * each takes effect:
 *   - runtime: the router applies it at once (bandwidth class, share, transit limit);
 *   - restart: written to the config file, used from the next start (floodfill: the netDb's floodfill
 *     handler is created at start);
 *   - network: the firewall is generated again and reloaded (when the box manages it,
 *     gateway.enabled), the gateway's DNS server and proxy use it from the next start.
 * Every change, whatever its kind, goes through the confirm-or-roll-back transaction (./transaction.ts).
 */
import { OPTIONS, type RouterConfig } from '../../config/options.js';

export type SettingKind = 'runtime' | 'restart' | 'network';

export const SETTINGS = {
  bandwidth: 'runtime',
  share: 'runtime',
  'limits.transittunnels': 'runtime',
  floodfill: 'restart',
  'gateway.lan.interface': 'network',
  'gateway.lan.address': 'network',
  'gateway.lan.ssh': 'network',
  'gateway.wan.interface': 'network',
  'gateway.virtualrange': 'network',
  'gateway.mode': 'network',
  'gateway.outproxy': 'network',
} as const satisfies Partial<Record<keyof RouterConfig, SettingKind>>;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(k: string): k is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS, k);
}

export function settingHelp(k: SettingKey): string {
  return OPTIONS[k].help;
}

/** A value as the API shows it (an unset optional value is null). */
export type SettingValue = string | number | boolean | null;

export function settingValue(config: RouterConfig, k: SettingKey): SettingValue {
  const v = config[k];
  return v === undefined ? null : v;
}
