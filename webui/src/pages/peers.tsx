/** Connected peers (NTCP2 sessions): sorted and paged by the server. */
import { useState } from 'preact/hooks';
import { pageQuery, Pager, SortTable, type Column, type SortState } from '../components/table.js';
import { ErrorNotice, RefreshButton } from '../components/ui.js';
import { bytes, duration, shortHash } from '../format.js';
import { useApi } from '../hooks.js';
import type { Page, Peer } from '../types.js';

const LIMIT = 50;

export function Peers() {
  const [sort, setSort] = useState<SortState>({ key: 'establishedAt', order: 'asc' });
  const [offset, setOffset] = useState(0);
  const { data, error, loading, reload } = useApi<Page<Peer>>(`/peers?${pageQuery(sort, offset, LIMIT)}`);
  const now = Date.now();
  const columns: Column<Peer>[] = [
    { key: 'hash', label: 'Router', sortable: true, render: (p) => <code title={p.hash}>{shortHash(p.hash)}</code> },
    { key: 'address', label: 'Address', sortable: true, render: (p) => (p.address.includes(':') ? `[${p.address}]` : p.address) },
    { key: 'port', label: 'Port', sortable: true, numeric: true },
    { key: 'inbound', label: 'Direction', sortable: true, render: (p) => (p.inbound ? 'inbound' : 'outbound') },
    { key: 'establishedAt', label: 'Connected for', sortable: true, render: (p) => duration(now - p.establishedAt) },
    { key: 'bytesIn', label: 'Received', sortable: true, numeric: true, render: (p) => bytes(p.bytesIn) },
    { key: 'bytesOut', label: 'Sent', sortable: true, numeric: true, render: (p) => bytes(p.bytesOut) },
    { key: 'caps', label: 'Caps', sortable: true },
    { key: 'version', label: 'Version', sortable: true, render: (p) => p.version || '–' },
  ];
  return (
    <>
      <RefreshButton onRefresh={() => void reload()} busy={loading}>
        {data ? <span>{data.total} connected</span> : null}
      </RefreshButton>
      <ErrorNotice error={error} />
      {data ? (
        <>
          <SortTable
            caption="Connected peers"
            columns={columns}
            rows={data.rows}
            rowKey={(p) => p.hash}
            sort={sort}
            onSort={(s) => {
              setSort(s);
              setOffset(0);
            }}
            empty="No peer is connected."
          />
          <Pager label="Peers" total={data.total} offset={offset} limit={LIMIT} onOffset={setOffset} />
        </>
      ) : null}
    </>
  );
}
