/**
 * The dashboard (issue 6, item 3). Its data comes by one push channel, the server's SSE stream
 * (`hello` with the snapshot and graph history, then a `snapshot` with one new graph point every
 * 2 s), aggregated on the server: the page only draws. When the stream cannot be opened the page
 * reads GET /dashboard once and tries the stream again a little later.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { API, get, isNotAvailable } from '../api.js';
import { BandwidthGraph } from '../components/graph.js';
import { Card, Facts, Value } from '../components/ui.js';
import { bytes, dateTime, duration, percent, rate, shortHash } from '../format.js';
import type { BandwidthPoint, ComponentStatus, History, Snapshot } from '../types.js';

/** As many points as the server keeps (5 minutes at one every 2 s). */
const MAX_POINTS = 150;

type Live = 'connecting' | 'live' | 'reconnecting';

function useDashboard(): { snapshot: Snapshot | undefined; points: BandwidthPoint[]; live: Live } {
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>(undefined);
  const [points, setPoints] = useState<BandwidthPoint[]>([]);
  const [live, setLive] = useState<Live>('connecting');

  useEffect(() => {
    let es: EventSource | undefined;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      es = new EventSource(`${API}/dashboard/stream`);
      es.addEventListener('hello', (ev) => {
        const d = JSON.parse((ev as MessageEvent<string>).data) as { snapshot: Snapshot; history: History };
        setSnapshot(d.snapshot);
        setPoints(d.history.points.slice(-MAX_POINTS));
        setLive('live');
      });
      es.addEventListener('snapshot', (ev) => {
        const d = JSON.parse((ev as MessageEvent<string>).data) as { snapshot: Snapshot; point: BandwidthPoint | null };
        setSnapshot(d.snapshot);
        if (d.point) setPoints((p) => [...p.slice(-(MAX_POINTS - 1)), d.point!]);
        setLive('live');
      });
      es.onerror = () => {
        if (closed) return;
        setLive('reconnecting');
        // CONNECTING: EventSource retries by itself. CLOSED: the server refused (logged out, too many
        // streams): read the snapshot once (a 401 there brings the login form) and try again later.
        if (es?.readyState === EventSource.CLOSED) void fallback();
      };
    };
    const fallback = async () => {
      try {
        const d = await get<{ snapshot: Snapshot; history: History }>('/dashboard');
        if (closed) return;
        setSnapshot(d.snapshot);
        setPoints(d.history.points.slice(-MAX_POINTS));
      } catch {
        // shown as "reconnecting"; a 401 ends the session in api.ts
      }
      if (!closed) retry = setTimeout(open, 5000);
    };
    open();
    return () => {
      closed = true;
      es?.close();
      if (retry) clearTimeout(retry);
    };
  }, []);

  return { snapshot, points, live };
}

export function Dashboard() {
  const { snapshot: s, points, live } = useDashboard();
  const marked = useRef(false);

  useEffect(() => {
    if (s && !marked.current) {
      marked.current = true;
      // The first-paint benchmark (bench/webui.ts) reads this mark.
      performance.mark('gg-dashboard-data');
    }
  }, [s]);

  if (!s) return <p role="status">Waiting for the router’s figures…</p>;
  return (
    <div class="dashboard" data-ready="true">
      {/* Not a live region: it changes every 2 s and would keep a screen reader talking. */}
      <p class={`live live-${live}`}>
        {live === 'live' ? `Live — updated ${new Date(s.at).toLocaleTimeString()}` : live === 'connecting' ? 'Connecting…' : 'Live updates interrupted: reconnecting…'}
      </p>
      <Protection p={s.protection} />
      <div class="grid">
        <RouterCard s={s} />
        <Card title="Network" id="counts">
          <Facts
            rows={[
              ['Peers', s.counts.peers],
              ['Known routers (netDb)', s.counts.knownRouters],
              ['Floodfills', s.counts.floodfills],
              ['LeaseSets', s.counts.leaseSets],
            ]}
          />
        </Card>
        <Card title="Tunnels" id="tunnel-counts">
          <Facts
            rows={[
              ['Exploratory', `${s.counts.tunnels.exploratoryInbound} in, ${s.counts.tunnels.exploratoryOutbound} out`],
              ['Client', `${s.counts.tunnels.clientInbound} in, ${s.counts.tunnels.clientOutbound} out (${s.counts.tunnels.clientPools} pools)`],
              ['Transit', s.counts.tunnels.transit],
              [
                'Build success (10 min)',
                <>
                  <Value v={s.tunnelBuildSuccess.percent} format={percent} /> <small>({s.tunnelBuildSuccess.succeeded} of {s.tunnelBuildSuccess.started})</small>
                </>,
              ],
            ]}
          />
        </Card>
        <Card title="Bandwidth" class="wide" id="bandwidth">
          <BandwidthGraph points={points} />
          <Facts
            rows={[
              ['Inbound', <Value v={s.bandwidth.inBps} format={rate} />],
              ['Outbound', <Value v={s.bandwidth.outBps} format={rate} />],
              ['Transit', <Value v={s.bandwidth.transitBps} format={rate} />],
              ['Received since start', bytes(s.bandwidth.totalInBytes)],
              ['Sent since start', bytes(s.bandwidth.totalOutBytes)],
              ['Transit since start', bytes(s.bandwidth.totalTransitBytes)],
            ]}
          />
        </Card>
        <LanClients c={s.lanClients} />
        <SystemCard s={s} />
      </div>
    </div>
  );
}

const COMPONENT_STATE: Record<ComponentStatus['state'], string> = {
  ok: 'working',
  failed: 'FAILED',
  unknown: 'unknown',
  disabled: 'disabled',
  'not-available': 'not available yet',
};

function Protection({ p }: { p: Snapshot['protection'] }) {
  const ok = p.state === 'protected';
  return (
    <section class={`protection ${ok ? 'protection-ok' : 'protection-bad'}`} aria-labelledby="protection-title">
      <h2 id="protection-title">
        <span aria-hidden="true">{ok ? '✔ ' : '✖ '}</span>
        {ok ? 'LAN protected' : 'LAN not protected'}
      </h2>
      {ok ? <p>The firewall is applied, and the DNS server and transparent proxy are up.</p> : null}
      {p.reasons.length > 0 ? (
        <ul class="reasons">
          {p.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
      <ul class="components">
        {(
          [
            ['Firewall', p.firewall],
            ['DNS server', p.dns],
            ['Transparent proxy', p.proxy],
          ] as const
        ).map(([name, c]) => (
          <li key={name}>
            <span class={`badge badge-${c.state}`}>{COMPONENT_STATE[c.state]}</span> {name}
            {c.checkedAt ? <small> (checked {new Date(c.checkedAt).toLocaleTimeString()})</small> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

function RouterCard({ s }: { s: Snapshot }) {
  const r = s.router;
  return (
    <Card title="Router" id="router">
      <Facts
        rows={[
          ['Network', r.published === 'reachable' ? 'reachable (published)' : 'firewalled (published)'],
          ['Tested by peers', <Value v={r.reachability} />],
          ['Clock skew', <Value v={r.clockSkewMs} format={(ms) => `${ms} ms`} />],
          ['Uptime', duration(r.uptimeMs)],
          ['Version', r.version],
          ['Caps', r.caps || '–'],
          ['Floodfill', r.floodfill ? 'yes' : 'no'],
          ['Network ID', r.netId],
          ['Router hash', <code title={r.routerHash}>{shortHash(r.routerHash)}</code>],
          ...(r.reseeding ? ([['Reseeding', 'in progress']] as [string, string][]) : []),
        ]}
      />
    </Card>
  );
}

function LanClients({ c }: { c: Snapshot['lanClients'] }) {
  return (
    <Card title="LAN clients" id="lan-clients">
      {isNotAvailable(c) ? (
        <p>
          <Value v={c} />
        </p>
      ) : (
        <>
          <p>{c.count} seen</p>
          {c.clients.length > 0 ? (
            <ul>
              {c.clients.map((x) => (
                <li key={x.address}>
                  {x.name ? `${x.name} — ` : ''}
                  {x.address} <small>last seen {dateTime(x.lastSeenAt)}</small>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </Card>
  );
}

function Meter({ value, label }: { value: number; label: string }) {
  return <meter min={0} max={100} low={70} high={90} optimum={0} value={value} aria-label={label} />;
}

function SystemCard({ s }: { s: Snapshot }) {
  const sys = s.system;
  if (isNotAvailable(sys)) {
    return (
      <Card title="System health" id="system">
        <p>
          <Value v={sys} />
        </p>
      </Card>
    );
  }
  const cpu = sys.cpu;
  return (
    <Card title="System health" id="system">
      <Facts
        rows={[
          [
            'CPU load',
            isNotAvailable(cpu.loadPercent) ? (
              <Value v={cpu.loadPercent} />
            ) : (
              <>
                <Meter value={cpu.loadPercent} label="CPU load" /> {percent(cpu.loadPercent)} <small>({cpu.cores} cores; load {cpu.loadAverage.map((x) => x.toFixed(2)).join(' ')})</small>
              </>
            ),
          ],
          ['CPU temperature', <Value v={cpu.temperatureC} format={(t) => `${t.toFixed(1)} °C`} />],
          [
            'Memory',
            isNotAvailable(sys.memory) ? (
              <Value v={sys.memory} />
            ) : (
              <>
                <Meter value={sys.memory.usedPercent} label="Memory used" /> {percent(sys.memory.usedPercent)} used <small>({bytes(sys.memory.availableBytes)} free of {bytes(sys.memory.totalBytes)})</small>
              </>
            ),
          ],
          [
            'Storage (SD card)',
            isNotAvailable(sys.disk) ? (
              <Value v={sys.disk} />
            ) : (
              <>
                <Meter value={sys.disk.usedPercent} label="Storage used" /> {bytes(sys.disk.freeBytes)} free <small>of {bytes(sys.disk.totalBytes)} on {sys.disk.mount}</small>
              </>
            ),
          ],
          ['Router process', `${bytes(sys.process.rssBytes)} memory`],
        ]}
      />
    </Card>
  );
}
