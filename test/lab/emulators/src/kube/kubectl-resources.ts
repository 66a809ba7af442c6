// kubectl resource names, API connection (kubeconfig + client certificate checks) and object listing.
import YAML from './yaml-lazy.js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Cluster, type KubeObject, loadState, updateState } from './cluster-state.js';
import { apiProblem, hostPortOf, servingMember } from './api-endpoint.js';
import { ExitError, hostName, labEnv, now, readText } from './lab.js';
import { clientRefused, clusterForCa, extensionAuthentication, recordLoadedTrust, rootCA, UNKNOWN_AUTHORITY } from './trust.js';
import { parseKubeconfig } from './kubeadm-pki.js';
import { certInfo } from './pki.js';
import { nodeObject, podObjects } from './kubectl-view.js';
import { withClusterIP } from './pod-network.js';
import { pdbStatus } from './pdb.js';
import { type Parsed, flag } from './args.js';

export interface Resource {
  kind: string;
  plural: string;
  group: string;
  namespaced: boolean;
}

const R = (kind: string, group: string, namespaced: boolean, ...aliases: string[]): [string[], Resource] => [
  [kind.toLowerCase(), `${kind.toLowerCase()}s`, ...aliases],
  { kind, plural: `${kind.toLowerCase()}s`, group, namespaced },
];

const TABLE = [
  R('Node', '', false, 'no'),
  R('Pod', '', true, 'po'),
  R('Namespace', '', false, 'ns'),
  R('ConfigMap', '', true, 'cm'),
  R('Secret', '', true),
  R('Service', '', true, 'svc'),
  R('ServiceAccount', '', true, 'sa'),
  R('DaemonSet', 'apps', true, 'ds'),
  R('Deployment', 'apps', true, 'deploy'),
  R('ReplicaSet', 'apps', true, 'rs'),
  R('StatefulSet', 'apps', true, 'sts'),
  R('ClusterRole', 'rbac.authorization.k8s.io', false),
  R('ClusterRoleBinding', 'rbac.authorization.k8s.io', false),
  R('Role', 'rbac.authorization.k8s.io', true),
  R('RoleBinding', 'rbac.authorization.k8s.io', true),
  R('CustomResourceDefinition', 'apiextensions.k8s.io', false, 'crd', 'crds'),
  R('PriorityClass', 'scheduling.k8s.io', false, 'pc'),
  R('StorageClass', 'storage.k8s.io', false, 'sc'),
  R('PodDisruptionBudget', 'policy', true, 'pdb'),
  R('Job', 'batch', true),
  R('IngressClass', 'networking.k8s.io', false),
  R('NetworkPolicy', 'networking.k8s.io', true, 'netpol'),
  R('CertificateSigningRequest', 'certificates.k8s.io', false, 'csr'),
];

export function resolveResource(name: string): Resource {
  const n = name.toLowerCase().split('.')[0]!;
  const hit = TABLE.find(([names]) => names.includes(n));
  if (!hit) throw new ExitError(`error: the server doesn't have a resource type "${name}"`);
  return hit[1];
}

export function resourceForKind(kind: string, apiVersion = 'v1'): Resource {
  const hit = TABLE.find(([, r]) => r.kind === kind);
  if (hit) return hit[1];
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return { kind, plural: `${kind.toLowerCase()}s`, group, namespaced: true };
}

export const qualified = (r: Resource): string => (r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase());

/** The kubeconfig kubectl reads: --kubeconfig, $KUBECONFIG's first file, ~/.kube/config. */
export function kubeconfigPath(p: Parsed): string {
  return flag(p, 'kubeconfig') ?? process.env.KUBECONFIG?.split(':')[0] ?? `${labEnv('HOME') ?? '/root'}/.kube/config`;
}

/** The authenticated user and groups of the kubeconfig's client certificate (CN and O), as the API server sees them. */
export function clientUser(p: Parsed): { username: string; groups: string[] } {
  const cert = parseKubeconfig(readText(kubeconfigPath(p)) ?? '').cert;
  const subject = cert ? new X509Certificate(cert).subject.split('\n') : [];
  return {
    username: subject.find((l) => l.startsWith('CN='))?.slice(3) ?? '',
    groups: [...subject.filter((l) => l.startsWith('O=')).map((l) => l.slice(2)), 'system:authenticated'],
  };
}

/** On a control plane, record what its API server and controller-manager loaded at their last start (trust.ts). */
function withLocalTrust(c: Cluster | undefined): Cluster | undefined {
  const me = c && Object.values(c.nodes).find((n) => n.host === hostName() && c.controlPlane[n.name]);
  if (!c || !me) return c;
  return updateState((s) => {
    const cl = s.clusters[c.id];
    if (cl) recordLoadedTrust(cl, me.name);
    return cl;
  });
}

/** Load the kubeconfig, find the cluster behind its server and authenticate the client certificate. */
export function connect(p: Parsed): Cluster {
  const path = kubeconfigPath(p);
  const text = readText(path);
  if (!text) {
    if (flag(p, 'kubeconfig')) throw new ExitError(`error: stat ${path}: no such file or directory`);
    throw new ExitError('The connection to the server localhost:8080 was refused - did you specify the right host or port?');
  }
  const kc = parseKubeconfig(text);
  // --server overrides the kubeconfig's cluster address; the CA and the client certificate stay the kubeconfig's
  const hostPort = hostPortOf(flag(p, 'server') ?? kc.server);
  const c = kc.caCert ? withLocalTrust(clusterForCa(loadState(), kc.caCert)) : undefined;
  const problem = c && Object.keys(c.controlPlane).length ? apiProblem(c, hostPort) : { kind: 'refused' as const };
  if (!c || problem?.kind === 'refused') {
    throw new ExitError(`The connection to the server ${hostPort} was refused - did you specify the right host or port?`);
  }
  const t = now();
  const serving = servingMember(c, hostPort)!;
  if (serving.apiserverNotAfter <= t) {
    throw new ExitError(
      `Unable to connect to the server: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time ${new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')} is after ${new Date(serving.apiserverNotAfter).toISOString().replace(/\.\d+Z$/, 'Z')}`,
    );
  }
  if (problem?.kind === 'tls')
    throw new ExitError(`Unable to connect to the server: tls: failed to verify certificate: ${problem.message}`);
  const refused = clientRefused(c, kc.caCert, kc.cert);
  if (refused === 'serving')
    throw new ExitError(`Unable to connect to the server: tls: failed to verify certificate: ${UNKNOWN_AUTHORITY}`);
  if (!kc.cert || refused) throw new ExitError('error: You must be logged in to the server (Unauthorized)');
  const info = certInfo(kc.cert);
  if (info.notAfter <= t || info.notBefore > t) throw new ExitError('error: You must be logged in to the server (Unauthorized)');
  return c;
}

/** Every object of a resource type as the API would list it. */
export function listObjects(c: Cluster, r: Resource): KubeObject[] {
  if (r.kind === 'Node')
    return Object.values(c.nodes)
      .map((n) => nodeObject(c, n))
      .sort(byName);
  if (r.kind === 'Pod') {
    const key = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    return podObjects(c).sort((a, b) => key(a).localeCompare(key(b)));
  }
  const stored = Object.values(c.objects).filter((o) => o.kind === r.kind);
  if (r.kind === 'DaemonSet' || r.kind === 'Deployment') return stored.map((o) => withWorkloadStatus(c, o)).sort(byName);
  if (r.kind === 'Service') return stored.map((o) => withClusterIP(c, o)).sort(byName);
  if (r.kind === 'PodDisruptionBudget') {
    const pods = podObjects(c);
    return stored.map((o) => ({ ...o, status: pdbStatus(o, pods) })).sort(byName);
  }
  if (r.kind === 'ConfigMap') {
    // the controller-manager's root-ca-cert-publisher: kube-root-ca.crt in every namespace
    const have = new Set(stored.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`));
    for (const ns of namespaces(c))
      if (!have.has(`${ns}/kube-root-ca.crt`))
        stored.push({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'kube-root-ca.crt', namespace: ns },
          data: { 'ca.crt': rootCA(c) },
        });
    const ext = extensionAuthentication(c); // published by the API servers (trust.ts)
    if (ext && !have.has('kube-system/extension-apiserver-authentication'))
      stored.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' },
        data: ext,
      });
  }
  if (r.kind === 'Namespace') {
    const names = new Set(stored.map((o) => o.metadata?.name));
    for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
      if (!names.has(ns)) stored.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
    }
  }
  return stored.sort(byName);
}

/** DaemonSet/Deployment status counted from the pods the emulator derives for them. */
function withWorkloadStatus(c: Cluster, o: KubeObject): KubeObject {
  const owned = (ref: { kind: string; name: string } | undefined) =>
    o.kind === 'DaemonSet'
      ? ref?.kind === 'DaemonSet' && ref.name === o.metadata?.name
      : ref?.kind === 'ReplicaSet' && ref.name.replace(/-[^-]+$/, '') === o.metadata?.name;
  const pods = podObjects(c).filter(
    (p: any) => p.metadata.namespace === (o.metadata?.namespace ?? 'default') && owned(p.metadata.ownerReferences?.[0]),
  );
  const ready = pods.filter((p: any) => p.status.conditions?.[0]?.status === 'True').length;
  const status =
    o.kind === 'DaemonSet'
      ? {
          currentNumberScheduled: pods.length,
          desiredNumberScheduled: pods.length,
          numberAvailable: ready,
          numberMisscheduled: 0,
          numberReady: ready,
          updatedNumberScheduled: pods.length,
        }
      : { availableReplicas: ready, readyReplicas: ready, replicas: pods.length, updatedReplicas: pods.length };
  return { ...o, status };
}

const byName = (a: KubeObject, b: KubeObject) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

export function namespaces(c: Cluster): Set<string> {
  return new Set(listObjects(c, resolveResource('ns')).map((o) => o.metadata!.name!));
}

/** Documents of a manifest file or stdin ("-"), List kinds flattened. */
export function readManifests(file: string): KubeObject[] {
  let text: string | undefined;
  if (file === '-') text = readStdin();
  else text = readText(file);
  if (text === undefined) throw new ExitError(`error: the path "${file}" does not exist`);
  const docs: KubeObject[] = [];
  for (const d of YAML.parseAllDocuments(text)) {
    if (d.errors.length) throw new ExitError(`error: error parsing ${file}: error converting YAML to JSON: yaml: ${d.errors[0]!.message}`);
    const o = d.toJS() as KubeObject | null;
    if (!o) continue;
    if (o.kind === 'List' && Array.isArray((o as any).items)) docs.push(...((o as any).items as KubeObject[]));
    else docs.push(o);
  }
  return docs;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}
