/**
 * The node's image store as the kubelet sees it: containerd's k8s.io namespace (ctr), or docker's (cri-dockerd).
 * List (name → digest), import an archive, tag. Digests are compared for containerd; docker load keeps no
 * repo digest, so there the name decides.
 */
import type { Transport } from '../../transport/types.js';
import { normalizeImageRef } from '../../bundle/reference.js';

export type RuntimeType = 'containerd' | 'docker';

/** normalized name → manifest digest ('' when the runtime does not tell). */
export async function listImages(t: Transport, runtime: RuntimeType): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  if (runtime === 'containerd') {
    const out = await t.exec(['ctr', '-n', 'k8s.io', 'images', 'ls'], { timeoutMs: 120_000 });
    for (const line of out.stdout.split('\n').slice(1)) {
      const [ref, , digest] = line.trim().split(/\s+/);
      if (!ref || ref.startsWith('sha256:')) continue;
      try {
        images.set(normalizeImageRef(ref), digest ?? '');
      } catch {
        /* not a name (an unnamed import) */
      }
    }
    return images;
  }
  const out = await t.exec(['docker', 'images', '--format', '{{.Repository}}:{{.Tag}}'], { timeoutMs: 120_000 });
  for (const line of out.stdout.split('\n')) {
    const ref = line.trim();
    if (!ref || ref.includes('<none>')) continue;
    images.set(normalizeImageRef(ref), '');
  }
  return images;
}

/** Whether the node holds ref (at digest, when the runtime reports digests). */
export function holds(images: Map<string, string>, ref: string, digest?: string): boolean {
  const have = images.get(normalizeImageRef(ref));
  if (have === undefined) return false;
  return !digest || have === '' || have === digest;
}

export async function importArchive(t: Transport, runtime: RuntimeType, path: string, platform: string): Promise<void> {
  const argv =
    runtime === 'containerd' ? ['ctr', '-n', 'k8s.io', 'images', 'import', '--platform', platform, path] : ['docker', 'load', '-i', path];
  await t.exec(argv, { timeoutMs: 900_000 });
}

export async function tagImage(t: Transport, runtime: RuntimeType, source: string, target: string): Promise<void> {
  const argv =
    runtime === 'containerd' ? ['ctr', '-n', 'k8s.io', 'images', 'tag', '--force', source, target] : ['docker', 'tag', source, target];
  await t.exec(argv, { timeoutMs: 120_000 });
}
