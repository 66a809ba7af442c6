/**
 * What an image archive holds, read on the admin machine before anything is sent: the image names and the
 * digest containerd will record for each (the index.json descriptor of an OCI archive). docker-save archives carry
 * names only (RepoTags); their digest is left empty and names decide.
 */
import { checkDigest, MAX_MANIFEST_BYTES } from './digest.js';
import { readMember, tarMembers } from './tar.js';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from './pull.js';
import { normalizeImageRef } from './reference.js';

export interface ArchiveImageInfo {
  ref: string;
  digest: string;
}

/** Reads the archive's headers and its small index only: archives of any size (past 2 GiB too) are fine. */
export async function archiveImages(path: string): Promise<ArchiveImageInfo[]> {
  const all = await tarMembers(path).catch((err: Error) => {
    throw new Error(`${path}: not an image archive (${err.message.replace(`${path}: `, '')})`);
  });
  const members = new Map(all.filter((m) => m.type === '0').map((m) => [m.name, m]));
  const read = async (name: string) => {
    const m = members.get(name);
    return m ? readMember(path, m, MAX_MANIFEST_BYTES) : undefined;
  };
  const index = await read('index.json');
  if (index) {
    const parsed = JSON.parse(index.toString('utf8')) as { manifests?: { digest: string; annotations?: Record<string, string> }[] };
    return (parsed.manifests ?? []).flatMap((m) => {
      const name = m.annotations?.[ANNOTATION_IMAGE_NAME] ?? m.annotations?.[ANNOTATION_REF_NAME];
      if (!name || !name.includes(':') || !/[/.]/.test(name.split(':')[0]!)) return [];
      return [{ ref: normalizeImageRef(name), digest: checkDigest(m.digest, `${path} index.json`) }];
    });
  }
  const manifest = await read('manifest.json');
  if (manifest) {
    const parsed = JSON.parse(manifest.toString('utf8')) as { RepoTags?: string[] }[];
    return parsed.flatMap((m) => (m.RepoTags ?? []).map((t) => ({ ref: normalizeImageRef(t), digest: '' })));
  }
  throw new Error(`${path}: not an image archive (no index.json or manifest.json)`);
}
