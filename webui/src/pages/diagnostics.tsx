/** Diagnostics: look up an .i2p name, test an I2P site (a stream and an HTTP HEAD through the gateway). */
import { useState } from 'preact/hooks';
import { call, isNotAvailable } from '../api.js';
import { Card, ErrorNotice, Facts, Field, Notice, Value } from '../components/ui.js';
import { useAction } from '../hooks.js';
import type { DnsAnswer, SiteTest } from '../types.js';

const SITE_ERRORS: Record<string, string> = {
  'unknown-name': 'the name is not known (not in the address book)',
  unreachable: 'the site could not be reached',
  timeout: 'no answer in time',
  refused: 'the site refused the connection',
  'backend-down': 'the gateway’s I2P connection is down',
  protocol: 'the answer was not HTTP',
};

export function Diagnostics() {
  return (
    <div class="grid">
      <DnsLookup />
      <SiteTestCard />
    </div>
  );
}

function DnsLookup() {
  const [name, setName] = useState('');
  const lookup = useAction<DnsAnswer>();
  const submit = (e: Event) => {
    e.preventDefault();
    void lookup.run(() => call<DnsAnswer>('POST', '/diagnostics/dns', { name: name.trim() }));
  };
  const r = lookup.result;
  return (
    <Card title="DNS lookup" id="dns-lookup">
      <form onSubmit={submit} noValidate>
        <Field id="dns-name" label=".i2p name" value={name} onValue={setName} help="e.g. example.i2p or a .b32.i2p address" required />
        <button type="submit" class="primary" disabled={lookup.busy || name.trim() === ''}>
          {lookup.busy ? 'Looking up…' : 'Look up'}
        </button>
      </form>
      <ErrorNotice error={lookup.error} />
      {r ? (
        <div role="status" class="result">
          <Facts
            rows={[
              ['Name', r.name],
              ['Kind', r.kind === 'b32' ? '.b32.i2p address (no lookup needed)' : 'address-book name'],
              ['Address book', r.addressBook ? <code class="b32">{r.addressBook.b32}</code> : 'not in the address book'],
              ['I2P network', isNotAvailable(r.network) ? <Value v={r.network} /> : r.network ? <code class="b32">{r.network.b32}</code> : 'not found'],
            ]}
          />
        </div>
      ) : null}
    </Card>
  );
}

function SiteTestCard() {
  const [url, setUrl] = useState('http://');
  const test = useAction<SiteTest>();
  const submit = (e: Event) => {
    e.preventDefault();
    void test.run(() => call<SiteTest>('POST', '/diagnostics/site', { url: url.trim() }));
  };
  const r = test.result;
  return (
    <Card title="Test an I2P site" id="site-test">
      <form onSubmit={submit} noValidate>
        <Field id="site-url" label="Site URL" type="url" value={url} onValue={setUrl} help="http://name.i2p/ — this can take up to a minute" required />
        <button type="submit" class="primary" disabled={test.busy}>
          {test.busy ? 'Testing…' : 'Test'}
        </button>
      </form>
      {test.busy ? <p role="status">Opening a stream to the site…</p> : null}
      <ErrorNotice error={test.error} />
      {r ? (
        <Notice kind={r.reachable ? 'ok' : 'error'}>
          {r.reachable ? `Reachable: HTTP ${r.status ?? ''} ${r.statusText ?? ''}` : `Not reachable: ${SITE_ERRORS[r.error ?? ''] ?? r.error ?? 'unknown reason'}`}
          {r.detail ? <p>{r.detail}</p> : null}
          <p>
            {r.connectMs !== undefined ? `stream opened in ${r.connectMs} ms, ` : ''}
            {r.totalMs} ms in all
          </p>
        </Notice>
      ) : null}
    </Card>
  );
}
