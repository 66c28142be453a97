/**
 * Hidden services: publish a LAN service (host:port) as an I2P site in one form, then show its
 * .b32.i2p address, a QR code of it and its state (starting, then published; the list is fetched again
 * while a site starts). Sites are published through the LAN gateway's SAM bridge; with
 * the gateway off (or its bridge unreachable) the API answers 503 "no SAM bridge" with the reason
 * (after checking the input), and the page says so plainly.
 */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.js';
import { QrCode } from '../components/qr.js';
import { Card, ConfirmButton, ErrorNotice, Field, Notice } from '../components/ui.js';
import { useAction, useApi } from '../hooks.js';

/** A published site as the API will list it (docs/api.md names the b32 address; the rest is shown when present). */
interface Site {
  id: string;
  name?: string;
  host?: string;
  port?: number;
  b32: string;
  /** starting → published (its LeaseSet may still take a minute to be found); error with a reason. */
  state?: 'starting' | 'published' | 'error' | 'stopped';
  reason?: string;
}

const STATE_BADGE: Record<NonNullable<Site['state']>, string> = { starting: 'badge-unknown', published: 'badge-ok', error: 'badge-failed', stopped: 'badge-disabled' };
/** How often the list is fetched again while a site is still starting (the API has no push for it). */
const STARTING_POLL_MS = 3000;

function sitesOf(answer: unknown): Site[] {
  const list = (answer as { services?: unknown })?.services;
  return Array.isArray(list) ? (list as Site[]).filter((s) => typeof s?.b32 === 'string') : [];
}

/** `withState`: the list's live state; the create answer's (always "starting") is not shown. */
export function SiteAddress({ site, withState = false }: { site: Site; withState?: boolean }) {
  const url = `http://${site.b32}/`;
  const state = withState ? site.state : undefined;
  return (
    <div class="site" data-state={state}>
      <p>
        <strong>{site.name ?? site.id}</strong>
        {site.host ? ` — ${site.host}:${site.port}` : ''}
      </p>
      {state ? (
        <p class="site-state">
          Status: <span class={`badge ${STATE_BADGE[state] ?? 'badge-unknown'}`}>{state}</span>
          {site.reason ? ` — ${site.reason}` : ''}
        </p>
      ) : null}
      <p>
        <a href={url} rel="noreferrer">
          <code class="b32">{site.b32}</code>
        </a>
      </p>
      <QrCode text={url} label={`QR code of ${url}`} />
    </div>
  );
}

export function Services() {
  const list = useApi<unknown>('/services');
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const create = useAction<Site>();
  const remove = useAction<void>();

  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { name: name.trim(), host: host.trim(), port: Number(port) };
    const r = await create.run(() => call<Site>('POST', '/services', body));
    if (r) void list.reload();
  };

  const sites = sitesOf(list.data);
  const starting = sites.some((s) => s.state === 'starting');
  useEffect(() => {
    if (!starting) return;
    const t = setInterval(() => void list.reload(), STARTING_POLL_MS);
    return () => clearInterval(t);
  }, [starting, list.reload]);
  return (
    <>
      <ErrorNotice error={list.error} />
      <div class="grid">
        <Card title="Publish a LAN service" id="publish">
          <form onSubmit={submit} noValidate>
            <p>Makes a web server (or any TCP service) on your LAN reachable as an I2P site.</p>
            <Field id="svc-name" label="Name" value={name} onValue={setName} help="Letters, digits and -, e.g. my-blog" required />
            <Field id="svc-host" label="LAN host" value={host} onValue={setHost} help="IP address or host name of the service, e.g. 192.168.42.20" required />
            <Field id="svc-port" label="LAN port" type="number" min={1} max={65535} value={port} onValue={setPort} help="Visitors reach it on the site's usual web port (and on any other)" required />
            <button type="submit" class="primary" disabled={create.busy}>
              {create.busy ? 'Publishing…' : 'Publish'}
            </button>
            <ErrorNotice error={create.error} />
            {create.result ? (
              <Notice kind="ok">
                Published.
                {typeof create.result.b32 === 'string' ? <SiteAddress site={create.result} /> : null}
              </Notice>
            ) : null}
          </form>
        </Card>
        {sites.length > 0 ? (
          <Card title="Published sites" id="sites">
            <ErrorNotice error={remove.error} />
            {sites.map((s) => (
              <div key={s.id}>
                <SiteAddress site={s} withState />
                <ConfirmButton label="Stop publishing" question={`Stop publishing ${s.name ?? s.id}?`} confirmLabel="Stop publishing" danger onConfirm={() => void remove.run(() => call('DELETE', `/services/${encodeURIComponent(s.id)}`)).then(() => list.reload())} />
              </div>
            ))}
          </Card>
        ) : null}
      </div>
    </>
  );
}
