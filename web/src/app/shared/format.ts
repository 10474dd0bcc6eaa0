/** Number formatting for the operator figures. Pure functions (unit-tested). */

const grouped = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Shown for a figure that is not known (yet). */
export const UNKNOWN = '—';

/** A count: "1,234". */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? UNKNOWN : grouped.format(Math.round(n));
}

/** A rate per second: one decimal below 10 ("2.5", "0"), whole numbers above ("1,523"). */
export function formatRate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  if (n === 0) return '0';
  return Math.abs(n) < 10 ? oneDecimal.format(n) : grouped.format(Math.round(n));
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes per second, decimal units: "812 B/s", "12.3 kB/s", "1.2 MB/s". */
export function formatBytesRate(n: number | null | undefined): string {
  const [value, unit] = bytesParts(n);
  return value === UNKNOWN ? UNKNOWN : `${value} ${unit}/s`;
}

/** ["12.3", "kB"]: the number and its unit apart (the page styles them apart). */
export function bytesParts(n: number | null | undefined): [string, string] {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return [UNKNOWN, ''];
  let i = 0;
  let v = n;
  while (v >= 999.95 && i < BYTE_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  const text = i === 0 ? grouped.format(Math.round(v)) : v < 100 ? oneDecimal.format(v) : grouped.format(Math.round(v));
  return [text, BYTE_UNITS[i]];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "HH:MM:SS" in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A duration for people: "3 s", "2 min 5 s", "1 h 4 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}
