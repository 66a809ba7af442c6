// Emulated kubectl over the shared cluster state: get, apply, delete, cordon/uncordon, drain, wait, label,
// version, cluster-info.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import YAML from './yaml-lazy.js';
import { type Cluster, type KubeObject, loadState, objectKey, updateState } from './cluster-state.js';
import { ExitError, hostName, main, out, readText, sleepMs } from './lab.js';
import { type Parsed, bool, flag, flagAll, parseArgs, parseDuration } from './args.js';
import {
  clientUser,
  connect,
  listObjects,
  namespaces,
  qualified,
  readManifests,
  resolveResource,
  resourceForKind,
} from './kubectl-resources.js';
import { get, selectObjects } from './kubectl-get.js';
import { label, setCordon, taint } from './kubectl-nodes.js';
import { drain } from './kubectl-drain.js';
import { certificate } from './kubectl-certificate.js';
import { deprecationOf, metricsText, recordDeprecated } from './api-deprecations.js';
import { binaryVersion, versionInfo } from './kube-versions.js';
import { syncNode } from './node-state.js';
import { patch, podsRestarted } from './kubectl-patch.js';
import { loadFromStore, storageKey, storeDelete, storePut } from './etcd-storage.js';
import { busyboxExec, isBusyboxImage } from './busybox-exec.js';

const BOOLEANS = [
  'all-namespaces',
  'A',
  'ignore-daemonsets',
  'delete-emptydir-data',
  'force',
  'all',
  'overwrite',
  'client',
  'ignore-not-found',
  'wait',
  'help',
  'h',
  'quiet',
  'server-side',
  'no-headers',
  'disable-eviction',
];
const ALIASES = { A: 'all-namespaces', n: 'namespace', o: 'output', f: 'filename', l: 'selector', p: 'patch' };

function apply(c: Cluster, p: Parsed): void {
  const files = flagAll(p, 'filename');
  if (!files.length) throw new ExitError('error: must specify one of -f and -k');
  const lines: string[] = [];
  for (const file of files) {
    for (const obj of readManifests(file)) {
      if (!obj.kind || !obj.metadata?.name)
        throw new ExitError(
          `error: error validating "${file}": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false`,
        );
      const r = resourceForKind(obj.kind, obj.apiVersion);
      const deprecated = deprecationOf(obj.apiVersion ?? 'v1', obj.kind, c.kubernetesVersion);
      if (deprecated && 'removed' in deprecated)
        throw new ExitError(
          [
            ...lines,
            `error: resource mapping not found for name: "${obj.metadata.name}" namespace: "${obj.metadata.namespace ?? ''}" from "${file}": ${deprecated.removed}\nensure CRDs are installed first`,
          ].join('\n'),
        );
      if (deprecated) {
        process.stderr.write(`Warning: ${deprecated.warning}\n`);
        updateState((s) => recordDeprecated(s.clusters[c.id]!, deprecated.labels));
      }
      const ns = r.namespaced ? (obj.metadata.namespace ?? flag(p, 'namespace') ?? 'default') : undefined;
      const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, ...(ns ? { namespace: ns } : {}) } };
      // the API server fills a CSR's requester from the authenticated client (certificates.k8s.io/v1 spec.username)
      if (obj.kind === 'CertificateSigningRequest') (stored as any).spec = { ...(stored as any).spec, ...clientUser(p) };
      const result = updateState((s) => {
        const cl = s.clusters[c.id]!;
        if (ns && !namespaces(cl).has(ns))
          return `Error from server (NotFound): error when creating "${file}": namespaces "${ns}" not found`;
        const key = objectKey(obj.kind!, ns, obj.metadata!.name!);
        const prev = cl.objects[key];
        const { creationTimestamp: _t, ...prevMeta } = (prev?.metadata ?? {}) as Record<string, unknown>;
        if (prev && isDeepStrictEqual({ ...prev, metadata: prevMeta }, stored)) return 'unchanged';
        podsRestarted(cl, key, prev, stored);
        cl.objects[key] = {
          ...stored,
          metadata: {
            ...stored.metadata,
            creationTimestamp: (prev?.metadata as any)?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        };
        return prev ? 'configured' : 'created';
      });
      if (result.startsWith('Error')) throw new ExitError([...lines, result].join('\n'));
      if (result !== 'unchanged')
        storePut(c, storageKey(r, ns, obj.metadata.name), loadState().clusters[c.id]!.objects[objectKey(obj.kind, ns, obj.metadata.name)]!);
      lines.push(`${qualified(r)}/${obj.metadata.name} ${result}`);
      out(lines.at(-1)!);
    }
  }
  syncNode();
}

/**
 * `kubectl create clusterrolebinding NAME --clusterrole=ROLE [--user=U]… [--group=G]… [--serviceaccount=NS:SA]…`
 * (kubectl's pkg/cmd/create/create_clusterrolebinding.go: the object it builds, "required flag(s)" and
 * "failed to create clusterrolebinding: … already exists" texts).
 */
function createClusterRoleBinding(c: Cluster, p: Parsed): void {
  const name = p.positional[1];
  if (!name) throw new ExitError('error: exactly one NAME is required, got 0');
  const role = flag(p, 'clusterrole');
  if (!role) throw new ExitError('error: required flag(s) "clusterrole" not set');
  const rbac = 'rbac.authorization.k8s.io';
  const subjects = [
    ...(p.flags.get('user') ?? []).map((u) => ({ apiGroup: rbac, kind: 'User', name: u })),
    ...(p.flags.get('group') ?? []).map((g) => ({ apiGroup: rbac, kind: 'Group', name: g })),
    ...(p.flags.get('serviceaccount') ?? []).map((sa) => {
      const [namespace, saName] = sa.split(':');
      if (!namespace || !saName) throw new ExitError(`error: serviceaccount must be <namespace>:<name>`);
      return { kind: 'ServiceAccount', name: saName, namespace };
    }),
  ];
  const key = objectKey('ClusterRoleBinding', undefined, name);
  const obj: KubeObject = {
    apiVersion: `${rbac}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: role },
    ...(subjects.length ? { subjects } : {}),
  };
  const created = updateState((s) => {
    const cl = s.clusters[c.id]!;
    if (cl.objects[key]) return false;
    cl.objects[key] = obj;
    return true;
  });
  if (!created) throw new ExitError(`error: failed to create clusterrolebinding: clusterrolebindings.${rbac} "${name}" already exists`);
  storePut(c, storageKey(resourceForKind('ClusterRoleBinding'), undefined, name), obj);
  out(`clusterrolebinding.${rbac}/${name} created`);
}

function del(c: Cluster, p: Parsed): void {
  const targets: { r: ReturnType<typeof resolveResource>; ns?: string | undefined; name: string }[] = [];
  for (const file of flagAll(p, 'filename')) {
    for (const o of readManifests(file)) {
      const r = resourceForKind(o.kind!, o.apiVersion);
      targets.push({
        r,
        ns: r.namespaced ? (o.metadata?.namespace ?? flag(p, 'namespace') ?? 'default') : undefined,
        name: o.metadata!.name!,
      });
    }
  }
  const [type, ...names] = p.positional;
  if (type) {
    const [tn, sn] = type.split('/');
    const r = resolveResource(tn!);
    for (const name of sn ? [sn, ...names] : names)
      targets.push({ r, ns: r.namespaced ? (flag(p, 'namespace') ?? 'default') : undefined, name });
  }
  for (const t of targets) {
    const found = updateState((s) => {
      const cl = s.clusters[c.id]!;
      if (t.r.kind === 'Node') {
        const had = !!cl.nodes[t.name];
        delete cl.nodes[t.name];
        return had;
      }
      const key = objectKey(t.r.kind, t.ns, t.name);
      const had = !!cl.objects[key];
      delete cl.objects[key];
      return had;
    });
    if (!found && !bool(p, 'ignore-not-found'))
      throw new ExitError(`Error from server (NotFound): ${t.r.group ? `${t.r.plural}.${t.r.group}` : t.r.plural} "${t.name}" not found`);
    if (found && t.r.kind !== 'Node') storeDelete(c, storageKey(t.r, t.ns, t.name));
    if (found) out(`${qualified(t.r)} "${t.name}" deleted`);
  }
  // a deleted namespace takes its contents with it (asynchronously in a real cluster)
  const goneNs = targets.filter((t) => t.r.kind === 'Namespace').map((t) => t.name);
  if (goneNs.length)
    updateState((s) => {
      const cl = s.clusters[c.id]!;
      for (const k of Object.keys(cl.objects)) if (goneNs.includes(k.split('/')[1]!)) delete cl.objects[k];
    });
}

function wait(c: Cluster, p: Parsed): void {
  const cond = flag(p, 'for') ?? '';
  const m = /^condition=(\w+)(?:=(\w+))?$/.exec(cond);
  if (!m) throw new ExitError(`error: unrecognized condition: "${cond}"`);
  const [type, ...names] = p.positional;
  const [tn, sn] = (type ?? '').split('/');
  const r = resolveResource(tn!);
  const wanted = sn ? [sn, ...names] : names;
  const deadline = Date.now() + parseDuration(flag(p, 'timeout') ?? '30s');
  const want = (m[2] ?? 'True').toLowerCase();
  for (;;) {
    const cl = loadState().clusters[c.id];
    if (!cl) throw new ExitError('The connection to the server was refused - did you specify the right host or port?');
    const objs = selectObjects(cl, p, r, bool(p, 'all') || flag(p, 'selector') ? [] : wanted);
    if (!objs.length) throw new ExitError('error: no matching resources found');
    const pending = objs.filter((o: any) => (o.status?.conditions ?? []).find((x: any) => x.type === m[1])?.status?.toLowerCase() !== want);
    if (!pending.length) {
      for (const o of objs) out(`${qualified(r)}/${o.metadata!.name} condition met`);
      return;
    }
    if (Date.now() >= deadline)
      throw new ExitError(`error: timed out waiting for the condition on ${r.plural}/${pending[0]!.metadata!.name}`);
    sleepMs(Math.min(1000, Math.max(50, deadline - Date.now())));
  }
}

/**
 * kubectl exec into a pod of THIS host (e.g. the etcd static pod): the command is a program of the container's
 * image (argv as given, no shell; see runtime/image-exec.ts), with the static pod's hostPath mounts from the
 * kubelet's manifest. A program the image lacks fails with the API server's relay of runc's error.
 */
async function exec(c: Cluster, p: Parsed, command: string[]): Promise<void> {
  const name = p.positional[0] ?? '';
  const ns = flag(p, 'namespace') ?? 'default';
  const pod = listObjects(c, resolveResource('pod')).find((o) => o.metadata?.name === name && o.metadata?.namespace === ns) as any;
  if (!pod) throw new ExitError(`Error from server (NotFound): pods "${name}" not found`);
  if (pod.status.phase !== 'Running')
    throw new ExitError(`error: unable to upgrade connection: container not found ("${pod.spec.containers[0]?.name ?? name}")`);
  if (command.length && isBusyboxImage(pod.spec.containers[0]?.image ?? '')) return busyboxExec(c, pod, command);
  const self = Object.values(c.nodes).find((n) => n.host === hostName());
  if (pod.spec.nodeName !== self?.name)
    throw new ExitError(`error: the lab's kubectl execs only into pods of its own host (${name} runs on ${pod.spec.nodeName})`);
  if (!command.length) throw new ExitError('error: you must specify at least one command for the container');
  const container = pod.spec.containers.find((x: any) => x.name === flag(p, 'container')) ?? pod.spec.containers[0];
  const { runInImage } = await import('./image-exec.js');
  const mounts = staticPodMounts(name.slice(0, -(self!.name.length + 1)), container?.name);
  const r = runInImage(container?.image ?? '', command, mounts, {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
  if (r.missing) {
    const execId = createHash('sha256')
      .update(`${name}/${command.join(' ')}/${Date.now()}`)
      .digest('hex');
    throw new ExitError(
      `error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: ${r.missing}`,
    );
  }
  if (r.code !== 0) throw new ExitError(`command terminated with exit code ${r.code}`, r.code);
}

/** hostPath mounts of a static pod's container, from the kubelet's manifest of that pod (none for other pods). */
function staticPodMounts(podName: string, containerName: string | undefined): { src: string; dst: string }[] {
  const text = readText(`/etc/kubernetes/manifests/${podName}.yaml`);
  if (!text) return [];
  const pod = YAML.parse(text) as any;
  const c = (pod?.spec?.containers ?? []).find((x: any) => x.name === containerName) ?? pod?.spec?.containers?.[0];
  const volumes = new Map<string, string>((pod?.spec?.volumes ?? []).map((v: any) => [v.name, v.hostPath?.path]));
  return (c?.volumeMounts ?? []).flatMap((m: any) =>
    volumes.get(m.name) && m.mountPath ? [{ src: volumes.get(m.name)!, dst: m.mountPath }] : [],
  );
}

/**
 * kubectl rollout restart: stamps the pod template with kubectl.kubernetes.io/restartedAt (what the real one patches),
 * so the workload's pods are replaced; the lab's derived pods come back at once.
 */
function rolloutRestart(c: Cluster, p: Parsed, target: string, maybeName: string | undefined): void {
  const [tn, sn] = target.split('/');
  const r = resolveResource(tn!);
  const name = sn ?? maybeName ?? '';
  const ns = flag(p, 'namespace') ?? 'default';
  const key = objectKey(r.kind, ns, name);
  const found = updateState((s) => {
    const obj = s.clusters[c.id]?.objects[key] as any;
    if (!obj) return false;
    const tpl = (obj.spec ??= {}).template ?? (obj.spec.template = {});
    const meta = (tpl.metadata ??= {});
    meta.annotations = {
      ...(meta.annotations ?? {}),
      'kubectl.kubernetes.io/restartedAt': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    return true;
  });
  if (!found) throw new ExitError(`Error from server (NotFound): ${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}" not found`);
  out(`${qualified(r)}/${name} restarted`);
}

function rollout(c: Cluster, p: Parsed): void {
  const [verb, target, maybeName] = p.positional;
  if (verb === 'restart') return rolloutRestart(c, p, target ?? '', maybeName);
  if (verb !== 'status') throw new ExitError(`error: the lab's kubectl supports "rollout status" and "rollout restart" only`);
  const [tn, sn] = (target ?? '').split('/');
  const r = resolveResource(tn!);
  const name = sn ?? maybeName ?? '';
  const deadline = Date.now() + parseDuration(flag(p, 'timeout') ?? '5m');
  const what = r.kind === 'DaemonSet' ? 'daemon set' : 'deployment';
  let last = '';
  for (;;) {
    const cl = loadState().clusters[c.id];
    const obj = cl && (selectObjects(cl, p, r, [name])[0] as any);
    const st = obj?.status ?? {};
    const [ready, total] = r.kind === 'DaemonSet' ? [st.numberAvailable, st.desiredNumberScheduled] : [st.availableReplicas, st.replicas];
    if (ready === total) return out(`${what} "${name}" successfully rolled out`);
    const line =
      r.kind === 'DaemonSet'
        ? `Waiting for daemon set "${name}" rollout to finish: ${ready} of ${total} updated pods are available...`
        : `Waiting for deployment "${name}" rollout to finish: ${ready} of ${total} updated replicas are available...`;
    if (line !== last) out((last = line));
    if (Date.now() >= deadline) throw new ExitError('error: timed out waiting for the condition');
    sleepMs(Math.min(1000, Math.max(50, deadline - Date.now())));
  }
}

/** kubectl get --raw PATH: the API server's non-resource endpoints. */
function rawGet(c: Cluster, path: string): void {
  if (path === '/metrics') return void process.stdout.write(metricsText(c));
  if (['/healthz', '/livez', '/readyz'].includes(path)) return void process.stdout.write('ok');
  throw new ExitError('Error from server (NotFound): the server could not find the requested resource');
}

function version(p: Parsed): void {
  const v = binaryVersion('kubectl');
  const c = bool(p, 'client') ? undefined : connect(p);
  const server = c ? c.kubernetesVersion : undefined;
  const o = flag(p, 'output');
  const data = { clientVersion: versionInfo(v), kustomizeVersion: 'v5.7.1', ...(server ? { serverVersion: versionInfo(server) } : {}) };
  if (o === 'json') return out(JSON.stringify(data, null, 2));
  if (o === 'yaml') return out(YAML.stringify(data));
  out(`Client Version: ${v}\nKustomize Version: v5.7.1${server ? `\nServer Version: ${server}` : ''}`);
}

export async function kubectl(argv: string[]): Promise<void> {
  const dash = argv.indexOf('--');
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const p = parseArgs(dash >= 0 ? argv.slice(0, dash) : argv, [...BOOLEANS, 'i', 't', 'stdin', 'tty'], ALIASES);
  const [cmd, ...rest] = p.positional;
  const sub: Parsed = { ...p, positional: rest };
  if (cmd === 'version') return version(sub);
  if (!cmd) throw new ExitError('kubectl controls the Kubernetes cluster manager.\n\nerror: a command is required');
  const c = connect(p);
  loadFromStore(c); // with real etcd, the API's objects are (also) what etcd holds
  switch (cmd) {
    case 'get':
      if (flag(sub, 'raw')) return rawGet(c, flag(sub, 'raw')!);
      return get(c, sub);
    case 'apply':
      return apply(c, sub);
    case 'create':
      return rest[0] === 'clusterrolebinding' ? createClusterRoleBinding(c, sub) : apply(c, sub);
    case 'delete':
      return del(c, sub);
    case 'cordon':
      return setCordon(c, rest[0] ?? '', true);
    case 'uncordon':
      return setCordon(c, rest[0] ?? '', false);
    case 'drain':
      return drain(c, sub);
    case 'label':
      return label(c, sub);
    case 'wait':
      return wait(c, sub);
    case 'patch':
      return patch(c, sub);
    case 'rollout':
      return rollout(c, sub);
    case 'taint':
      return taint(c, sub);
    case 'exec':
      return exec(c, sub, command);
    case 'certificate':
      return certificate(c, sub);
    case 'cluster-info':
      return out(
        `Kubernetes control plane is running at https://${c.endpoint}\nCoreDNS is running at https://${c.endpoint}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.`,
      );
    default:
      throw new ExitError(`error: unknown command "${cmd}" for "kubectl"`);
  }
}

await main('kubectl', kubectl);
