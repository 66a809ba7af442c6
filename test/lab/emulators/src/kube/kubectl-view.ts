// The API objects kubectl shows that nobody applied: Nodes from registrations and Pods derived from
// static pods, DaemonSets and Deployments, with status computed from each node's published state.
import { createHash } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { type Cluster, type KubeNode, type KubeObject, objectKey } from './cluster-state.js';
import { bundleTrusts, loadedApiServers } from './trust.js';
import { controlPlaneImages, imageOptionsFrom } from './kube-versions.js';
import { cniDaemonSet, imagePresent, notReadyReason, podImages } from './node-state.js';
import { podStartMs, replicaSlots, suffix } from './pod-placement.js';
import { now } from './lab.js';

const iso = (ms: number) => new Date(Math.trunc(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
/** A stable hex string for ids the lab does not track (uid, machine and boot ids). */
const hexOf = (seed: string, n: number) => createHash('sha256').update(seed).digest('hex').slice(0, n);
const uuidOf = (seed: string) => hexOf(seed, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

/** What a kubelet reports as capacity: this machine's CPUs and memory (lab hosts share it), kubelet's default pod limit. */
function capacity(): Record<string, string> {
  return {
    cpu: String(cpus().length),
    'ephemeral-storage': '20289264Ki',
    'hugepages-2Mi': '0',
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
  };
}

/** What flanneld writes on its node (flannel pkg/subnet/kube/annotations.go; shape: test/fixtures/real/kubectl). */
function flannelAnnotations(c: Cluster, n: KubeNode): Record<string, string> {
  if (!n.status.flannelPublicIp || cniDaemonSet(c)?.kind !== 'flannel') return {};
  const netConf = Object.values(c.objects).find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'kube-flannel-cfg') as
    | { data?: Record<string, string> }
    | undefined;
  let backend = 'vxlan';
  try {
    backend = String(JSON.parse(netConf?.data?.['net-conf.json'] ?? '{}')?.Backend?.Type ?? 'vxlan');
  } catch {}
  const mac = `2e:${hexOf(`vtep/${n.name}`, 10).replace(/(..)(?!$)/g, '$1:')}`; // locally administered, stable per node
  return {
    'flannel.alpha.coreos.com/backend-data': backend === 'vxlan' ? JSON.stringify({ VNI: 1, VtepMAC: mac }) : 'null',
    'flannel.alpha.coreos.com/backend-type': backend,
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': n.status.flannelPublicIp,
  };
}

/** A Node as the API server returns it: the keys and types of a real kubeadm node (test/fixtures/real/kubectl). */
export function nodeObject(c: Cluster, n: KubeNode): KubeObject {
  const reason = notReadyReason(c, n);
  const heartbeat = iso(n.status.updatedAt || n.created);
  const since = iso(n.created);
  const pressure = (type: string, why: string, message: string) => ({
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: since,
    message,
    reason: why,
    status: 'False',
    type,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: { 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', ...n.labels },
      creationTimestamp: since,
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': n.criSocket,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...flannelAnnotations(c, n),
      },
      resourceVersion: String(Math.trunc((n.status.updatedAt || n.created) / 1000) % 1_000_000),
      uid: uuidOf(`node/${n.name}/${n.created}`),
    },
    // podCIDR and internalIP hold one entry per family, comma-joined (dual-stack): the API lists them separately.
    spec: {
      ...(n.podCIDR ? { podCIDR: n.podCIDR.split(',')[0], podCIDRs: n.podCIDR.split(',') } : {}),
      ...(n.taints.length || n.unschedulable
        ? { taints: [...n.taints, ...(n.unschedulable ? [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] : [])] }
        : {}),
      ...(n.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      addresses: [...n.internalIP.split(',').map((address) => ({ address, type: 'InternalIP' })), { address: n.name, type: 'Hostname' }],
      // what the kubelet reports: its configured limits (maxPods, reserved resources) where the lab knows them
      allocatable: { ...capacity(), ...n.allocatable },
      capacity: { ...capacity(), ...n.capacity },
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          type: 'Ready',
          status: reason ? (n.status.kubeletActive ? 'False' : 'Unknown') : 'True',
          reason: reason ? (n.status.kubeletActive ? 'KubeletNotReady' : 'NodeStatusUnknown') : 'KubeletReady',
          message: reason ?? 'kubelet is posting ready status',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: since,
        },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      // the lab keeps no image sizes: a stable stand-in so the field has its real type
      images: n.status.images.map((i) => ({ names: [i], sizeBytes: parseInt(hexOf(i, 6), 16) })),
      nodeInfo: {
        architecture: 'amd64',
        bootID: uuidOf(`boot/${n.name}/${n.created}`),
        containerRuntimeVersion: n.criSocket.includes('dockerd') ? 'docker://28.0.0' : 'containerd://2.1.4',
        kernelVersion: '6.1.0-lab',
        kubeProxyVersion: '',
        kubeletVersion: n.kubeletVersion,
        machineID: hexOf(`machine/${n.name}`, 32),
        operatingSystem: 'linux',
        osImage: n.osImage ?? 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: uuidOf(`system/${n.name}`),
      },
    },
  };
}

interface PodSpecIn {
  ns: string;
  name: string;
  node?: KubeNode | undefined;
  images: string[];
  hostNetwork: boolean;
  owner?: { kind: string; name: string };
  labels: Record<string, string>;
  created: number;
  since?: number | undefined; // scheduled at: its containers start LAB_POD_START_MS later
  /** The kube-root-ca.crt its containers read at their start (trust.ts); absent for objects made before it was recorded. */
  trust?: string | undefined;
  /** A bare Pod's own containers (command, ports), shown as applied. */
  containers?: unknown[];
}

function podObject(c: Cluster, p: PodSpecIn): KubeObject {
  let phase = 'Pending';
  let reason = '';
  if (p.node) {
    const ready = !notReadyReason(c, p.node);
    if (!p.node.status.kubeletActive) {
      phase = 'Pending';
      reason = 'NodeNotReady';
    } else if (!p.images.every((i) => imagePresent(p.node!.status.images, i))) {
      phase = 'Pending';
      reason = 'ImagePullBackOff';
    } else if ((!p.hostNetwork && !ready) || (p.since && now() < p.since + podStartMs())) {
      phase = 'Pending';
      reason = 'ContainerCreating';
    } else phase = 'Running';
  }
  // a pod talking to the API verifies its serving certificate with the kube-root-ca.crt it started with
  const tlsFails = phase === 'Running' && p.trust !== undefined && loadedApiServers(c).some((a) => !bundleTrusts(p.trust, a.serving));
  const running = phase === 'Running' && !tlsFails;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.ns,
      labels: p.labels,
      creationTimestamp: iso(p.created),
      ...(p.owner ? { ownerReferences: [p.owner] } : {}),
    },
    spec: {
      nodeName: p.node?.name,
      hostNetwork: p.hostNetwork,
      containers: p.containers ?? p.images.map((image, i) => ({ name: `c${i}`, image })),
    },
    status: {
      phase,
      ...(reason ? { reason } : {}),
      podIP: p.node ? (p.hostNetwork ? p.node.internalIP.split(',')[0] : podIP(p.node, p.name)) : undefined,
      conditions: [{ type: 'Ready', status: running ? 'True' : 'False' }],
      containerStatuses: p.images.slice(-1).map((image) => ({
        image,
        ready: running,
        restartCount: 0,
        state: phase === 'Running' ? { running: {} } : { waiting: { reason: reason || 'ContainerCreating' } },
      })),
    },
  };
}

function podIP(n: KubeNode, name: string): string {
  const base = (n.podCIDR.split(',')[0] || '10.244.0.0/24').split('/')[0]!.split('.');
  return `${base[0]}.${base[1]}.${base[2]}.${2 + (createHash('md5').update(name).digest()[0]! % 200)}`;
}

/** A Pod applied as such: bound to spec.nodeName (no scheduler in the lab), its containers start LAB_POD_START_MS after creation. */
function barePod(c: Cluster, obj: KubeObject): KubeObject {
  const spec = ((obj as { spec?: object }).spec ?? {}) as { nodeName?: string; hostNetwork?: boolean; containers?: { image?: string }[] };
  const created = Date.parse(String(obj.metadata?.creationTimestamp ?? '')) || c.created;
  return podObject(c, {
    ns: obj.metadata?.namespace ?? 'default',
    name: obj.metadata?.name ?? '',
    node: spec.nodeName ? c.nodes[spec.nodeName] : undefined,
    images: (spec.containers ?? []).map((x) => String(x.image ?? '')),
    hostNetwork: !!spec.hostNetwork,
    labels: (obj.metadata?.labels ?? {}) as Record<string, string>,
    created,
    since: created,
    containers: spec.containers ?? [],
  });
}

export function podObjects(c: Cluster): KubeObject[] {
  const pods: KubeObject[] = [];
  const images = controlPlaneImages(c.kubernetesVersion, imageOptionsFrom(c.clusterConfiguration));
  const nodes = Object.values(c.nodes);
  for (const n of nodes.filter((x) => c.controlPlane[x.name])) {
    // a control plane runs the static pods `kubeadm upgrade` last wrote on it (its member version)
    const version = c.controlPlane[n.name]!.version;
    const own = version ? controlPlaneImages(version, imageOptionsFrom(c.clusterConfiguration)) : images;
    for (const comp of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      pods.push(
        podObject(c, {
          ns: 'kube-system',
          name: `${comp}-${n.name}`,
          node: n,
          images: [own[comp]!],
          hostNetwork: true,
          labels: { component: comp, tier: 'control-plane' },
          created: n.created,
        }),
      );
    }
  }
  const cni = cniDaemonSet(c);
  for (const obj of Object.values(c.objects)) {
    const ns = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    const labels = ((obj as any).spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
    const hostNetwork = !!(obj as any).spec?.template?.spec?.hostNetwork || obj === cni?.obj;
    if (obj.kind === 'DaemonSet') {
      for (const n of nodes) {
        pods.push(
          podObject(c, {
            ns,
            name: `${name}-${suffix(name + n.name, 5)}`,
            node: n,
            images: podImages(obj),
            hostNetwork,
            owner: { kind: 'DaemonSet', name },
            labels,
            created: n.created,
            trust: c.podTrust?.[objectKey('DaemonSet', ns, name)],
          }),
        );
      }
    } else if (obj.kind === 'Pod') pods.push(barePod(c, obj));
    else if (obj.kind === 'Deployment') {
      const rs = suffix(`${name}rs`, 10);
      for (const slot of replicaSlots(c, obj)) {
        pods.push(
          podObject(c, {
            ns,
            name: slot.name,
            node: slot.node,
            images: podImages(obj),
            hostNetwork,
            owner: { kind: 'ReplicaSet', name: `${name}-${rs}` },
            labels,
            created: slot.since || c.created,
            since: slot.since,
            trust: c.podTrust?.[objectKey('Deployment', ns, name)],
          }),
        );
      }
    }
  }
  return pods;
}
