/** Restart, shutdown, factory reset, and the admin password. */
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import { useApp } from '../app.js';
import { Card, ConfirmButton, ErrorNotice, Field, NewSecretFields, Notice, useNewSecret } from '../components/ui.js';
import { useAction } from '../hooks.js';

const ERASE = 'erase everything';

/** Restart (only under systemd; otherwise the API answers "not available yet" and the page says why). */
export function RestartButton() {
  const app = useApp();
  const restart = useAction<unknown>();
  return (
    <div class="action">
      <ConfirmButton
        label="Restart the router"
        question="Restart now? The page loses its connection for a while."
        confirmLabel="Restart"
        onConfirm={async () => {
          const r = await restart.run(() => call('POST', '/system/restart'));
          if (r) app.away('The router is restarting.');
        }}
        disabled={restart.busy}
      />
      <ErrorNotice error={restart.error} />
    </div>
  );
}

export function SystemPage() {
  return (
    <div class="grid">
      <Card title="Restart and shut down" id="power">
        <RestartButton />
        <Shutdown />
      </Card>
      <ChangePassword />
      <FactoryReset />
    </div>
  );
}

function Shutdown() {
  const app = useApp();
  const [graceful, setGraceful] = useState(false);
  const shutdown = useAction<unknown>();
  return (
    <div class="action">
      <label class="check">
        <input type="checkbox" checked={graceful} onChange={(e) => setGraceful((e.currentTarget as HTMLInputElement).checked)} /> Gracefully: let the transit tunnels we carry expire first (up to 10 minutes)
      </label>
      <ConfirmButton
        label="Shut down the router"
        question="Stop the router? Nothing reaches I2P until it is started again."
        confirmLabel="Shut down"
        danger
        onConfirm={async () => {
          const r = await shutdown.run(() => call('POST', '/system/shutdown', { graceful }));
          if (r) app.away('The router is stopping. Unless its service starts it again, start it on the box.');
        }}
        disabled={shutdown.busy}
      />
      <ErrorNotice error={shutdown.error} />
    </div>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const password = useNewSecret();
  const change = useAction<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!password.check()) return;
    await change.run(async () => {
      await call('POST', '/auth/password', { current, password: password.value });
      setCurrent('');
      password.clear();
      return true;
    });
  };
  const err = change.error;
  return (
    <Card title="Change the admin password" id="password">
      <form onSubmit={submit} noValidate>
        <Field id="pw-current" label="Current password" type="password" value={current} onValue={setCurrent} autoComplete="current-password" error={err instanceof ApiError && err.status === 401 ? 'Wrong password.' : undefined} />
        <NewSecretFields secret={password} id="pw-new" label="New password" repeatLabel="Repeat the new password" what="password" help="At least 8 characters" error={err instanceof ApiError && err.status === 400 ? err.body.detail ?? err.body.error : undefined} />
        <button type="submit" class="primary" disabled={change.busy || current === '' || password.value === ''}>
          Change password
        </button>
      </form>
      {err instanceof ApiError && (err.status === 401 || err.status === 400) ? null : <ErrorNotice error={err} />}
      {change.result ? <Notice kind="ok">Password changed. Every other session was logged out.</Notice> : null}
    </Card>
  );
}

function FactoryReset() {
  const app = useApp();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const reset = useAction<{ restarting: boolean }>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await reset.run(() => call<{ restarting: boolean }>('POST', '/system/factory-reset', { password, confirm }));
    if (r) {
      app.away(
        r.restarting
          ? 'Factory reset: the router restarts with a new identity; then choose a new admin password.'
          : 'Factory reset: the router has stopped. Everything is erased when it is next started; then choose a new admin password.',
      );
    }
  };
  const wrong = reset.error instanceof ApiError && reset.error.status === 401;
  return (
    <Card title="Factory reset" id="factory-reset" class="danger-zone">
      <p>
        Erases the router’s keys (it gets a new identity), the config, the address book and the admin password. Make a backup first if you may want
        them back.
      </p>
      <form onSubmit={submit} noValidate>
        <Field id="reset-password" label="Admin password" type="password" value={password} onValue={setPassword} autoComplete="current-password" error={wrong ? 'Wrong password.' : undefined} />
        <Field id="reset-confirm" label={`Type “${ERASE}” to confirm`} value={confirm} onValue={setConfirm} autoComplete="off" />
        <button type="submit" class="danger" disabled={reset.busy || password === '' || confirm !== ERASE}>
          Erase everything
        </button>
      </form>
      {wrong ? null : <ErrorNotice error={reset.error} />}
    </Card>
  );
}
