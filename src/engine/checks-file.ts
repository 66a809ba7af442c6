/**
 * Where the converge batch's questions are kept between runs: `.kubesmith/<cluster>/checks/<playbook>.json` on the
 * admin machine (next to admin.conf; directory 0700, file 0600), per host the checks its last run asked, in order.
 * Only questions are kept, never answers; a command carrying a secret is never recorded (converge.ts). A file written
 * by another kubesmith version, or unreadable, counts as none: the run then asks one by one, as before.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CheckEntry } from './check-batch.js';
import { packageVersion } from './paths.js';

interface ChecksFile {
  version: string;
  hosts: Record<string, CheckEntry[]>;
}

export function checksFilePath(cwd: string, cluster: string, playbook: string): string {
  return join(cwd, '.kubesmith', cluster, 'checks', `${playbook.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

const isEntry = (e: unknown): e is CheckEntry => {
  const o = e as Partial<Record<string, unknown>> | null;
  if (!o || typeof o !== 'object') return false;
  if (o.kind === 'read') return typeof o.path === 'string';
  return o.kind === 'exec' && typeof o.text === 'string' && typeof o.display === 'string';
};

/** The checks each host asked last time (empty when there is no usable file). */
export function loadChecks(path: string): Record<string, CheckEntry[]> {
  let data: Partial<ChecksFile>;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as Partial<ChecksFile>;
  } catch {
    return {};
  }
  if (data.version !== packageVersion() || !data.hosts || typeof data.hosts !== 'object') return {};
  return Object.fromEntries(
    Object.entries(data.hosts).filter(([, list]) => Array.isArray(list) && list.every(isEntry)) as [string, CheckEntry[]][],
  );
}

/**
 * Keep this run's checks for the hosts in `keep` (those that ran without failing), the previous ones for the rest.
 * An entry holding one of the run's known secrets (passwords, tokens a task registered) is left out.
 */
export function saveChecks(
  path: string,
  previous: Readonly<Record<string, CheckEntry[]>>,
  recorded: Readonly<Record<string, CheckEntry[]>>,
  keep: (host: string) => boolean,
  secrets: readonly string[] = [],
): void {
  const clean = (e: CheckEntry) => {
    const text = e.kind === 'exec' ? `${e.text}\n${e.display}` : e.path;
    return !secrets.some((s) => s.length > 0 && text.includes(s));
  };
  const hosts: Record<string, CheckEntry[]> = { ...previous };
  for (const [host, list] of Object.entries(recorded)) if (keep(host)) hosts[host] = list.filter(clean);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: packageVersion(), hosts } satisfies ChecksFile), { mode: 0o600 });
  renameSync(tmp, path);
}
