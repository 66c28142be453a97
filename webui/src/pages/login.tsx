/**
 * First run (there is no default password: the first visitor chooses it) and login. The server
 * judges the password (length); the page only checks that both copies match.
 */
import { useState } from 'preact/hooks';
import { ApiError, call, setCsrfToken } from '../api.js';
import { ErrorNotice, Field, NewSecretFields, Notice, useNewSecret } from '../components/ui.js';
import { useAction } from '../hooks.js';
import type { LoginAnswer } from '../types.js';

interface Props {
  firstRun: boolean;
  message?: string;
  onDone: () => void;
  onFirstRunDone: () => void;
}

export function Login({ firstRun, message, onDone, onFirstRunDone }: Props) {
  const [password, setPassword] = useState('');
  const secret = useNewSecret();
  const action = useAction<LoginAnswer>();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (firstRun && !secret.check()) return;
    const r = await action.run(() => call<LoginAnswer>('POST', firstRun ? '/auth/first-run' : '/auth/login', { password: firstRun ? secret.value : password }));
    if (!r) return;
    setCsrfToken(r.csrfToken);
    (firstRun ? onFirstRunDone : onDone)();
  };

  const err = action.error;
  let errorText: string | undefined;
  if (err instanceof ApiError && err.status === 401) errorText = 'Wrong password.';
  else if (err instanceof ApiError && err.status === 400 && err.body.detail) errorText = `Password refused: ${err.body.detail}`;
  else if (err instanceof ApiError && err.status === 409) errorText = firstRun ? 'A password is already set: reload the page to log in.' : 'No password is set yet: reload the page to choose one.';

  return (
    <main class="centered login" id="main">
      <h1>GarlicGate</h1>
      <form onSubmit={submit} class="card" aria-labelledby="login-title" noValidate>
        <h2 id="login-title">{firstRun ? 'Choose the admin password' : 'Log in'}</h2>
        {firstRun ? (
          <p>
            This box has no password yet. Whoever sets it now owns the box: choose one of at least 8 characters and keep it
            safe.
          </p>
        ) : null}
        {message ? <Notice kind="info">{message}</Notice> : null}
        {firstRun ? (
          <NewSecretFields secret={secret} id="password" label="New password" repeatLabel="Repeat the password" what="password" />
        ) : (
          <Field id="password" label="Password" type="password" value={password} onValue={setPassword} autoComplete="current-password" required />
        )}
        {errorText ? <Notice kind="error">{errorText}</Notice> : <ErrorNotice error={err} />}
        <button type="submit" class="primary" disabled={action.busy || (firstRun ? secret.value : password) === ''}>
          {action.busy ? 'Please wait…' : firstRun ? 'Set password' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
