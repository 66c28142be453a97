/** Building blocks of every page: values that may be missing, notices, labelled fields. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, describeError, isNotAvailable, type Maybe } from '../api.js';

/** A value, or the API's reason why there is none ("not available yet") — never a made-up number. */
export function Value<T>({ v, format }: { v: Maybe<T>; format?: (x: T) => string }) {
  if (isNotAvailable(v)) return <span class="na">{v.reason}</span>;
  return <>{format ? format(v) : String(v)}</>;
}

type NoticeKind = 'error' | 'ok' | 'info' | 'na' | 'warn';

/** A message about an action: errors are announced at once (role=alert), the rest politely. */
export function Notice({ kind, children, id }: { kind: NoticeKind; children: ComponentChildren; id?: string }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} id={id}>
      {children}
    </div>
  );
}

/** A 503 "not available yet" answer, said plainly. */
export function FeatureUnavailable({ error }: { error: ApiError }) {
  return (
    <Notice kind="na">
      <strong>Not available yet</strong>
      {error.body.feature ? ` — ${error.body.feature}` : ''}
      {error.body.detail ? <p>{error.body.detail}</p> : null}
    </Notice>
  );
}

/** Shows a failed call: "not available yet" as such, other errors with their reasons. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiError && error.notAvailableYet) return <FeatureUnavailable error={error} />;
  const reasons = error instanceof ApiError ? error.body.reasons : undefined;
  return (
    <Notice kind="error">
      {describeError(error)}
      {reasons && Object.keys(reasons).length > 0 ? (
        <ul>
          {Object.entries(reasons).map(([k, r]) => (
            <li key={k}>
              <code>{k}</code>: {r}
            </li>
          ))}
        </ul>
      ) : null}
    </Notice>
  );
}

interface FieldProps {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  type?: 'text' | 'password' | 'number' | 'url' | 'search';
  help?: string;
  error?: string;
  min?: number;
  max?: number;
  required?: boolean;
  autoComplete?: string;
}

/** A labelled input with its help and its error tied to it (aria-describedby, aria-invalid). */
export function Field({ id, label, value, onValue, type = 'text', help, error, min, max, required, autoComplete }: FieldProps) {
  const described = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        // One variant of Preact's input typings: the type is a union here.
        type={type as 'text'}
        value={value}
        min={min}
        max={max}
        required={required}
        autoComplete={autoComplete}
        onInput={(e) => onValue((e.currentTarget as HTMLInputElement).value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
      {help ? (
        <small id={`${id}-help`} class="help">
          {help}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/**
 * A button for something that cannot be undone: the first press asks, the second does it.
 * No browser dialog: the question stays in the page, readable and reachable by keyboard.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, disabled, danger }: { label: string; question: string; confirmLabel: string; onConfirm: () => void; disabled?: boolean; danger?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class={danger ? 'danger' : ''} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <div class="confirm" role="group" aria-label={question}>
      <p>{question}</p>
      <button
        type="button"
        class={danger ? 'danger' : 'primary'}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </div>
  );
}

/** A titled section of a page. */
export function Card({ title, children, class: cls, id }: { title: string; children: ComponentChildren; class?: string; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-title`;
  return (
    <section class={`card${cls ? ` ${cls}` : ''}`} aria-labelledby={headingId} id={id}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** A definition list of label → value rows. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export interface NewSecret {
  value: string;
  repeat: string;
  setValue: (v: string) => void;
  setRepeat: (v: string) => void;
  mismatch: boolean;
  /** True when both copies match; otherwise marks the repeat field. */
  check: () => boolean;
  clear: () => void;
}

/** A new password or passphrase, typed twice. */
export function useNewSecret(): NewSecret {
  const [value, setValue] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  return {
    value,
    repeat,
    setValue,
    setRepeat,
    mismatch,
    check: () => {
      setMismatch(value !== repeat);
      return value === repeat;
    },
    clear: () => {
      setValue('');
      setRepeat('');
      setMismatch(false);
    },
  };
}

/** The two fields of a NewSecret; `what` names it in the labels ("password", "passphrase"). */
export function NewSecretFields({ secret, id, label, repeatLabel, what, help, error }: { secret: NewSecret; id: string; label: string; repeatLabel: string; what: string; help?: string; error?: string }) {
  return (
    <>
      <Field id={id} label={label} type="password" value={secret.value} onValue={secret.setValue} autoComplete="new-password" help={help} error={error} required />
      <Field id={`${id}-repeat`} label={repeatLabel} type="password" value={secret.repeat} onValue={secret.setRepeat} autoComplete="new-password" required error={secret.mismatch ? `The two ${what}s differ.` : undefined} />
    </>
  );
}

/** The Refresh button above a table read once (peers, tunnels, netDb). */
export function RefreshButton({ onRefresh, busy, children }: { onRefresh: () => void; busy?: boolean; children?: ComponentChildren }) {
  return (
    <div class="toolbar">
      <button type="button" onClick={onRefresh} disabled={busy}>
        Refresh
      </button>
      {children}
    </div>
  );
}
