// The API server's storage when the lab runs real etcd (static-etcd.ts): what kubectl applies is written to etcd
// under the apiserver's key layout, /registry/<resource>/<namespace>/<name> (cluster-scoped: /registry/<resource>/<name>;
// e.g. /registry/deployments/default/web, /registry/configmaps/default/cfg), as JSON — the apiserver's encoding with
// --storage-media-type=application/json — and deleted from it by kubectl delete. Every kubectl call on a control
// plane first adds the objects etcd holds and the lab's state lacks: after an etcd snapshot restore and a new
// `kubeadm init`, the restored workloads are back in the API, as with a real API server reading its etcd.
// Objects the emulated kubeadm creates (CoreDNS, kube-proxy, kubeadm-config) live in the lab's state only.
import { existsSync } from 'node:fs';
import type { Cluster, KubeObject } from './cluster-state.js';
import { objectKey, updateState } from './cluster-state.js';
import { hostPath } from './lab.js';
import { staticEtcdEnabled } from './static-etcd.js';
import { etcdctl } from './static-etcd-members.js';
import type { Resource } from './kubectl-resources.js';

const PKI = '/etc/kubernetes/pki';

export function storageKey(r: Resource, ns: string | undefined, name: string): string {
  return ns ? `/registry/${r.plural}/${ns}/${name}` : `/registry/${r.plural}/${name}`;
}

/** Client URLs of the cluster's etcd, when this host can be an etcd client (a control plane with real etcd). */
function endpoints(c: Cluster): string[] | undefined {
  if (!staticEtcdEnabled() || !existsSync(hostPath(`${PKI}/etcd/healthcheck-client.crt`))) return undefined;
  const urls = Object.values(c.etcdMembers ?? {})
    .map((m) => m.clientURL)
    .filter(Boolean);
  return urls.length ? urls : ['https://127.0.0.1:2379'];
}

export function storePut(c: Cluster, key: string, obj: KubeObject): void {
  const eps = endpoints(c);
  if (!eps) return;
  const r = etcdctl(hostPath(PKI), eps, ['put', key, JSON.stringify(obj)]);
  if (r.code !== 0) throw new Error(`Error from server: etcdserver: ${r.stderr.trim().split('\n').pop()}`);
}

export function storeDelete(c: Cluster, key: string): void {
  const eps = endpoints(c);
  if (eps) etcdctl(hostPath(PKI), eps, ['del', key]);
}

/** Add to the lab's state the objects etcd holds (JSON values under /registry/) that it lacks. */
export function loadFromStore(c: Cluster): void {
  const eps = endpoints(c);
  if (!eps) return;
  const r = etcdctl(hostPath(PKI), eps, ['get', '/registry/', '--prefix', '-w', 'json']);
  if (r.code !== 0) return; // etcd not answering: the API serves what it has (a real one would fail; reads are best effort here)
  const kvs = (JSON.parse(r.stdout) as { kvs?: { value?: string }[] }).kvs ?? [];
  const found: KubeObject[] = [];
  for (const kv of kvs) {
    const text = Buffer.from(kv.value ?? '', 'base64').toString('utf8');
    if (!text.startsWith('{')) continue;
    try {
      const o = JSON.parse(text) as KubeObject;
      if (o.kind && o.metadata?.name) found.push(o);
    } catch {
      /* not an object this lab wrote */
    }
  }
  if (!found.length) return;
  updateState((s) => {
    const cl = s.clusters[c.id];
    if (!cl) return;
    for (const o of found) {
      const key = objectKey(o.kind!, o.metadata?.namespace, o.metadata!.name!);
      if (!cl.objects[key]) cl.objects[key] = o;
    }
  });
  Object.assign(c, {
    objects: { ...Object.fromEntries(found.map((o) => [objectKey(o.kind!, o.metadata?.namespace, o.metadata!.name!), o])), ...c.objects },
  });
}
