// Docker-style image references, normalized the way containerd does (docker.ParseDockerRef).

export interface ImageRef {
  /** registry host, e.g. registry.k8s.io or docker.io */
  domain: string;
  /** repository path without the domain, e.g. library/busybox */
  path: string;
  tag?: string;
  digest?: string;
}

const REF =
  /^([a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*|[a-zA-Z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

export function parseRef(input: string): ImageRef {
  const m = REF.exec(input);
  if (!m) throw new Error(`invalid reference format: ${input}`);
  const name = m[1]!;
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? name.slice(slash + 1) : name;
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (name.toLowerCase() !== name) throw new Error(`invalid reference format: repository name must be lowercase: ${input}`);
  const ref: ImageRef = { domain, path };
  if (m[2]) ref.tag = m[2];
  if (m[3]) ref.digest = m[3];
  return ref;
}

/** Full normalized reference: docker.io/library/busybox:latest (":latest" added when neither tag nor digest). */
export function normalizeRef(input: string): string {
  const ref = parseRef(input);
  const repo = `${ref.domain}/${ref.path}`;
  if (ref.digest) return ref.tag ? `${repo}:${ref.tag}@${ref.digest}` : `${repo}@${ref.digest}`;
  return `${repo}:${ref.tag ?? 'latest'}`;
}

/** Repository (domain/path) and tag of a normalized reference, for crictl/docker columns. */
export function splitRepoTag(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  const base = at === -1 ? ref : ref.slice(0, at);
  const colon = base.lastIndexOf(':');
  if (colon > base.lastIndexOf('/')) return { repository: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repository: base, tag: '<none>' };
}

/** The familiar docker form: docker.io/library/busybox:latest -> busybox:latest. */
export function familiarRef(ref: string): string {
  return ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}
