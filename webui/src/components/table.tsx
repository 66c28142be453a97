/**
 * Sortable tables. The big tables (peers, transit tunnels, address book) are sorted and paged by the
 * server (`sort`, `order`, `limit`, `offset`): the page never holds thousands of rows. Small ones
 * (our exploratory tunnels) are sorted here with `sortRows`.
 */
import type { ComponentChild } from 'preact';

export type Order = 'asc' | 'desc';
export interface SortState {
  key: string;
  order: Order;
}

export interface Column<R> {
  key: string;
  label: string;
  sortable?: boolean;
  numeric?: boolean;
  /** Left out on a phone-sized screen (the row's other columns matter more there). */
  wideOnly?: boolean;
  render?: (row: R) => ComponentChild;
}

function cellClass(c: { numeric?: boolean; wideOnly?: boolean }): string | undefined {
  return [c.numeric ? 'num' : '', c.wideOnly ? 'wide-only' : ''].filter(Boolean).join(' ') || undefined;
}

interface TableProps<R> {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R) => string;
  sort?: SortState;
  onSort?: (s: SortState) => void;
  empty: string;
}

export function SortTable<R>({ caption, columns, rows, rowKey, sort, onSort, empty }: TableProps<R>) {
  return (
    <div class="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              const ariaSort = active ? (sort!.order === 'asc' ? 'ascending' : 'descending') : c.sortable ? 'none' : undefined;
              return (
                <th key={c.key} scope="col" aria-sort={ariaSort} class={cellClass(c)}>
                  {c.sortable && onSort ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() => onSort({ key: c.key, order: active && sort!.order === 'asc' ? 'desc' : 'asc' })}
                    >
                      {c.label}
                      <span aria-hidden="true" class="sort-mark">
                        {active ? (sort!.order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
                      </span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="empty">
                {empty}
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={rowKey(r)}>
                {columns.map((c) => (
                  <td key={c.key} class={cellClass(c)}>
                    {c.render ? c.render(r) : String((r as Record<string, unknown>)[c.key] ?? '')}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Sorts a small table in the page. */
export function sortRows<R>(rows: readonly R[], sort: SortState): R[] {
  const dir = sort.order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = (a as Record<string, unknown>)[sort.key];
    const y = (b as Record<string, unknown>)[sort.key];
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x ?? '').localeCompare(String(y ?? '')) * dir;
  });
}

/** Previous/next for a server-paged table. */
export function Pager({ total, offset, limit, onOffset, label }: { total: number; offset: number; limit: number; onOffset: (o: number) => void; label: string }) {
  if (total <= limit) return null;
  const last = Math.min(total, offset + limit);
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span>
        {offset + 1}–{last} of {total}
      </span>
      <button type="button" disabled={last >= total} onClick={() => onOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/** The query string of a server-sorted page. */
export function pageQuery(sort: SortState, offset: number, limit: number, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ sort: sort.key, order: sort.order, limit: String(limit), offset: String(offset), ...extra });
  return q.toString();
}
