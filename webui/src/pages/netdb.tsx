/** netDb summary: what we know, by caps and version, and the netDb's own counters. */
import { SortTable } from '../components/table.js';
import { Card, ErrorNotice, Facts, RefreshButton } from '../components/ui.js';
import { useApi } from '../hooks.js';
import type { NetDbSummary } from '../types.js';

/** `{lookups: {found: 3}}` → `[["lookups.found", 3]]`: nested counter maps as flat rows. */
export function flattenCounters(counters: Record<string, unknown>, prefix = ''): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(counters)) {
    if (typeof v === 'number') out.push([prefix + k, v]);
    else if (typeof v === 'object' && v !== null) out.push(...flattenCounters(v as Record<string, unknown>, `${prefix}${k}.`));
  }
  return out;
}

type Row = { name: string; count: number };

export function NetDb() {
  const { data: d, error, loading, reload } = useApi<NetDbSummary>('/netdb');
  const toRows = (m: Record<string, number>): Row[] => Object.entries(m).map(([name, count]) => ({ name, count }));
  const countColumns = (label: string) => [
    { key: 'name', label },
    { key: 'count', label: 'Routers', numeric: true },
  ];
  return (
    <>
      <RefreshButton onRefresh={() => void reload()} busy={loading} />
      <ErrorNotice error={error} />
      {d ? (
        <>
          <Card title="Summary" id="netdb-summary">
            <Facts
              rows={[
                ['RouterInfos', d.routerInfos],
                ['Usable floodfills', d.floodfills],
                ['LeaseSets', d.leaseSets],
                ['Routers with caps f', d.caps.floodfill],
                ['Reachable (R)', d.caps.reachable],
                ['Unreachable (U)', d.caps.unreachable],
                ['Reseeding', d.reseeding ? 'in progress' : 'no'],
              ]}
            />
          </Card>
          <div class="grid">
            <SortTable caption="By bandwidth class" columns={countColumns('Class')} rows={toRows(d.caps.bandwidth)} rowKey={(r) => r.name} empty="No router known." />
            <SortTable caption="By version" columns={countColumns('Version')} rows={toRows(d.versions)} rowKey={(r) => r.name} empty="No router known." />
          </div>
          <SortTable
            caption="Counters"
            columns={[
              { key: 'name', label: 'Counter' },
              { key: 'count', label: 'Value', numeric: true },
            ]}
            rows={flattenCounters(d.counters).map(([name, count]) => ({ name, count }))}
            rowKey={(r) => r.name}
            empty="No counters."
          />
        </>
      ) : null}
    </>
  );
}
