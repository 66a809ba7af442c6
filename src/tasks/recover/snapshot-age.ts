/**
 * How old an etcd snapshot on the admin machine is, and at which revision: read from the record `etcd backup` and
 * `reset` write next to it (<name>.json: takenAt, status.revision), else from the <stamp>-<node>.db name, else the
 * file's mtime. recover names these before it uses a snapshot and refuses one older than --max-snapshot-age.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';

/** Default --max-snapshot-age: a day. */
export const DEFAULT_MAX_SNAPSHOT_AGE_MS = 24 * 3600_000;

export interface SnapshotInfo {
  file: string;
  takenAt: Date;
  /** etcd revision recorded at backup; undefined without a record (then shown by `snapshot status` on the node). */
  revision?: number;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** 20260101T000000Z (stampOf) → Date; undefined if the text does not start with one. */
export function parseStamp(text: string): Date | undefined {
  const m = STAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

export function snapshotInfo(file: string): SnapshotInfo {
  let record: { takenAt?: unknown; status?: { revision?: unknown } } = {};
  try {
    record = JSON.parse(readFileSync(file.replace(/\.db$/, '.json'), 'utf8')) as typeof record;
  } catch {
    // no record: name or mtime
  }
  const takenAt =
    (typeof record.takenAt === 'string' ? parseStamp(record.takenAt) : undefined) ?? parseStamp(basename(file)) ?? statSync(file).mtime;
  const revision = record.status?.revision;
  return { file, takenAt, ...(typeof revision === 'number' ? { revision } : {}) };
}

/** 90061000 → "1d 1h", 3720000 → "1h 2m", 59000 → "59s". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** "24h", "90m", "2d", "3600s" → milliseconds; undefined when not such a duration. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** "<file> (taken <iso>, 3h 2m old, revision 1234)". */
export function describeSnapshot(info: SnapshotInfo, now: Date): string {
  const revision = info.revision !== undefined ? `revision ${info.revision}` : 'revision: read on the node';
  return `${info.file} (taken ${info.takenAt.toISOString()}, ${formatAge(now.getTime() - info.takenAt.getTime())} old, ${revision})`;
}
