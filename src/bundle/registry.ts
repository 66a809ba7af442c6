/**
 * A small registry v2 client (distribution spec) on Node's fetch.
 *
 * Why our own client and not skopeo/ctr/docker: the admin machine then needs nothing but kubesmith (operators
 * building bundles on a laptop or a CI runner rarely have a container runtime, and skopeo is not packaged
 * everywhere); we control exactly which platform manifests and blobs are fetched, verify every blob's sha256 as
 * it streams to disk, resume through a content-addressed cache, and write OCI archives whose digests we know
 * before any host sees them. The API surface is small: manifests (GET/HEAD/PUT), blobs (GET/HEAD, monolithic
 * upload) and the token handshake Docker Hub, ghcr.io, quay.io and registry.k8s.io use.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { registryApiBase, type ImageRef } from './reference.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** Registry host → mirror base URLs tried first, in order; key "*" applies to every registry. */
  mirrors?: Record<string, string[]>;
  /** Skip the upstream registry when mirrors exist (the mirror is the only way out). */
  mirrorsOnly?: boolean;
  credentials?: Credentials;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface Manifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  /** Where it came from (the endpoint that answered). */
  endpoint: string;
}

export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'RegistryError';
  }
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s+(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!] = p[2]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export class RegistryClient {
  readonly #opts: RegistryOptions;
  readonly #tokens = new Map<string, string>();
  readonly #fetch: typeof fetch;

  constructor(opts: RegistryOptions = {}) {
    this.#opts = opts;
    this.#fetch = opts.fetch ?? fetch;
  }

  /** Endpoints to try for a registry: its mirrors, then (unless mirrorsOnly) the registry itself. */
  endpoints(registry: string): string[] {
    const m = this.#opts.mirrors ?? {};
    const mirrors = [...(m[registry] ?? []), ...(m['*'] ?? [])].map((u) => u.replace(/\/+$/, ''));
    return this.#opts.mirrorsOnly && mirrors.length ? mirrors : [...mirrors, registryApiBase(registry)];
  }

  /** One request with the token handshake: 401 + Bearer challenge → token → retry once. */
  async request(endpoint: string, path: string, scope: string, init: RequestInit = {}): Promise<Response> {
    const url = `${endpoint}${path}`;
    const key = `${endpoint} ${scope}`;
    const go = (auth?: string) => {
      const headers = new Headers(init.headers);
      if (auth) headers.set('authorization', auth);
      return this.#fetch(url, { ...init, headers, redirect: 'follow', signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 600_000) });
    };
    let res: Response;
    try {
      res = await go(this.#tokens.get(key));
      if (res.status === 401) {
        const auth = await this.#authenticate(res.headers.get('www-authenticate'), scope);
        if (auth) {
          this.#tokens.set(key, auth);
          await res.body?.cancel();
          res = await go(auth);
        }
      }
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RegistryError(`cannot reach registry ${endpoint}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    return res;
  }

  async #authenticate(header: string | null, scope: string): Promise<string | undefined> {
    const challenge = parseChallenge(header);
    const creds = this.#opts.credentials;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    if (challenge?.scheme === 'basic') return basic;
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const url = new URL(challenge.params.realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', scope);
    const res = await this.#fetch(url, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new RegistryError(`token request to ${url.origin} failed: HTTP ${res.status}`, res.status);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /** GET a manifest (tag or digest) from the first endpoint that has it; the digest is checked when pinned. */
  async getManifest(ref: ImageRef, reference: string): Promise<Manifest> {
    const errors: string[] = [];
    for (const endpoint of this.endpoints(ref.registry)) {
      let res: Response;
      try {
        res = await this.request(endpoint, `/v2/${ref.repository}/manifests/${reference}`, `repository:${ref.repository}:pull`, { headers: { accept: ACCEPT } });
      } catch (err) {
        errors.push((err as Error).message);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        errors.push(`${endpoint}: HTTP ${res.status} for ${ref.repository}:${reference}`);
        continue;
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      const digest = sha256(bytes);
      if (reference.startsWith('sha256:') && digest !== reference) {
        errors.push(`${endpoint}: manifest ${reference} has digest ${digest}`);
        continue;
      }
      const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim() || (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType || MEDIA.ociManifest;
      return { bytes, mediaType, digest, endpoint };
    }
    throw new RegistryError(`cannot get ${ref.registry}/${ref.repository}:${reference}:\n    ${errors.join('\n    ')}`);
  }

  readonly #inflight = new Map<string, Promise<void>>();

  /** Stream a blob to `dest` (through dest.part), checking its sha256; concurrent calls for one dest share one fetch. */
  fetchBlob(ref: ImageRef, endpoint: string, digest: string, dest: string, onBytes?: (n: number) => void): Promise<void> {
    const running = this.#inflight.get(dest);
    if (running) return running;
    const p = this.#fetchBlob(ref, endpoint, digest, dest, onBytes).finally(() => this.#inflight.delete(dest));
    this.#inflight.set(dest, p);
    return p;
  }

  async #fetchBlob(ref: ImageRef, endpoint: string, digest: string, dest: string, onBytes?: (n: number) => void): Promise<void> {
    if (existsSync(dest)) return;
    await mkdir(dirname(dest), { recursive: true });
    const res = await this.request(endpoint, `/v2/${ref.repository}/blobs/${digest}`, `repository:${ref.repository}:pull`);
    if (!res.ok || !res.body) throw new RegistryError(`${endpoint}: HTTP ${res.status} for blob ${digest} of ${ref.repository}`, res.status);
    const part = `${dest}.part`;
    const hash = createHash('sha256');
    const ws = createWriteStream(part);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        onBytes?.(chunk.length);
        if (!ws.write(chunk)) await once(ws, 'drain');
      }
      ws.end();
      await once(ws, 'finish');
    } catch (err) {
      ws.destroy();
      await rm(part, { force: true });
      throw err;
    }
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== digest) {
      await rm(part, { force: true });
      throw new RegistryError(`${endpoint}: blob ${digest} of ${ref.repository} arrived with digest ${got}`);
    }
    await rename(part, dest);
  }

  async blobExists(endpoint: string, repository: string, digest: string): Promise<boolean> {
    const res = await this.request(endpoint, `/v2/${repository}/blobs/${digest}`, `repository:${repository}:pull,push`, { method: 'HEAD' });
    return res.ok;
  }

  /** Monolithic upload: POST an upload session, PUT the bytes with ?digest=. */
  async pushBlob(endpoint: string, repository: string, digest: string, data: Buffer): Promise<void> {
    const scope = `repository:${repository}:pull,push`;
    const start = await this.request(endpoint, `/v2/${repository}/blobs/uploads/`, scope, { method: 'POST' });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new RegistryError(`${endpoint}: cannot start a blob upload to ${repository}: HTTP ${start.status}`, start.status);
    const url = new URL(location, endpoint);
    url.searchParams.set('digest', digest);
    const put = await this.request(url.origin, `${url.pathname}${url.search}`, scope, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      body: data,
    });
    await put.body?.cancel();
    if (put.status !== 201) throw new RegistryError(`${endpoint}: blob ${digest} upload to ${repository} failed: HTTP ${put.status}`, put.status);
  }

  async putManifest(endpoint: string, repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(endpoint, `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull,push`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    const text = await res.text();
    if (res.status !== 201) throw new RegistryError(`${endpoint}: manifest PUT ${repository}:${reference} failed: HTTP ${res.status} ${text.slice(0, 300)}`, res.status);
    return res.headers.get('docker-content-digest') ?? sha256(bytes);
  }
}
