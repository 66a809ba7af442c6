// Go text/tabwriter layout (minwidth, padding, space-padded; the last cell is not padded) and durations.

export function tabwrite(rows: string[][], minWidth = 10, padding = 3): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return (
    rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(Math.max(minWidth, widths[i]! + padding)) : c)).join('')).join('\n') + '\n'
  );
}

/** apimachinery duration.ShortHumanDuration. */
export function shortHumanDuration(ms: number): string {
  const s = Math.trunc(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 60) return `${s}s`;
  const m = Math.trunc(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.trunc(m / 60);
  if (h < 24) return `${h}h`;
  if (h < 24 * 365) return `${Math.trunc(h / 24)}d`;
  return `${Math.trunc(h / 24 / 365)}y`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Go layout "Jan 02, 2006 15:04 MST" in UTC. */
export function expiryDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

/** RFC 3339 without fractional seconds, as kubeadm token list prints. */
export const rfc3339 = (ms: number): string => new Date(Math.trunc(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
