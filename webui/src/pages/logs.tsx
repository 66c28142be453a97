/**
 * Live log tail: the server's SSE stream at the chosen lowest level (it sends the last 100 lines
 * first, then each new one). The page keeps the last 500 lines; pausing stops adding lines without
 * closing the stream, so nothing is lost while reading.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { API, verifySession } from '../api.js';
import { Notice } from '../components/ui.js';
import { time } from '../format.js';
import { LOG_LEVELS, type LogEntry, type LogLevel } from '../types.js';

const KEEP = 500;
/** Fields of a pino record shown in their own columns, not among the details. */
const SHOWN = new Set(['level', 'time', 'msg', 'sub', 'name', 'pid', 'hostname']);

function details(record: Record<string, unknown>): string {
  const rest = Object.entries(record).filter(([k]) => !SHOWN.has(k));
  return rest.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

export function Logs() {
  const [level, setLevel] = useState<LogLevel>('info');
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [paused, setPaused] = useState(false);
  const [dropped, setDropped] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const held = useRef<LogEntry[]>([]);
  const [heldCount, setHeldCount] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    setEntries([]);
    held.current = [];
    setHeldCount(0);
    setDropped(0);
    setState('connecting');
    const es = new EventSource(`${API}/logs/stream?level=${level}`);
    const incoming: LogEntry[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    es.onopen = () => setState('live');
    es.addEventListener('log', (ev) => {
      const entry = JSON.parse((ev as MessageEvent<string>).data) as LogEntry;
      if (pausedRef.current) {
        held.current = [...held.current, entry].slice(-KEEP);
        setHeldCount(held.current.length);
        return;
      }
      incoming.push(entry);
      // Lines are drawn a few times a second, not one render per line (debug level can be busy).
      flush ??= setTimeout(() => {
        flush = undefined;
        const batch = incoming.splice(0);
        setEntries((list) => [...list, ...batch].slice(-KEEP));
      }, 200);
    });
    es.addEventListener('dropped', (ev) => {
      const d = JSON.parse((ev as MessageEvent<string>).data) as { dropped: number };
      setDropped((n) => n + d.dropped);
    });
    let retry: ReturnType<typeof setTimeout> | undefined;
    es.onerror = () => {
      setState('reconnecting');
      // CLOSED: the server refused the stream (session ended, too many streams): find out, retry later.
      if (es.readyState !== EventSource.CLOSED) return;
      void verifySession();
      retry = setTimeout(() => setAttempt((n) => n + 1), 5000);
    };
    return () => {
      es.close();
      if (retry) clearTimeout(retry);
      if (flush) clearTimeout(flush);
    };
  }, [level, attempt]);

  // Resuming adds the lines that came while paused.
  useEffect(() => {
    if (paused || held.current.length === 0) return;
    const h = held.current;
    held.current = [];
    setHeldCount(0);
    setEntries((list) => [...list, ...h].slice(-KEEP));
  }, [paused]);

  // Follow the newest line unless the reader has scrolled up.
  useEffect(() => {
    const el = list.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [entries]);

  return (
    <>
      <div class="toolbar">
        <div class="field inline">
          <label for="log-level">Lowest level</label>
          <select id="log-level" value={level} onChange={(e) => setLevel((e.currentTarget as HTMLSelectElement).value as LogLevel)}>
            {LOG_LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setEntries([])}>
          Clear
        </button>
        <span role="status" class={`live live-${state}`}>
          {state === 'live' ? (paused ? `Paused (${heldCount} new)` : 'Live') : state === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
      </div>
      {dropped > 0 ? <Notice kind="warn">{dropped} lines were skipped: the page could not keep up.</Notice> : null}
      <ol class="log" ref={list} aria-label={`Log lines at ${level} and above`} tabIndex={0}>
        {entries.length === 0 ? <li class="empty">No log line at this level yet.</li> : null}
        {entries.map((e) => (
          <li key={e.seq} class={`log-${e.level}`}>
            <time dateTime={new Date(e.time).toISOString()}>{time(e.time)}</time> <span class={`lvl lvl-${e.level}`}>{e.level}</span>{' '}
            {typeof e.record.sub === 'string' ? <span class="sub">{e.record.sub}</span> : null} <span class="msg">{String(e.record.msg ?? '')}</span>{' '}
            <span class="details">{details(e.record)}</span>
          </li>
        ))}
      </ol>
    </>
  );
}
