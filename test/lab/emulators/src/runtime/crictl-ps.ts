// What `crictl ps` / `crictl pods` show: the static pods the kubelet runs from /etc/kubernetes/manifests (only while
// kubelet.service is active and only containers whose image the runtime holds, as a real kubelet could start no
// other), plus any entries the kube emulators write to /run/lab/cri/containers.json. IDs derive from the manifest's
// content, mtime and ctime, so a changed or moved-out-and-back manifest gives new containers, as a kubelet restart of the pod does.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { labPath, readJson, readText } from './lab-paths.js';
import { normalizeRef } from './image-ref.js';
import type { ImageStore } from './image-store.js';
import type { Mount } from '../kube/image-exec.js';

export interface CriContainer {
  id: string;
  image: string;
  created: string;
  state: string;
  name: string;
  attempt: number;
  podId: string;
  pod: string;
  namespace: string;
  /** the image reference and hostPath mounts of a static pod's container (what `crictl exec` runs in) */
  imageRef?: string | undefined;
  mounts?: Mount[];
}

const MANIFESTS = '/etc/kubernetes/manifests';
const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

function ago(ms: number): string {
  const s = Math.max(1, Math.floor((Date.now() - ms) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.floor(s / 60)} minute${s < 120 ? '' : 's'} ago`;
  return `${Math.floor(s / 3600)} hour${s < 7200 ? '' : 's'} ago`;
}

export function kubeletRunning(): boolean {
  return (readText('/run/lab/systemd/active/kubelet.service') ?? '').startsWith('active');
}

interface PodManifest {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    containers?: Array<{ name?: string; image?: string; volumeMounts?: Array<{ name?: string; mountPath?: string }> }>;
    volumes?: Array<{ name?: string; hostPath?: { path?: string } }>;
  };
}

/** The container's hostPath volume mounts (container path → host path). */
function hostMounts(pod: PodManifest, c: NonNullable<NonNullable<PodManifest['spec']>['containers']>[number]): Mount[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v.hostPath?.path]));
  return (c.volumeMounts ?? []).flatMap((m) => {
    const src = volumes.get(m.name);
    return src && m.mountPath ? [{ src, dst: m.mountPath }] : [];
  });
}

function staticPodContainers(store: ImageStore): CriContainer[] {
  const dir = labPath(MANIFESTS);
  if (!kubeletRunning() || !existsSync(dir)) return [];
  const held = new Map(store.list().map((image) => [image.name, image.configDigest]));
  const out: CriContainer[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()) {
    const text = readText(`${MANIFESTS}/${file}`) ?? '';
    let pod: PodManifest;
    try {
      pod = parseYaml(text) as PodManifest;
    } catch {
      continue;
    }
    const st = statSync(`${dir}/${file}`);
    const mtime = st.mtimeMs;
    const podName = pod.metadata?.name ?? file.replace(/\.\w+$/, '');
    // ctime: a manifest moved out and back (rename keeps mtime, not ctime) is a new pod, as the kubelet sees it
    const podId = hash(`${podName}\n${mtime}\n${st.ctimeMs}\n${text}`);
    for (const c of pod.spec?.containers ?? []) {
      let imageId: string | undefined;
      try {
        imageId = c.image ? held.get(normalizeRef(c.image)) : undefined;
      } catch {
        imageId = undefined;
      }
      if (!imageId || !c.name) continue;
      out.push({
        id: hash(`${podId}/${c.name}`),
        image: imageId,
        created: ago(mtime),
        state: 'Running',
        name: c.name,
        attempt: 0,
        podId,
        pod: podName,
        namespace: pod.metadata?.namespace ?? 'kube-system',
        imageRef: c.image,
        mounts: hostMounts(pod, c),
      });
    }
  }
  return out;
}

export function containers(store: ImageStore): CriContainer[] {
  // entries other emulators and tests publish; a pod without a namespace is a static pod's (kube-system)
  const extra = (readJson<CriContainer[]>('/run/lab/cri/containers.json') ?? []).map((c) => ({
    ...c,
    namespace: c.namespace ?? 'kube-system',
  }));
  return [...staticPodContainers(store), ...extra];
}
