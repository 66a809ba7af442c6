// Where the emulated helm keeps its state on the host (all paths honour LAB_FS_ROOT).
// Repositories and the index cache live under $HOME like helm's (~/.config/helm, ~/.cache/helm). Releases live in
// /var/lib/lab/helm/releases.json — a simplification: real helm stores them as Secrets in the release namespace
// (sh.helm.release.v1.<name>.v<rev>), so they are seen from every control plane; the lab's cilium runs use one.
import YAML from 'yaml';
import { readText, writeText } from '../kube/lab.js';

const home = (): string => process.env.HOME || '/root';
export const reposFile = (): string => `${home()}/.config/helm/repositories.yaml`;
export const indexFile = (repo: string): string => `${home()}/.cache/helm/repository/${repo}-index.yaml`;
const RELEASES = '/var/lib/lab/helm/releases.json';

export interface RepoEntry {
  name: string;
  url: string;
}

export function loadRepos(): RepoEntry[] {
  const text = readText(reposFile());
  if (!text) return [];
  const doc = YAML.parse(text) as { repositories?: RepoEntry[] } | null;
  return doc?.repositories ?? [];
}

export function saveRepos(repos: RepoEntry[]): void {
  const doc = {
    apiVersion: '',
    generated: new Date().toISOString(),
    repositories: repos.map((r) => ({
      name: r.name,
      url: r.url,
      username: '',
      password: '',
      certFile: '',
      keyFile: '',
      caFile: '',
      insecure_skip_tls_verify: false,
      pass_credentials_all: false,
    })),
  };
  writeText(reposFile(), YAML.stringify(doc), 0o600);
}

export interface Release {
  name: string;
  namespace: string;
  revision: number;
  updated: string;
  status: 'deployed' | 'failed' | 'pending-install' | 'pending-upgrade';
  chart: string;
  app_version: string;
  values: Record<string, unknown>;
}

export function loadReleases(): Record<string, Release> {
  const text = readText(RELEASES);
  return text ? (JSON.parse(text) as Record<string, Release>) : {};
}

export function saveRelease(r: Release): void {
  const all = loadReleases();
  all[`${r.namespace}/${r.name}`] = r;
  writeText(RELEASES, JSON.stringify(all, null, 2) + '\n');
}

export function dropRelease(ns: string, name: string): void {
  const all = loadReleases();
  delete all[`${ns}/${name}`];
  writeText(RELEASES, JSON.stringify(all, null, 2) + '\n');
}

/** helm's time format in `list -o json`: "2026-11-27 05:50:00.123456789 +0000 UTC". */
export function helmTime(d = new Date()): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.(\d+)Z$/, (_m, ms: string) => `.${ms.padEnd(9, '0')} +0000 UTC`);
}
