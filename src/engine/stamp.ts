/**
 * The one timestamp format kubesmith puts in names (run log folders, backups, snapshots, kept data):
 * ISO 8601 basic format in UTC, e.g. "20261207T133005Z" — sorts by time, no colon, no separator to escape.
 */
export function stampOf(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
