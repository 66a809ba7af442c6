/**
 * Registry credentials, kept per registry host the way container tools keep them (an "auths" file:
 * `{"auths": {"registry.example.com:5000": {"auth": "base64(user:password)"}}}`, the shape of
 * ~/.docker/config.json and containers-auth.json(5)). A credential goes only to the host its key names, only over
 * HTTPS unless that host is listed as insecure, and a token realm on another host gets it only when that host is
 * named too. Credentials never appear in errors: messages name hosts and files only.
 */
import { readFileSync } from 'node:fs';

export interface RegistryAuth {
  /** host[:port] → the base64 "user:password" of an auths entry. */
  auths: Record<string, string>;
  /** host[:port] of registries credentials may reach over plain HTTP (--insecure-registry). */
  insecure?: string[];
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/**
 * Hosts that serve one registry name, fixed here (never taken from a server's answer): Docker Hub's name is
 * docker.io, its API answers on registry-1.docker.io and its token service on auth.docker.io; docker login writes
 * the key https://index.docker.io/v1/.
 */
const SAME_REGISTRY: Record<string, string[]> = { 'docker.io': ['registry-1.docker.io', 'auth.docker.io', 'index.docker.io'] };

/** An auths key as a host[:port]: "https://index.docker.io/v1/" → docker.io, "reg:5000" stays. */
export function authKey(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  const alias = Object.entries(SAME_REGISTRY).find(([, hosts]) => hosts.includes(host));
  return alias ? alias[0] : host;
}

/** Parse an auths file; errors name the file and the entry, never a value. */
export function parseAuthFile(text: string, file: string): Record<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AuthError(`${file}: not JSON (expected {"auths": {"HOST": {"auth": "base64(user:password)"}}})`);
  }
  const auths = (data as { auths?: unknown } | null)?.auths;
  if (!auths || typeof auths !== 'object') throw new AuthError(`${file}: no "auths" object (expected {"auths": {"HOST": {"auth": "…"}}})`);
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    const auth = (entry as { auth?: unknown } | null)?.auth;
    const decoded = typeof auth === 'string' ? Buffer.from(auth, 'base64').toString('utf8') : '';
    if (!decoded.includes(':') || decoded.startsWith(':'))
      throw new AuthError(`${file}: auths.${key}.auth is not base64 of "user:password"`);
    out[authKey(key)] = auth as string;
  }
  return out;
}

export function loadAuthFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuthError(`cannot read registry auth file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseAuthFile(text, path);
}

/** The auths key a URL's host falls under (its host:port, or the registry name it is an API host of). */
function keyOf(url: URL, auths: Record<string, string>): string | undefined {
  const candidates = [url.host.toLowerCase(), ...(url.port ? [] : [url.hostname.toLowerCase()])].map(authKey);
  return candidates.find((k) => k in auths);
}

/**
 * The Basic credential for a request to `url`, or undefined when the user named no credential for its host.
 * Throws when one is named but the URL is plain HTTP and the host is not listed as insecure.
 */
export function basicFor(url: URL, auth: RegistryAuth | undefined): string | undefined {
  if (!auth) return undefined;
  const key = keyOf(url, auth.auths);
  if (!key) return undefined;
  const insecure = (auth.insecure ?? []).map(authKey);
  if (url.protocol !== 'https:' && !insecure.includes(key) && !insecure.includes(authKey(url.host))) {
    throw new AuthError(
      `${url.host} asks for credentials over plain HTTP; kubesmith sends them over HTTP only to a registry named with --insecure-registry ${url.host}`,
    );
  }
  return `Basic ${auth.auths[key]}`;
}

/** Whether two URLs fall under one credential (same host:port, or hosts of one registry name). */
export function sameRegistry(a: URL, b: URL): boolean {
  return authKey(a.host) === authKey(b.host);
}
