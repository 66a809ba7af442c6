// helm repo add/update: a chart repository answers only when the lab's internet (the curl front) serves its index.yaml.
import YAML from 'yaml';
import { ExitError, out, readText, runEmulator, writeText } from '../kube/lab.js';
import { indexFile, loadRepos, saveRepos } from './store.js';

const indexUrl = (url: string): string => `${url.replace(/\/+$/, '')}/index.yaml`;

/** Fetch a repository's index through curl, with helm's error wording when it cannot. */
function fetchIndex(url: string): string {
  const r = runEmulator('curl', ['-fsSL', indexUrl(url)]);
  const host = new URL(url).hostname;
  if (!r)
    throw new ExitError(
      `Error: looks like "${url}" is not a valid chart repository or cannot be reached: Get "${indexUrl(url)}": dial tcp: lookup ${host}: no such host`,
    );
  if (r.code === 22)
    throw new ExitError(
      `Error: looks like "${url}" is not a valid chart repository or cannot be reached: failed to fetch ${indexUrl(url)} : 404 Not Found`,
    );
  if (r.code !== 0)
    throw new ExitError(
      `Error: looks like "${url}" is not a valid chart repository or cannot be reached: Get "${indexUrl(url)}": dial tcp: lookup ${host}: no such host`,
    );
  const doc = YAML.parse(r.stdout) as { entries?: unknown } | null;
  if (!doc?.entries)
    throw new ExitError(
      `Error: looks like "${url}" is not a valid chart repository or cannot be reached: error unmarshaling JSON: no API version specified`,
    );
  return r.stdout;
}

export function repoAdd(name: string | undefined, url: string | undefined, forceUpdate: boolean): void {
  if (!name || !url) throw new ExitError(`Error: "helm repo add" requires 2 arguments\n\nUsage:  helm repo add [NAME] [URL] [flags]`);
  const repos = loadRepos();
  const existing = repos.find((r) => r.name === name);
  if (existing && !forceUpdate) {
    if (existing.url === url) return out(`"${name}" already exists with the same configuration, skipping`);
    throw new ExitError(`Error: repository name (${name}) already exists, please specify a different name`);
  }
  writeText(indexFile(name), fetchIndex(url));
  saveRepos([...repos.filter((r) => r.name !== name), { name, url }]);
  out(`"${name}" has been added to your repositories`);
}

export function repoUpdate(): void {
  const repos = loadRepos();
  if (!repos.length) throw new ExitError('Error: no repositories found. You must add one before updating');
  out('Hang tight while we grab the latest from your chart repositories...');
  const failed: string[] = [];
  for (const r of repos) {
    try {
      writeText(indexFile(r.name), fetchIndex(r.url));
      out(`...Successfully got an update from the "${r.name}" chart repository`);
    } catch (e) {
      out(
        `...Unable to get an update from the "${r.name}" chart repository (${r.url}):\n\t${(e as Error).message.replace(/^Error: /, '')}`,
      );
      failed.push(r.name);
    }
  }
  if (failed.length)
    throw new ExitError(
      `Error: failed to update the following repositories: [${failed.map((n) => loadRepos().find((r) => r.name === n)!.url).join(' ')}]`,
    );
  out('Update Complete. ⎈Happy Helming!⎈');
}

/** `repo/chart` at `version` from the cached index: the chart's appVersion, or helm's error. */
export function resolveChart(ref: string, version: string | undefined): { chart: string; version: string; appVersion: string } {
  const [repo, chart] = ref.split('/');
  if (!repo || !chart) throw new ExitError(`Error: non-absolute URLs should be in form of repo_name/path_to_chart, got: ${ref}`);
  if (!loadRepos().some((r) => r.name === repo)) throw new ExitError(`Error: repo ${repo} not found`);
  const index = YAML.parse(readText(indexFile(repo)) ?? '{}') as {
    entries?: Record<string, Array<{ version: string; appVersion?: string }>>;
  } | null;
  const entries = index?.entries?.[chart] ?? [];
  const found = version ? entries.find((e) => e.version === version.replace(/^v/, '')) : entries[0];
  if (!found)
    throw new ExitError(
      `Error: chart "${chart}" matching ${version ?? ''} not found in ${repo} index. (try 'helm repo update'): no chart version found for ${chart}-${version ?? ''}`,
    );
  return { chart, version: found.version, appVersion: found.appVersion ?? found.version };
}
