/**
 * The address book: entries (searched, sorted and paged by the server), add and remove, import of
 * hosts.txt text or file, and the subscription URLs with the result of their last fetch (over I2P
 * through the LAN gateway; without it, "not available", as the API says).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, isNotAvailable } from '../api.js';
import { QrCode } from '../components/qr.js';
import { pageQuery, Pager, SortTable, type Column, type SortState } from '../components/table.js';
import { Card, ConfirmButton, ErrorNotice, Field, Notice, Value } from '../components/ui.js';
import { dateTime } from '../format.js';
import { useAction, useApi } from '../hooks.js';
import type { AddressBookEntry, ImportResult, Page, Subscription, SubscriptionStatus, Subscriptions } from '../types.js';

const LIMIT = 50;

function fieldReason(e: unknown, key: string): string | undefined {
  return e instanceof ApiError ? e.body.reasons?.[key] : undefined;
}

export function AddressBook() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortState>({ key: 'name', order: 'asc' });
  const [offset, setOffset] = useState(0);
  const [shown, setShown] = useState<AddressBookEntry | undefined>(undefined);
  const list = useApi<Page<AddressBookEntry>>(`/addressbook?${pageQuery(sort, offset, LIMIT, query ? { search: query } : {})}`);
  const remove = useAction<void>();

  // Search as one types, a moment after the last key.
  useEffect(() => {
    const t = setTimeout(() => {
      setQuery(search.trim());
      setOffset(0);
    }, 250);
    return () => clearTimeout(t);
  }, [search]);

  const columns: Column<AddressBookEntry>[] = [
    { key: 'name', label: 'Name', sortable: true },
    { key: 'b32', label: 'Address', render: (e) => <code class="b32">{e.b32}</code> },
    { key: 'addedAt', label: 'Added', sortable: true, wideOnly: true, render: (e) => dateTime(e.addedAt) },
    {
      key: 'actions',
      label: 'Actions',
      render: (e) => (
        <div class="row-actions">
          <button type="button" aria-pressed={shown?.name === e.name} onClick={() => setShown(shown?.name === e.name ? undefined : e)} aria-label={`QR code of ${e.name}`}>
            QR
          </button>
          <ConfirmButton
            label="Remove"
            question={`Remove ${e.name}?`}
            confirmLabel={`Remove ${e.name}`}
            danger
            onConfirm={() =>
              void remove.run(() => call('DELETE', `/addressbook/${encodeURIComponent(e.name)}`)).then(() => {
                if (shown?.name === e.name) setShown(undefined);
                return list.reload();
              })
            }
          />
        </div>
      ),
    },
  ];

  return (
    <>
      <div class="toolbar">
        <Field id="ab-search" label="Search" type="search" value={search} onValue={setSearch} help="Part of a name or .b32.i2p address" />
      </div>
      <ErrorNotice error={list.error} />
      <ErrorNotice error={remove.error} />
      {list.data ? (
        <>
          <SortTable
            caption={`Address book (${list.data.total}${query ? ` matching “${query}”` : ''})`}
            columns={columns}
            rows={list.data.rows}
            rowKey={(e) => e.name}
            sort={sort}
            onSort={(s) => {
              setSort(s);
              setOffset(0);
            }}
            empty={query ? 'No entry matches.' : 'The address book is empty.'}
          />
          <Pager label="Address book" total={list.data.total} offset={offset} limit={LIMIT} onOffset={setOffset} />
        </>
      ) : null}
      {shown ? (
        <Card title={`QR code of ${shown.name}`} id="entry-qr">
          <p>
            <code class="b32">{shown.b32}</code>
          </p>
          <QrCode text={`http://${shown.b32}/`} label={`QR code of http://${shown.b32}/`} />
        </Card>
      ) : null}
      <div class="grid">
        <AddEntry onAdded={() => void list.reload()} />
        <Import onImported={() => void list.reload()} />
        <SubscriptionsCard />
      </div>
    </>
  );
}

function AddEntry({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [destination, setDestination] = useState('');
  const [replace, setReplace] = useState(false);
  const add = useAction<AddressBookEntry>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await add.run(() => call<AddressBookEntry>('POST', '/addressbook', { name: name.trim(), destination: destination.trim(), replace }));
    if (r) {
      setName('');
      setDestination('');
      onAdded();
    }
  };
  const conflict = add.error instanceof ApiError && add.error.status === 409;
  const destReason = fieldReason(add.error, 'destination');
  return (
    <Card title="Add an entry" id="add-entry">
      <form onSubmit={submit} noValidate>
        <Field id="ab-name" label="Name" value={name} onValue={setName} help="e.g. example.i2p" error={fieldReason(add.error, 'name')} required />
        <div class={`field${destReason ? ' field-invalid' : ''}`}>
          <label for="ab-destination">Destination</label>
          <textarea
            id="ab-destination"
            rows={4}
            value={destination}
            onInput={(e) => setDestination((e.currentTarget as HTMLTextAreaElement).value)}
            aria-invalid={destReason ? 'true' : undefined}
            aria-describedby={destReason ? 'ab-destination-error ab-destination-help' : 'ab-destination-help'}
            spellcheck={false}
            required
          />
          <small id="ab-destination-help" class="help">
            The site’s full destination in I2P base64 (516 characters or more)
          </small>
          {destReason ? (
            <small id="ab-destination-error" class="field-error">
              {destReason}
            </small>
          ) : null}
        </div>
        <label class="check">
          <input type="checkbox" checked={replace} onChange={(e) => setReplace((e.currentTarget as HTMLInputElement).checked)} /> Replace an entry with the same name
        </label>
        <button type="submit" class="primary" disabled={add.busy}>
          Add
        </button>
        {conflict ? <Notice kind="error">This name is already in the address book. Tick “Replace” to change it.</Notice> : <ErrorNotice error={add.error} />}
        {add.result ? (
          <Notice kind="ok">
            Added {add.result.name} (<code class="b32">{add.result.b32}</code>).
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function Import({ onImported }: { onImported: () => void }) {
  const [text, setText] = useState('');
  const [replace, setReplace] = useState(false);
  const imp = useAction<ImportResult>();
  const readFile = async (e: Event) => {
    const f = (e.currentTarget as HTMLInputElement).files?.[0];
    if (f) setText(await f.text());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await imp.run(() => call<ImportResult>('POST', '/addressbook/import', { hostsTxt: text, replace }));
    if (r) onImported();
  };
  const r = imp.result;
  return (
    <Card title="Import hosts.txt" id="import">
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="ab-import-file">hosts.txt file</label>
          <input id="ab-import-file" type="file" accept=".txt,text/plain" onChange={(e) => void readFile(e)} />
        </div>
        <div class="field">
          <label for="ab-import-text">or paste its lines (name=destination)</label>
          <textarea id="ab-import-text" rows={4} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} spellcheck={false} />
        </div>
        <label class="check">
          <input type="checkbox" checked={replace} onChange={(e) => setReplace((e.currentTarget as HTMLInputElement).checked)} /> Replace entries whose destination changed
        </label>
        <button type="submit" class="primary" disabled={imp.busy || text.trim() === ''}>
          Import
        </button>
        <ErrorNotice error={imp.error} />
        {r ? (
          <Notice kind={r.rejectedCount > 0 ? 'warn' : 'ok'}>
            {r.added} added, {r.replaced} replaced, {r.unchanged} unchanged, {r.conflicts} left alone (another destination), {r.rejectedCount} refused.
            {r.rejected.length > 0 ? (
              <ul>
                {r.rejected.map((x) => (
                  <li key={x.line}>
                    line {x.line}: {x.reason}
                  </li>
                ))}
              </ul>
            ) : null}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function SubscriptionResult({ status }: { status: SubscriptionStatus | undefined }) {
  if (!status) return <small>not fetched yet</small>;
  const what = status.result === 'imported' ? 'imported' : status.result === 'not-modified' ? 'unchanged' : 'failed';
  return (
    <small class={status.result === 'failed' ? 'bad' : undefined} title={status.detail}>
      {what} {dateTime(status.lastFetchAt)}: {status.detail}
    </small>
  );
}

function SubscriptionsCard() {
  const subs = useApi<Subscriptions>('/addressbook/subscriptions');
  const [url, setUrl] = useState('');
  const add = useAction<Subscription>();
  const change = useAction<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await add.run(() => call<Subscription>('POST', '/addressbook/subscriptions', { url: url.trim() }));
    if (r) {
      setUrl('');
      void subs.reload();
    }
  };
  const fetching = subs.data?.fetching;
  const statusOf = (id: string) => (fetching !== undefined && !isNotAvailable(fetching) ? fetching.find((f) => f.id === id) : undefined);
  return (
    <Card title="Subscriptions" id="subscriptions">
      <ErrorNotice error={subs.error} />
      {subs.data ? (
        subs.data.subscriptions.length === 0 ? (
          <p>No subscription.</p>
        ) : (
          <ul class="subscriptions">
            {subs.data.subscriptions.map((s) => (
              <li key={s.id}>
                <code>{s.url}</code>{' '}
                <SubscriptionResult status={statusOf(s.id)} />{' '}
                <button type="button" class="danger" aria-label={`Remove subscription ${s.url}`} onClick={() => void change.run(() => call('DELETE', `/addressbook/subscriptions/${s.id}`)).then(() => subs.reload())}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
      {fetching !== undefined && isNotAvailable(fetching) ? (
        <p class="help">
          Fetching: <Value v={fetching} />
        </p>
      ) : null}
      <button
        type="button"
        onClick={() => void change.run(() => call('POST', '/addressbook/subscriptions/fetch')).then(() => subs.reload())}
        disabled={change.busy || (fetching !== undefined && isNotAvailable(fetching))}
      >
        {change.busy ? 'Fetching…' : 'Fetch now'}
      </button>
      <ErrorNotice error={change.error} />
      <form onSubmit={submit} noValidate>
        <Field id="sub-url" label="Subscription URL" type="url" value={url} onValue={setUrl} help="e.g. http://reg.i2p/hosts.txt" error={fieldReason(add.error, 'url')} />
        <button type="submit" disabled={add.busy || url.trim() === ''}>
          Add subscription
        </button>
        {fieldReason(add.error, 'url') ? null : <ErrorNotice error={add.error} />}
      </form>
    </Card>
  );
}
