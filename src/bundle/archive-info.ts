/**
 * What an image archive holds, read on the admin machine before anything is sent: the image names and the
 * digest containerd will record for each (the index.json descriptor of an OCI archive). docker-save archives carry
 * names only (RepoTags); their digest is left empty and names decide.
 */
import { readTar } from './tar.js';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from './pull.js';
import { normalizeImageRef } from './reference.js';

export interface ArchiveImageInfo {
  ref: string;
  digest: string;
}

export function archiveImages(path: string): ArchiveImageInfo[] {
  const files = readTar(path);
  const index = files.get('index.json');
  if (index) {
    const parsed = JSON.parse(index.toString('utf8')) as { manifests?: { digest: string; annotations?: Record<string, string> }[] };
    return (parsed.manifests ?? []).flatMap((m) => {
      const name = m.annotations?.[ANNOTATION_IMAGE_NAME] ?? m.annotations?.[ANNOTATION_REF_NAME];
      if (!name || !name.includes(':') || !/[/.]/.test(name.split(':')[0]!)) return [];
      return [{ ref: normalizeImageRef(name), digest: m.digest }];
    });
  }
  const manifest = files.get('manifest.json');
  if (manifest) {
    const parsed = JSON.parse(manifest.toString('utf8')) as { RepoTags?: string[] }[];
    return parsed.flatMap((m) => (m.RepoTags ?? []).map((t) => ({ ref: normalizeImageRef(t), digest: '' })));
  }
  throw new Error(`${path}: not an image archive (no index.json or manifest.json)`);
}
