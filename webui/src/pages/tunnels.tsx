/** Our tunnels (counts, the exploratory ones) and the transit tunnels we carry (server-sorted). */
import { useState } from 'preact/hooks';
import { pageQuery, Pager, SortTable, sortRows, type Column, type SortState } from '../components/table.js';
import { Card, ErrorNotice, Facts, RefreshButton, Value } from '../components/ui.js';
import { bytes, duration, shortHash } from '../format.js';
import { useApi } from '../hooks.js';
import type { OwnTunnel, Page, TransitTunnel, Tunnels as TunnelsAnswer } from '../types.js';
import { isNotAvailable } from '../api.js';

const LIMIT = 50;

export function Tunnels() {
  const own = useApi<TunnelsAnswer>('/tunnels');
  const [ownSort, setOwnSort] = useState<SortState>({ key: 'createdAt', order: 'asc' });
  const [sort, setSort] = useState<SortState>({ key: 'createdAt', order: 'asc' });
  const [offset, setOffset] = useState(0);
  const transit = useApi<Page<TransitTunnel>>(`/tunnels/transit?${pageQuery(sort, offset, LIMIT)}`);
  const now = Date.now();

  const ownColumns: Column<OwnTunnel>[] = [
    { key: 'id', label: 'Tunnel ID', sortable: true, numeric: true },
    { key: 'direction', label: 'Direction', sortable: true },
    { key: 'hops', label: 'Hops', render: (t) => <span title={t.hops.join('\n')}>{t.hops.map(shortHash).join(' → ')}</span> },
    { key: 'state', label: 'State', sortable: true },
    { key: 'createdAt', label: 'Age', sortable: true, render: (t) => duration(now - t.createdAt) },
    { key: 'expiresAt', label: 'Expires in', sortable: true, render: (t) => duration(t.expiresAt - now) },
    { key: 'latencyMs', label: 'Latency', sortable: true, numeric: true, render: (t) => (t.latencyMs === null ? 'not tested yet' : `${t.latencyMs} ms`) },
  ];
  const transitColumns: Column<TransitTunnel>[] = [
    { key: 'role', label: 'Role', sortable: true },
    { key: 'receiveTunnelId', label: 'Tunnel ID', sortable: true, numeric: true },
    { key: 'next', label: 'Next hop', sortable: true, render: (t) => <code title={t.next}>{shortHash(t.next)}</code> },
    { key: 'createdAt', label: 'Age', sortable: true, render: (t) => duration(now - t.createdAt) },
    { key: 'expiresAt', label: 'Expires in', sortable: true, render: (t) => duration(t.expiresAt - now) },
    { key: 'messages', label: 'Messages', sortable: true, numeric: true },
    { key: 'bytes', label: 'Relayed', sortable: true, numeric: true, render: (t) => bytes(t.bytes) },
  ];

  const c = own.data?.counts;
  return (
    <>
      <RefreshButton
        onRefresh={() => {
          void own.reload();
          void transit.reload();
        }}
      />
      <ErrorNotice error={own.error} />
      {own.data && c ? (
        <>
          <Card title="Counts" id="tunnel-counts">
            <Facts
              rows={[
                ['Exploratory inbound', c.exploratoryInbound],
                ['Exploratory outbound', c.exploratoryOutbound],
                ['Client pools', c.clientPools],
                ['Client inbound', c.clientInbound],
                ['Client outbound', c.clientOutbound],
                ['Transit', c.transit],
              ]}
            />
          </Card>
          <SortTable caption="Exploratory tunnels" columns={ownColumns} rows={sortRows(own.data.exploratory, ownSort)} rowKey={(t) => `${t.direction}-${t.id}`} sort={ownSort} onSort={setOwnSort} empty="No exploratory tunnel can carry traffic now." />
          <Card title="Client tunnels" id="client-tunnels">
            <p>{isNotAvailable(own.data.client) ? <Value v={own.data.client} /> : 'See the counts above.'}</p>
          </Card>
        </>
      ) : null}
      <ErrorNotice error={transit.error} />
      {transit.data ? (
        <>
          <SortTable
            caption={`Transit tunnels (${transit.data.total})`}
            columns={transitColumns}
            rows={transit.data.rows}
            rowKey={(t) => `${t.receiveTunnelId}-${t.next}`}
            sort={sort}
            onSort={(s) => {
              setSort(s);
              setOffset(0);
            }}
            empty="No transit tunnel is carried now."
          />
          <Pager label="Transit tunnels" total={transit.data.total} offset={offset} limit={LIMIT} onOffset={setOffset} />
        </>
      ) : null}
    </>
  );
}
