/**
 * Image references the way container runtimes read them: `nginx` = docker.io/library/nginx:latest,
 * `ghcr.io/flannel-io/flannel:v0.28.9`, `repo@sha256:…`. The registry host decides where the v2 API lives.
 */

export interface ImageRef {
  /** Registry host as written in the reference (docker.io for Docker Hub). */
  registry: string;
  /** Repository path inside the registry, e.g. library/nginx or flannel-io/flannel. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REF = /^[a-z0-9][a-z0-9._\-/:@]*$/;

export function parseImageRef(text: string): ImageRef {
  if (!REF.test(text)) throw new Error(`not an image reference: ${JSON.stringify(text)}`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new Error(`bad digest in image reference ${text}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0]!;
  const hasRegistry = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let repository = hasRegistry ? rest.slice(first.length + 1) : rest;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository) throw new Error(`no repository in image reference ${text}`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The full, normalized name: docker.io/library/nginx:latest. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

export function normalizeImageRef(text: string): string {
  return formatImageRef(parseImageRef(text));
}

/** Where a registry's v2 API answers (Docker Hub's API host differs from its name). */
export function registryApiBase(registry: string): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  const local = /^(localhost|127\.|\[::1\])/.test(registry);
  return `${local ? 'http' : 'https'}://${registry}`;
}

/** A file-name-safe form of a reference: registry.k8s.io_kube-apiserver_v1.34.1. */
export function imageFileName(ref: string): string {
  return normalizeImageRef(ref).replace(/[/:@]/g, '_');
}
