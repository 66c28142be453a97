/**
 * Settings (issue 6, item 4): each change validated with a reason on refusal, applied at once and
 * rolled back automatically unless the owner confirms it in time (LuCI-style), so a bad network
 * setting cannot lock the owner out. See ../settings/.
 */
import type { FastifyInstance } from 'fastify';
import { ROLLBACK_DEFAULT_S, ROLLBACK_MAX_S, ROLLBACK_MIN_S, SettingsRejected } from '../settings/settings-service.js';
import { SETTING_KEYS, settingHelp, type SettingKey } from '../settings/settings-spec.js';
import { TransactionError } from '../settings/transaction.js';
import type { AdminDeps } from './deps.js';
import { API_PREFIX, arr, bool, errorSchema, int, obj, oneOfStr, record, route, str, type RouteSpec } from './spec.js';

const valueSchema = { type: ['string', 'number', 'boolean', 'null'], description: 'string, number or boolean; null = unset (e.g. no outproxy)' };

/** What each setting takes, for the documentation; the option's own parser checks it and gives the reason. */
const EXPECTS: Record<SettingKey, string> = {
  bandwidth: 'a letter K L M N O P X',
  share: 'an integer 0–100 (percent)',
  'limits.transittunnels': 'an integer 0–65535 (0 = carry no transit)',
  floodfill: 'true or false',
  'gateway.lan.interface': 'an interface name, e.g. "eth0"',
  'gateway.lan.address': 'the box’s LAN address with prefix, e.g. "192.168.42.1/24"',
  'gateway.lan.ssh': 'true or false (SSH, TCP 22, from the LAN; the box has no password login: keys only)',
  'gateway.wan.interface': 'an interface name, e.g. "wlan0"',
  'gateway.virtualrange': 'an IPv4 range /8–/24, e.g. "10.191.0.0/16"',
  'gateway.mode': '"i2p" or "outproxy" (outproxy on/off)',
  'gateway.outproxy': '"name.i2p:port", or null for none',
};

const pendingProps = {
  id: str('transaction id: confirm or roll back with it'),
  description: str(),
  appliedAt: int(),
  deadline: int('rolled back at this time (ms since epoch) unless confirmed'),
  keys: arr(str(), 'the settings changed'),
};
const pendingSchema = obj(pendingProps, { description: 'the change waiting for confirmation' });
const pendingViewSchema = obj({ ...pendingProps, remainingMs: int('ms left before the rollback') }, { description: 'the change waiting for confirmation' });

const outcomeSchema = obj(
  {
    id: str(),
    description: str(),
    result: oneOfStr(['confirmed', 'rolled-back', 'apply-failed', 'commit-failed', 'rollback-failed'], 'rollback-failed: the old values could not all be restored (see the log)'),
    reason: str(),
    at: int(),
  },
  { description: 'how the last change ended' },
);

const idBody = obj({ id: str('the pending change’s id', { pattern: '^[0-9a-f]{16}$' }) });

export const SETTINGS_ROUTES = {
  get: {
    method: 'GET',
    url: `${API_PREFIX}/settings`,
    group: 'Settings',
    summary: 'The settings, their values in effect and configured, and any change waiting for confirmation',
    description: [
      'Kinds: `runtime` (the router applies it at once: bandwidth, share, limits.transittunnels), `restart` (used from the next start: floodfill),',
      '`network` (the firewall is generated again and reloaded when the box manages it — gateway.enabled — and the gateway’s DNS server and proxy use it from the next start).',
      'Keys are the option names of the config file and command line (see README, Configuration).',
    ].join(' '),
    auth: 'session',
    schema: {
      response: {
        200: obj({
          settings: arr(
            obj({
              key: oneOfStr(SETTING_KEYS),
              kind: oneOfStr(['runtime', 'restart', 'network']),
              help: str(),
              value: { ...valueSchema, description: 'in effect now (including a pending change)' },
              configured: { ...valueSchema, description: 'what the next start uses' },
              commandLine: bool('set on the command line, which wins over the config file'),
            }),
          ),
          configFile: str('the INI file changes are written to'),
          pending: { anyOf: [pendingViewSchema, { type: 'null' }] },
          lastOutcome: { anyOf: [outcomeSchema, { type: 'null' }] },
          restartRequired: arr(str(), 'restart-kind settings changed since the start'),
        }),
      },
    },
  },
  put: {
    method: 'PUT',
    url: `${API_PREFIX}/settings`,
    group: 'Settings',
    summary: 'Apply changes; they are rolled back unless confirmed within rollbackSeconds',
    description: `Every value is checked by the config option’s own parser; a refusal names the reason per key (\`_network\` for the combination, e.g. the LAN and the virtual range overlapping). Nothing is written to the config file before the confirmation: a restart while a change is pending comes back with the old values.`,
    auth: 'session',
    schema: {
      body: obj(
        {
          changes: {
            type: 'object',
            description: 'setting key → new value; keys are option names with dots, e.g. `{"gateway.mode": "outproxy"}`',
            minProperties: 1,
            additionalProperties: false,
            properties: Object.fromEntries(SETTING_KEYS.map((k) => [k, { ...valueSchema, description: `${EXPECTS[k]} — ${settingHelp(k)}` }])),
          },
          rollbackSeconds: int(`seconds to confirm before the change is rolled back (default ${ROLLBACK_DEFAULT_S})`, { minimum: ROLLBACK_MIN_S, maximum: ROLLBACK_MAX_S }),
        },
        { required: ['changes'] },
      ),
      response: {
        200: obj({
          pending: pendingSchema,
          effects: arr(obj({ key: str(), effect: oneOfStr(['applied', 'firewall-reloaded', 'after-restart']) })),
          overriddenByCommandLine: arr(str(), 'changed keys also set on the command line: the file changes, the command line still wins at the next start'),
        }),
        400: errorSchema('refused', { reasons: record(str(), 'a reason per key') }),
        409: errorSchema('another change is waiting for confirmation'),
        500: errorSchema('applying failed; `restored` says whether the old values are back', { restored: bool() }),
      },
    },
  },
  confirm: {
    method: 'POST',
    url: `${API_PREFIX}/settings/confirm`,
    group: 'Settings',
    summary: 'Keep the pending change (writes the config file)',
    auth: 'session',
    schema: {
      body: idBody,
      response: {
        200: outcomeSchema,
        404: errorSchema('no pending change with this id (it may have been rolled back already: see GET lastOutcome)'),
        500: errorSchema('writing the config file failed; the old values were restored', { restored: bool() }),
      },
    },
  },
  rollback: {
    method: 'POST',
    url: `${API_PREFIX}/settings/rollback`,
    group: 'Settings',
    summary: 'Undo the pending change now',
    auth: 'session',
    schema: { body: idBody, response: { 200: outcomeSchema, 404: errorSchema('no pending change with this id') } },
  },
} satisfies Record<string, RouteSpec>;

export function registerSettingsRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const s = deps.settings;
  const transactionError = (e: unknown): { code: number; body: object } => {
    if (e instanceof SettingsRejected) return { code: 400, body: { error: 'invalid settings', reasons: e.reasons } };
    if (!(e instanceof TransactionError)) throw e;
    if (e.code === 'busy') return { code: 409, body: { error: e.message } };
    if (e.code === 'unknown-id') return { code: 404, body: { error: e.message } };
    return { code: 500, body: { error: e.message, restored: e.restored ?? false } };
  };

  route(app, SETTINGS_ROUTES.get, async () => s.view());

  route(app, SETTINGS_ROUTES.put, async (request, reply) => {
    const b = request.body as { changes: Record<string, string | number | boolean | null>; rollbackSeconds?: number };
    try {
      return await s.apply(b.changes, b.rollbackSeconds ?? ROLLBACK_DEFAULT_S);
    } catch (e) {
      const r = transactionError(e);
      return reply.code(r.code).send(r.body);
    }
  });

  for (const [spec, action] of [
    [SETTINGS_ROUTES.confirm, (id: string) => s.confirm(id)],
    [SETTINGS_ROUTES.rollback, (id: string) => s.rollback(id)],
  ] as const) {
    route(app, spec, async (request, reply) => {
      try {
        return await action((request.body as { id: string }).id);
      } catch (e) {
        const r = transactionError(e);
        return reply.code(r.code).send(r.body);
      }
    });
  }
}
