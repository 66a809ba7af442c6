// kubectl get: tables like the real printers, -o wide|json|yaml|name|jsonpath=…
import YAML from './yaml-lazy.js';
import type { Cluster, KubeObject } from './cluster-state.js';
import { ExitError, now, out } from './lab.js';
import { type Parsed, bool, flag } from './args.js';
import { jsonpath } from './jsonpath.js';
import { tabwrite } from './table.js';
import { listObjects, qualified, resolveResource, type Resource } from './kubectl-resources.js';
import { csrCondition } from './kubelet-serving-csr.js';

/** apimachinery duration.HumanDuration (kubectl AGE). */
export function humanDuration(ms: number): string {
  const s = Math.trunc(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.trunc(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.trunc(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.trunc(h / 24)}d` : `${Math.trunc(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.trunc(h / 24)}d`;
  const d = Math.trunc(h / 24);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${Math.trunc(d / 365)}y` : `${Math.trunc(d / 365)}y${d % 365}d`;
  return `${Math.trunc(d / 365)}y`;
}

const age = (o: KubeObject) => humanDuration(now() - Date.parse(String(o.metadata?.creationTimestamp ?? new Date(now()).toISOString())));

function nodeRow(o: any, wide: boolean): string[] {
  const ready = o.status.conditions.find((c: any) => c.type === 'Ready')?.status === 'True';
  const status = (ready ? 'Ready' : 'NotReady') + (o.spec.unschedulable ? ',SchedulingDisabled' : '');
  const roles =
    Object.keys(o.metadata.labels)
      .filter((l) => l.startsWith('node-role.kubernetes.io/'))
      .map((l) => l.split('/')[1])
      .join(',') || '<none>';
  const row = [o.metadata.name, status, roles, age(o), o.status.nodeInfo.kubeletVersion];
  if (wide)
    row.push(
      o.status.addresses[0].address,
      '<none>',
      o.status.nodeInfo.osImage,
      o.status.nodeInfo.kernelVersion,
      o.status.nodeInfo.containerRuntimeVersion,
    );
  return row;
}

function podRow(o: any, wide: boolean, allNs: boolean): string[] {
  const running = o.status.phase === 'Running';
  const status = running ? 'Running' : o.status.reason && o.status.reason !== 'NodeNotReady' ? o.status.reason : 'Pending';
  const row = [...(allNs ? [o.metadata.namespace] : []), o.metadata.name, `${running ? 1 : 0}/1`, status, '0', age(o)];
  if (wide) row.push(o.status.podIP ?? '<none>', o.spec.nodeName ?? '<none>', '<none>', '<none>');
  return row;
}

function genericRow(o: any, allNs: boolean, r: Resource): string[] {
  const ns = allNs && r.namespaced ? [o.metadata.namespace] : [];
  if (r.kind === 'ConfigMap') return [...ns, o.metadata.name, String(Object.keys(o.data ?? {}).length), age(o)];
  if (r.kind === 'Namespace') return [...ns, o.metadata.name, 'Active', age(o)];
  const st = o.status ?? {};
  if (r.kind === 'DaemonSet') {
    const sel =
      Object.entries(o.spec?.template?.spec?.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>';
    return [
      ...ns,
      o.metadata.name,
      ...[st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady, st.updatedNumberScheduled, st.numberAvailable].map(String),
      sel,
      age(o),
    ];
  }
  if (r.kind === 'Deployment')
    return [...ns, o.metadata.name, `${st.readyReplicas}/${st.replicas}`, String(st.updatedReplicas), String(st.availableReplicas), age(o)];
  if (r.kind === 'PodDisruptionBudget')
    return [
      ...ns,
      o.metadata.name,
      String(o.spec?.minAvailable ?? 'N/A'),
      String(o.spec?.maxUnavailable ?? 'N/A'),
      String(st.disruptionsAllowed),
      age(o),
    ];
  if (r.kind === 'CertificateSigningRequest')
    return [
      o.metadata.name,
      age(o),
      o.spec?.signerName,
      o.spec?.username,
      o.spec?.expirationSeconds ? humanDuration(o.spec.expirationSeconds * 1000) : '<none>',
      csrCondition(o),
    ];
  return [...ns, o.metadata.name, age(o)];
}

function headers(r: Resource, wide: boolean, allNs: boolean): string[] {
  const ns = allNs && r.namespaced ? ['NAMESPACE'] : [];
  if (r.kind === 'Node')
    return [
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      ...(wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : []),
    ];
  if (r.kind === 'Pod')
    return [...ns, 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])];
  if (r.kind === 'ConfigMap') return [...ns, 'NAME', 'DATA', 'AGE'];
  if (r.kind === 'Namespace') return ['NAME', 'STATUS', 'AGE'];
  if (r.kind === 'DaemonSet') return [...ns, 'NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'];
  if (r.kind === 'Deployment') return [...ns, 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
  if (r.kind === 'PodDisruptionBudget') return [...ns, 'NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE'];
  if (r.kind === 'CertificateSigningRequest') return ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION'];
  return [...ns, 'NAME', 'AGE'];
}

const matchesSelector = (o: KubeObject, selector?: string): boolean => {
  if (!selector) return true;
  const labels = o.metadata?.labels ?? {};
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
};

export function selectObjects(c: Cluster, p: Parsed, r: Resource, names: string[]): KubeObject[] {
  const allNs = bool(p, 'all-namespaces');
  const ns = flag(p, 'namespace') ?? 'default';
  let objs = listObjects(c, r).filter((o) => !r.namespaced || allNs || (o.metadata?.namespace ?? 'default') === ns);
  objs = objs.filter((o) => matchesSelector(o, flag(p, 'selector')));
  if (names.length) {
    const missing = names.filter((n) => !objs.some((o) => o.metadata?.name === n));
    if (missing.length && !bool(p, 'ignore-not-found'))
      throw new ExitError(`Error from server (NotFound): ${r.group ? `${r.plural}.${r.group}` : r.plural} "${missing[0]}" not found`);
    objs = names.flatMap((n) => objs.filter((o) => o.metadata?.name === n).slice(0, 1));
  }
  return objs;
}

export function get(c: Cluster, p: Parsed): void {
  const [type, ...names] = p.positional;
  if (!type)
    throw new ExitError(
      'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.',
    );
  const [typeName, slashName] = type.split('/');
  const r = resolveResource(typeName!);
  const wanted = slashName ? [slashName, ...names] : names;
  const objs = selectObjects(c, p, r, wanted);
  // kubectl get.go: nothing found and --ignore-not-found → no output at all, exit 0
  if (!objs.length && bool(p, 'ignore-not-found')) return;
  const o = flag(p, 'output') ?? '';
  const single = wanted.length === 1;
  const asList = () => ({ apiVersion: 'v1', items: objs, kind: 'List', metadata: { resourceVersion: '' } });
  if (o === 'json') return out(JSON.stringify(single ? objs[0] : asList(), null, 4));
  if (o === 'yaml') return out(YAML.stringify(single ? objs[0] : asList()));
  if (o === 'name') return out(objs.map((x) => `${qualified(r)}/${x.metadata?.name}`).join('\n'));
  if (o.startsWith('jsonpath=') || o.startsWith('jsonpath-as-json=')) {
    return void process.stdout.write(jsonpath(o.slice(o.indexOf('=') + 1).replace(/^'(.*)'$/, '$1'), single ? objs[0] : asList()));
  }
  if (objs.length === 0) {
    const allNs = bool(p, 'all-namespaces');
    process.stderr.write(
      r.namespaced && !allNs ? `No resources found in ${flag(p, 'namespace') ?? 'default'} namespace.\n` : 'No resources found\n',
    );
    return;
  }
  const wide = o === 'wide';
  const allNs = bool(p, 'all-namespaces');
  const rows = [
    ...(bool(p, 'no-headers') ? [] : [headers(r, wide, allNs)]),
    ...objs.map((x) =>
      r.kind === 'Node' ? nodeRow(x, wide) : r.kind === 'Pod' ? podRow(x, wide, allNs && r.namespaced) : genericRow(x, allNs, r),
    ),
  ];
  process.stdout.write(tabwrite(rows, 6, 3));
}
