// Emulated helm 3 for the lab: version, repo add/update, list, upgrade --install (the cilium chart), uninstall.
// Objects are applied through the lab's kubectl (so the cluster state sees them); `--wait` polls the workloads'
// status the way helm's readiness checker does. Journal + fault hook come from main() (`/var/lib/lab/faults/helm`).
import YAML from 'yaml';
import { ExitError, main, out, readText, runEmulator, sleepMs } from '../kube/lab.js';
import { type Parsed, bool, flag, flagAll, parseArgs, parseDuration } from '../kube/args.js';
import { repoAdd, repoUpdate, resolveChart } from './repos.js';
import { type Release, dropRelease, helmTime, loadReleases, saveRelease } from './store.js';
import { renderCilium } from './cilium-chart.js';

const BOOLEANS = ['install', 'wait', 'force-update', 'short', 'all-namespaces', 'A', 'debug', 'atomic', 'create-namespace', 'help', 'h'];
const ALIASES = { n: 'namespace', o: 'output', f: 'values', A: 'all-namespaces' };
const VERSION = (): string => process.env.LAB_HELM_VERSION ?? '3.16.4';

function kubectl(p: Parsed, args: string[], input?: string) {
  const kc = flag(p, 'kubeconfig');
  const r = runEmulator('kubectl', [...(kc ? ['--kubeconfig', kc] : []), ...args], input);
  if (!r) throw new ExitError('Error: Kubernetes cluster unreachable: kubectl not found');
  return r;
}

function readValues(p: Parsed): Record<string, any> {
  let values: Record<string, any> = {};
  for (const file of flagAll(p, 'values')) {
    const text = readText(file);
    if (text === undefined) throw new ExitError(`Error: open ${file}: no such file or directory`);
    let doc: unknown;
    try {
      doc = YAML.parse(text);
    } catch (e) {
      throw new ExitError(`Error: failed to parse ${file}: error converting YAML to JSON: yaml: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc)))
      throw new ExitError(
        `Error: failed to parse ${file}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(doc) ? 'array' : 'string'} into Go value of type map[string]interface {}`,
      );
    values = { ...values, ...((doc as Record<string, any>) ?? {}) };
  }
  return values;
}

/** helm --wait: every DaemonSet has all pods ready, every Deployment its replicas, within --timeout (default 5m). */
function waitReady(p: Parsed, ns: string, objects: Array<{ kind?: unknown; metadata?: { name?: string } }>): void {
  const deadline = Date.now() + parseDuration(flag(p, 'timeout') ?? '5m0s');
  const workloads = objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment');
  for (;;) {
    const pending = workloads.filter((o) => {
      const r = kubectl(p, ['get', String(o.kind).toLowerCase(), o.metadata!.name!, '-n', ns, '-o', 'json']);
      if (r.code !== 0) return true;
      const s = (JSON.parse(r.stdout) as { status?: Record<string, number> }).status ?? {};
      return o.kind === 'DaemonSet'
        ? !(s.desiredNumberScheduled! > 0 && s.numberReady === s.desiredNumberScheduled)
        : !(s.replicas! > 0 && s.readyReplicas === s.replicas);
    });
    if (!pending.length) return;
    if (Date.now() >= deadline)
      throw new ExitError(
        `Error: UPGRADE FAILED: context deadline exceeded (waiting for ${pending.map((o) => `${o.kind}/${o.metadata!.name}`).join(', ')})`,
      );
    sleepMs(1000);
  }
}

function upgrade(p: Parsed): void {
  const [name, chartRef] = p.positional.slice(1);
  if (!name || !chartRef)
    throw new ExitError(`Error: "helm upgrade" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]`);
  const ns = flag(p, 'namespace') ?? 'default';
  const prev = loadReleases()[`${ns}/${name}`];
  if (!prev && !bool(p, 'install')) throw new ExitError(`Error: UPGRADE FAILED: "${name}" has no deployed releases`);
  const values = readValues(p);
  const chart = resolveChart(chartRef, flag(p, 'version'));
  if (chart.chart !== 'cilium') throw new ExitError(`Error: the lab's helm renders the cilium chart only, not ${chart.chart}`);
  const objects = renderCilium(name, ns, chart.version, chart.appVersion, values);
  const release: Release = {
    name,
    namespace: ns,
    revision: (prev?.revision ?? 0) + 1,
    updated: helmTime(),
    status: prev ? 'pending-upgrade' : 'pending-install',
    chart: `${chart.chart}-${chart.version}`,
    app_version: chart.appVersion,
    values,
  };
  const applied = kubectl(p, ['apply', '-f', '-'], objects.map((o) => YAML.stringify(o)).join('---\n'));
  if (applied.code !== 0) {
    saveRelease({ ...release, status: 'failed' });
    throw new ExitError(`Error: ${prev ? 'UPGRADE' : 'INSTALLATION'} FAILED: ${applied.stderr.trim()}`);
  }
  if (bool(p, 'wait')) {
    try {
      waitReady(p, ns, objects);
    } catch (e) {
      saveRelease({ ...release, status: 'failed' });
      throw e;
    }
  }
  saveRelease({ ...release, status: 'deployed' });
  out(prev ? `Release "${name}" has been upgraded. Happy Helming!` : `Release "${name}" does not exist. Installing it now.`);
  out(
    `NAME: ${name}\nLAST DEPLOYED: ${new Date().toUTCString()}\nNAMESPACE: ${ns}\nSTATUS: deployed\nREVISION: ${release.revision}\nTEST SUITE: None`,
  );
}

function list(p: Parsed): void {
  const ns = flag(p, 'namespace') ?? 'default';
  const rows = Object.values(loadReleases())
    .filter((r) => bool(p, 'all-namespaces') || r.namespace === ns)
    .map(({ values: _v, revision, ...r }) => ({
      name: r.name,
      namespace: r.namespace,
      revision: String(revision),
      updated: r.updated,
      status: r.status,
      chart: r.chart,
      app_version: r.app_version,
    }));
  const o = flag(p, 'output') ?? 'table';
  if (o === 'json') return out(JSON.stringify(rows));
  if (o === 'yaml') return out(YAML.stringify(rows));
  out(
    [
      'NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION',
      ...rows.map((r) => [r.name, r.namespace, r.revision, r.updated, r.status, r.chart, r.app_version].join('\t')),
    ].join('\n'),
  );
}

function uninstall(p: Parsed): void {
  const name = p.positional[1];
  if (!name) throw new ExitError(`Error: "helm uninstall" requires at least 1 argument`);
  const ns = flag(p, 'namespace') ?? 'default';
  const rel = loadReleases()[`${ns}/${name}`];
  if (!rel) throw new ExitError(`Error: uninstall: Release not loaded: ${name}: release: not found`);
  const objects = renderCilium(name, ns, rel.chart.replace(/^cilium-/, ''), rel.app_version, rel.values);
  kubectl(p, ['delete', '-f', '-', '--ignore-not-found'], objects.map((o) => YAML.stringify(o)).join('---\n'));
  dropRelease(ns, name);
  out(`release "${name}" uninstalled`);
}

export function helm(argv: string[]): void {
  const p = parseArgs(argv, BOOLEANS, ALIASES);
  const [cmd, sub] = p.positional;
  switch (cmd) {
    case 'version':
      return out(
        bool(p, 'short')
          ? `v${VERSION()}+g7877b45`
          : `version.BuildInfo{Version:"v${VERSION()}", GitCommit:"7877b45b63f95635153b29a42c0c2f4273ec45ca", GitTreeState:"clean", GoVersion:"go1.22.7"}`,
      );
    case 'repo':
      if (sub === 'add') return repoAdd(p.positional[2], p.positional[3], bool(p, 'force-update'));
      if (sub === 'update' || sub === 'up') return repoUpdate();
      throw new ExitError(`Error: unknown command "${sub ?? ''}" for "helm repo"`);
    case 'list':
    case 'ls':
      return list(p);
    case 'upgrade':
      return upgrade(p);
    case 'install':
      return upgrade({ ...p, flags: new Map([...p.flags, ['install', ['true']]]) });
    case 'uninstall':
    case 'delete':
      return uninstall(p);
    default:
      throw new ExitError(`Error: unknown command "${cmd ?? ''}" for "helm"\nRun 'helm --help' for usage.`);
  }
}

main('helm', helm);
