/**
 * Backup and restore: an encrypted archive (the server encrypts it with the passphrase) downloaded
 * to this device; a restore first checks the archive and lists what it holds, and only a second
 * press writes the files.
 */
import { useState } from 'preact/hooks';
import { ApiError, call, request } from '../api.js';
import { SortTable } from '../components/table.js';
import { Card, ErrorNotice, Facts, Field, NewSecretFields, Notice, useNewSecret } from '../components/ui.js';
import { bytes, dateTime } from '../format.js';
import { useAction } from '../hooks.js';
import type { BackupListing, RestoreAnswer } from '../types.js';
import { RestartButton } from './system.js';

/** The server takes archives up to 11 MiB of base64 (8 MiB of file). */
const MAX_ARCHIVE_BYTES = 8 * 1024 * 1024;

const REFUSALS: Record<string, string> = {
  'not-a-backup': 'This file is not a GarlicGate backup.',
  'unsupported-version': 'This backup was made by a newer GarlicGate and cannot be read here.',
  'wrong-passphrase': 'Wrong passphrase.',
  damaged: 'The archive is damaged or was altered: it cannot be trusted.',
  'invalid-content': 'A file in the archive would not be accepted by the router.',
};

export function toBase64(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function filenameOf(disposition: string | null): string {
  const m = /filename="([^"]+)"/.exec(disposition ?? '');
  return m?.[1] ?? 'garlicgate.ggbackup';
}

function ArchiveError({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 400 && error.body.reason) {
    return (
      <Notice kind="error">
        {REFUSALS[error.body.reason] ?? error.body.error}
        {error.body.detail ? <p>{error.body.detail}</p> : null}
        <p>Nothing was changed.</p>
      </Notice>
    );
  }
  return <ErrorNotice error={error} />;
}

export function Backup() {
  return (
    <div class="grid">
      <CreateBackup />
      <RestoreBackup />
    </div>
  );
}

function CreateBackup() {
  const passphrase = useNewSecret();
  const download = useAction<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!passphrase.check()) return;
    await download.run(async () => {
      const res = await request('POST', '/backup', { passphrase: passphrase.value });
      const name = filenameOf(res.headers.get('content-disposition'));
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return name;
    });
  };
  return (
    <Card title="Create a backup" id="create-backup">
      <p>The keys (the router’s identity), its state, the config file and the address book, encrypted with a passphrase. The admin password is not included.</p>
      <form onSubmit={submit} noValidate>
        <NewSecretFields secret={passphrase} id="backup-passphrase" label="Passphrase" repeatLabel="Repeat the passphrase" what="passphrase" help="At least 8 characters. Without it the backup cannot be restored." />
        <button type="submit" class="primary" disabled={download.busy || passphrase.value === ''}>
          {download.busy ? 'Encrypting…' : 'Download backup'}
        </button>
      </form>
      <ErrorNotice error={download.error} />
      {download.result ? <Notice kind="ok">Saved as {download.result}. Keep it somewhere safe, with its passphrase.</Notice> : null}
    </Card>
  );
}

function RestoreBackup() {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [passphrase, setPassphrase] = useState('');
  const [archive, setArchive] = useState<string | undefined>(undefined);
  const inspect = useAction<BackupListing>();
  const restore = useAction<RestoreAnswer>();

  const check = async (e: Event) => {
    e.preventDefault();
    restore.reset();
    await inspect.run(async () => {
      if (!file) throw new Error('Choose a backup file first.');
      if (file.size > MAX_ARCHIVE_BYTES) throw new Error(`This file is ${bytes(file.size)}: a backup is at most ${bytes(MAX_ARCHIVE_BYTES)}.`);
      const b64 = toBase64(await file.arrayBuffer());
      setArchive(b64);
      return call<BackupListing>('POST', '/backup/inspect', { archive: b64, passphrase });
    });
  };

  const doRestore = () => void restore.run(() => call<RestoreAnswer>('POST', '/backup/restore', { archive, passphrase }));
  const listing = inspect.result;
  return (
    <>
      <Card title="Restore a backup" id="restore-backup">
        <form onSubmit={check} noValidate>
          <div class="field">
            <label for="restore-file">Backup file</label>
            <input
              id="restore-file"
              type="file"
              accept=".ggbackup,application/octet-stream"
              onChange={(e) => {
                setFile((e.currentTarget as HTMLInputElement).files?.[0]);
                inspect.reset();
                restore.reset();
              }}
            />
          </div>
          <Field id="restore-passphrase" label="Passphrase" type="password" value={passphrase} onValue={setPassphrase} autoComplete="off" />
          <button type="submit" class="primary" disabled={inspect.busy || !file || passphrase === ''}>
            {inspect.busy ? 'Checking…' : 'Check the archive'}
          </button>
        </form>
        <ArchiveError error={inspect.error} />
      </Card>
      {listing ? (
        <Card title="What the archive holds" id="archive-listing" class="wide">
          <Facts
            rows={[
              ['Made', dateTime(Date.parse(listing.createdAt))],
              ['By', listing.software],
            ]}
          />
          <SortTable
            caption="Files in the archive"
            columns={[
              { key: 'name', label: 'File', render: (f) => <code>{f.name}</code> },
              { key: 'description', label: 'What it is' },
              { key: 'size', label: 'Size', numeric: true, render: (f) => bytes(f.size) },
              { key: 'sha256', label: 'SHA-256', render: (f) => <code title={f.sha256}>{f.sha256.slice(0, 12)}…</code> },
            ]}
            rows={listing.files}
            rowKey={(f) => f.name}
            empty="The archive holds no file."
          />
          {restore.result ? null : (
            <>
              <p>Restoring replaces these files on the box; the router uses them from its next start.</p>
              <button type="button" class="danger" onClick={doRestore} disabled={restore.busy}>
                {restore.busy ? 'Restoring…' : 'Restore these files'}
              </button>
            </>
          )}
          <ArchiveError error={restore.error} />
          {restore.result ? (
            <Notice kind="ok">
              Restored: {restore.result.restored.join(', ')}. Restart the router to use them.
              <RestartButton />
            </Notice>
          ) : null}
        </Card>
      ) : null}
    </>
  );
}
