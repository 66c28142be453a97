/** Numbers for people: sizes, rates, durations, times. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export function rate(bytesPerSecond: number): string {
  return `${bytes(bytesPerSecond)}/s`;
}

export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

export function percent(n: number): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)} %`;
}

export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString();
}

export function time(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

/** The first characters of a long base64 hash, enough to tell routers apart in a table. */
export function shortHash(h: string): string {
  return h.length > 12 ? `${h.slice(0, 10)}…` : h;
}
