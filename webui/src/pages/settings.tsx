/**
 * Settings, applied LuCI-style: PUT applies the change at once and the server undoes it unless the
 * owner confirms within N seconds (a change that cuts the owner off the box undoes itself). The page
 * shows the countdown with Confirm and Undo buttons; refusals name the reason per setting.
 *
 * The countdown runs on this device's clock from the server's remaining time (deadline − appliedAt,
 * or remainingMs), never from the server's absolute deadline: the phone's clock may be off.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import { Card, ErrorNotice, Field, Notice } from '../components/ui.js';
import { useAction, useApi, useNow } from '../hooks.js';
import type { ApplyAnswer, Outcome, Pending, Setting, SettingKind, Settings, SettingValue } from '../types.js';

const LABELS: Record<string, string> = {
  bandwidth: 'Bandwidth class',
  share: 'Share for transit (%)',
  'limits.transittunnels': 'Transit tunnel limit',
  floodfill: 'Floodfill',
  'gateway.lan.interface': 'LAN interface',
  'gateway.lan.address': 'LAN address',
  'gateway.lan.ssh': 'SSH from the LAN',
  'gateway.wan.interface': 'WAN interface',
  'gateway.virtualrange': 'Virtual range for .i2p names',
  'gateway.mode': 'Outproxy',
  'gateway.outproxy': 'Outproxy address',
};

const KIND: Record<SettingKind, string> = {
  runtime: 'applies at once',
  restart: 'used from the next start',
  network: 'network: the firewall is reloaded',
};

const BANDWIDTH_CLASSES: [string, string][] = [
  ['K', 'K — under 12 KB/s'],
  ['L', 'L — 12–48 KB/s'],
  ['M', 'M — 48–64 KB/s'],
  ['N', 'N — 64–128 KB/s'],
  ['O', 'O — 128–256 KB/s'],
  ['P', 'P — 256–2000 KB/s'],
  ['X', 'X — over 2000 KB/s'],
];

type FormValue = string | boolean;

function toForm(v: SettingValue): FormValue {
  if (typeof v === 'boolean') return v;
  return v === null ? '' : String(v);
}

/** The value sent for a field: numbers as numbers, an empty outproxy as null; anything else as typed (the server says why it is refused). */
function toApi(s: Setting, v: FormValue): SettingValue {
  if (typeof v === 'boolean') return v;
  if (typeof s.value === 'number' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  if (s.key === 'gateway.outproxy' && v.trim() === '') return null;
  return v.trim();
}

const fieldId = (key: string): string => `set-${key.replace(/\./g, '-')}`;

interface Countdown {
  pending: Pending;
  /** When the server undoes it, on this device's clock. */
  localDeadline: number;
  totalMs: number;
}

export function SettingsPage() {
  const settings = useApi<Settings>('/settings');
  const [form, setForm] = useState<Record<string, FormValue>>({});
  const [rollbackSeconds, setRollbackSeconds] = useState('90');
  const [countdown, setCountdown] = useState<Countdown | undefined>(undefined);
  const [answer, setAnswer] = useState<ApplyAnswer | undefined>(undefined);
  const apply = useAction<ApplyAnswer>();
  const decide = useAction<Outcome>();
  const now = useNow(250, countdown !== undefined);
  const data = settings.data;

  // The form shows the values in effect; a pending change found on load gets its countdown.
  useEffect(() => {
    if (!data) return;
    setForm(Object.fromEntries(data.settings.map((s) => [s.key, toForm(s.value)])));
    if (data.pending) {
      const remaining = data.pending.remainingMs ?? 0;
      setCountdown((c) => (c?.pending.id === data.pending!.id ? c : { pending: data.pending!, localDeadline: Date.now() + remaining, totalMs: data.pending!.deadline - data.pending!.appliedAt }));
    } else {
      setCountdown(undefined);
    }
  }, [data]);

  const remainingMs = countdown ? Math.max(0, countdown.localDeadline - now) : 0;

  // At the deadline the server undoes the change: read the settings again until it has.
  useEffect(() => {
    if (!countdown || remainingMs > 0) return;
    const t = setTimeout(() => void settings.reload(), 1000);
    return () => clearTimeout(t);
  }, [countdown, remainingMs > 0, data]);

  if (!data) return <ErrorNotice error={settings.error} />;

  const changes: Record<string, SettingValue> = {};
  for (const s of data.settings) {
    const v = form[s.key];
    if (v !== undefined && v !== toForm(s.value)) changes[s.key] = toApi(s, v);
  }
  const changed = Object.keys(changes).length > 0;
  const reasons = apply.error instanceof ApiError ? (apply.error.body.reasons ?? {}) : {};

  const submit = async (e: Event) => {
    e.preventDefault();
    decide.reset();
    const body: Record<string, unknown> = { changes };
    if (/^\d+$/.test(rollbackSeconds.trim())) body.rollbackSeconds = Number(rollbackSeconds.trim());
    else body.rollbackSeconds = rollbackSeconds;
    const r = await apply.run(() => call<ApplyAnswer>('PUT', '/settings', body));
    if (!r) return;
    setAnswer(r);
    setCountdown({ pending: r.pending, localDeadline: Date.now() + (r.pending.deadline - r.pending.appliedAt), totalMs: r.pending.deadline - r.pending.appliedAt });
  };

  const finish = async (what: 'confirm' | 'rollback') => {
    if (!countdown) return;
    await decide.run(() => call<Outcome>('POST', `/settings/${what}`, { id: countdown.pending.id }));
    setAnswer(undefined);
    await settings.reload();
  };

  const set = (key: string, v: FormValue) => setForm({ ...form, [key]: v });
  const pendingKeys = new Set(countdown?.pending.keys ?? []);
  const last = data.lastOutcome;

  return (
    <>
      {countdown ? (
        <section class="pending" aria-labelledby="pending-title">
          <h2 id="pending-title">Keep these settings?</h2>
          <p>
            Applied: {countdown.pending.description}. {remainingMs > 0 ? 'They are undone automatically unless you confirm in' : 'Undoing…'}{' '}
            {remainingMs > 0 ? (
              <strong class="countdown" aria-live="off">
                {Math.ceil(remainingMs / 1000)} s
              </strong>
            ) : null}
          </p>
          <progress max={countdown.totalMs} value={remainingMs} aria-label="Time left to confirm" />
          {answer ? <Effects answer={answer} /> : null}
          <div class="actions">
            <button type="button" class="primary" onClick={() => void finish('confirm')} disabled={decide.busy || remainingMs === 0}>
              Confirm
            </button>
            <button type="button" onClick={() => void finish('rollback')} disabled={decide.busy || remainingMs === 0}>
              Undo now
            </button>
          </div>
          <ErrorNotice error={decide.error} />
        </section>
      ) : null}
      {!countdown && last ? <OutcomeNotice outcome={last} configFile={data.configFile} /> : null}
      {data.restartRequired.length > 0 ? <Notice kind="warn">Restart the router to use: {data.restartRequired.map((k) => LABELS[k] ?? k).join(', ')}.</Notice> : null}
      <form onSubmit={submit} noValidate class="settings-form">
        <fieldset disabled={countdown !== undefined}>
          <legend class="visually-hidden">Settings</legend>
          <div class="grid">
            <Card title="Bandwidth and transit" id="set-bandwidth-card">
              {data.settings.filter((s) => s.kind !== 'network').map((s) => (
                <SettingField key={s.key} s={s} value={form[s.key]} onValue={(v) => set(s.key, v)} error={reasons[s.key]} pending={pendingKeys.has(s.key)} />
              ))}
            </Card>
            <Card title="LAN gateway" id="set-gateway-card">
              {data.settings.filter((s) => s.kind === 'network').map((s) => (
                <SettingField key={s.key} s={s} value={form[s.key]} onValue={(v) => set(s.key, v)} error={reasons[s.key]} pending={pendingKeys.has(s.key)} />
              ))}
              {reasons._network ? (
                <Notice kind="error">
                  <strong>Network settings refused:</strong> {reasons._network}
                </Notice>
              ) : null}
            </Card>
          </div>
          <div class="apply-row">
            <Field id="set-rollback" label="Undo automatically after (seconds)" type="number" min={10} max={600} value={rollbackSeconds} onValue={setRollbackSeconds} help="10–600; confirm within this time or the old values come back" error={reasons.rollbackSeconds} />
            <button type="submit" class="primary" disabled={!changed || apply.busy}>
              Apply
            </button>
            {!changed && !countdown ? <small class="help">Change a value to apply it.</small> : null}
          </div>
          {apply.error instanceof ApiError && apply.error.status === 400 && apply.error.body.reasons ? (
            <Notice kind="error">Not applied: {apply.error.body.error}. See the reasons next to the settings.</Notice>
          ) : apply.error instanceof ApiError && apply.error.status === 409 ? (
            <Notice kind="error">Another change is waiting for confirmation: confirm or undo it first.</Notice>
          ) : (
            <ErrorNotice error={apply.error} />
          )}
          <p class="help">Confirmed changes are written to {data.configFile}.</p>
        </fieldset>
      </form>
    </>
  );
}

function Effects({ answer }: { answer: ApplyAnswer }) {
  const words = { applied: 'in effect now', 'firewall-reloaded': 'firewall reloaded', 'after-restart': 'from the next start' };
  return (
    <>
      <ul class="effects">
        {answer.effects.map((e) => (
          <li key={e.key}>
            {LABELS[e.key] ?? e.key}: {words[e.effect]}
          </li>
        ))}
      </ul>
      {answer.overriddenByCommandLine.length > 0 ? (
        <Notice kind="warn">Also set on the command line, which wins at the next start: {answer.overriddenByCommandLine.join(', ')}.</Notice>
      ) : null}
    </>
  );
}

function OutcomeNotice({ outcome, configFile }: { outcome: Outcome; configFile: string }) {
  const at = new Date(outcome.at).toLocaleTimeString();
  switch (outcome.result) {
    case 'confirmed':
      return (
        <Notice kind="ok">
          Kept ({at}): {outcome.description}. Written to {configFile}.
        </Notice>
      );
    case 'rolled-back':
      return (
        <Notice kind="warn">
          Rolled back ({at}): {outcome.description} — {outcome.reason}. The old values are in effect again.
        </Notice>
      );
    default:
      return (
        <Notice kind="error">
          {outcome.result} ({at}): {outcome.description} — {outcome.reason}
        </Notice>
      );
  }
}

function SettingField({ s, value, onValue, error, pending }: { s: Setting; value: FormValue | undefined; onValue: (v: FormValue) => void; error?: string; pending: boolean }) {
  const id = fieldId(s.key);
  const label = LABELS[s.key] ?? s.key;
  const help = `${s.help} — ${KIND[s.kind]}${s.commandLine ? '; also set on the command line, which wins at the next start' : ''}${pending ? '; waiting for confirmation' : ''}`;
  const v = value ?? toForm(s.value);
  const describedBy = `${id}-help${error ? ` ${id}-error` : ''}`;
  const errorEl = error ? (
    <small id={`${id}-error`} class="field-error">
      {error}
    </small>
  ) : null;
  const helpEl = (
    <small id={`${id}-help`} class="help">
      {help}
    </small>
  );

  if (typeof s.value === 'boolean') {
    return (
      <div class={`field${error ? ' field-invalid' : ''}`}>
        <label class="check" for={id}>
          <input id={id} type="checkbox" checked={v === true} onChange={(e) => onValue((e.currentTarget as HTMLInputElement).checked)} aria-describedby={describedBy} aria-invalid={error ? 'true' : undefined} /> {label}
        </label>
        {helpEl}
        {errorEl}
      </div>
    );
  }
  if (s.key === 'bandwidth' || s.key === 'gateway.mode') {
    const options: [string, string][] = s.key === 'bandwidth' ? BANDWIDTH_CLASSES : [['i2p', 'off — only .i2p sites'], ['outproxy', 'on — other web traffic through the outproxy']];
    return (
      <div class={`field${error ? ' field-invalid' : ''}`}>
        <label for={id}>{label}</label>
        <select id={id} value={String(v)} onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value)} aria-describedby={describedBy} aria-invalid={error ? 'true' : undefined}>
          {options.map(([o, text]) => (
            <option key={o} value={o}>
              {text}
            </option>
          ))}
        </select>
        {helpEl}
        {errorEl}
      </div>
    );
  }
  return <Field id={id} label={label} type={typeof s.value === 'number' ? 'number' : 'text'} value={String(v)} onValue={onValue} help={help} error={error} />;
}
