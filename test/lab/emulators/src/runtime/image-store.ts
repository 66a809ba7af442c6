// The images one lab host holds, per containerd namespace (k8s.io for the kubelet, moby for docker),
// persisted in /var/lib/lab/images/<namespace>.json (survives reboots like containerd's content store).
import { readJson, withLock, writeJson } from './lab-paths.js';
import type { ArchiveImage } from './oci-archive.js';

export interface StoredImage extends ArchiveImage {
  /** when this name was created (ISO) */
  createdAt: string;
  labels: Record<string, string>;
}

interface StoreFile {
  images: StoredImage[];
}

export const K8S_NAMESPACE = 'k8s.io';
export const DOCKER_NAMESPACE = 'moby';
const NAMESPACE = /^[a-zA-Z0-9]+(?:[._-][a-zA-Z0-9]+)*$/;

export class ImageStore {
  constructor(readonly namespace: string = K8S_NAMESPACE) {
    if (!NAMESPACE.test(namespace)) throw new Error(`namespace "${namespace}": invalid`);
  }

  private get file(): string {
    return `/var/lib/lab/images/${this.namespace}.json`;
  }

  list(): StoredImage[] {
    const data = readJson<StoreFile>(this.file);
    return [...(data?.images ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): StoredImage | undefined {
    return this.list().find((image) => image.name === name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  private save(images: StoredImage[]): void {
    const sorted = [...images].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    writeJson(this.file, { images: sorted });
  }

  // Mutations hold the store's lock: a host may run several imports at once (parallel uploads).

  /** Creates or replaces the named images (import semantics: an existing name is updated in place). */
  put(images: ArchiveImage[], labels: Record<string, string> = {}): void {
    withLock(this.file, () => {
      const byName = new Map(this.list().map((image) => [image.name, image]));
      const now = new Date().toISOString();
      for (const image of images) {
        const old = byName.get(image.name);
        byName.set(image.name, { ...image, createdAt: old?.createdAt ?? now, labels: { ...old?.labels, ...labels } });
      }
      this.save([...byName.values()]);
    });
  }

  /** `ctr images tag`: a new name for the same target. Errors as ctr does. */
  tag(source: string, target: string, force = false): void {
    withLock(this.file, () => {
      const images = this.list();
      const src = images.find((image) => image.name === source);
      if (!src) throw new Error(`image "${source}": not found`);
      const existing = images.findIndex((image) => image.name === target);
      if (existing !== -1 && !force) throw new Error(`image "${target}": already exists`);
      if (existing !== -1) images.splice(existing, 1);
      this.save([...images, { ...src, name: target, createdAt: new Date().toISOString() }]);
    });
  }

  /** Removes names; returns those that existed. */
  remove(names: string[]): string[] {
    return withLock(this.file, () => {
      const images = this.list();
      this.save(images.filter((image) => !names.includes(image.name)));
      return names.filter((name) => images.some((image) => image.name === name));
    });
  }

  /** Replaces the whole namespace (sync from the real containerd). */
  replace(images: StoredImage[]): void {
    withLock(this.file, () => this.save(images));
  }
}

/** Every image reference a host holds in a namespace, sorted: what `lab-images` prints. */
export function heldImages(namespace: string = K8S_NAMESPACE): string[] {
  return new ImageStore(namespace).list().map((image) => image.name);
}
