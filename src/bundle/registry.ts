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
import type { Readable } from 'node:stream';
import { basicFor, type RegistryAuth } from './auth.js';
import { checkDigest, MAX_MANIFEST_BYTES } from './digest.js';
import { registryApiBase, type ImageRef } from './reference.js';
import { MAX_REDIRECTS, parseChallenge, readCapped, REDIRECTS, RegistryError } from './registry-http.js';

export { RegistryError } from './registry-http.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export interface RegistryOptions {
  /** Registry host → mirror base URLs tried first, in order; key "*" applies to every registry. */
  mirrors?: Record<string, string[]>;
  /** Skip the upstream registry when mirrors exist (the mirror is the only way out). */
  mirrorsOnly?: boolean;
  /** Credentials per registry host; see auth.ts for where they may go. */
  auth?: RegistryAuth;
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

/** What a descriptor promises about a blob: its digest and exact size. */
export interface BlobSpec {
  digest: string;
  size: number;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

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

  /**
   * One request with the token handshake: 401 + challenge → credentials or token → retry once. Redirects are
   * followed by hand so that an Authorization header never leaves the host it was meant for (blob GETs are
   * commonly redirected to a storage host) and never goes from HTTPS down to HTTP.
   */
  async request(endpoint: string, path: string, scope: string, init: RequestInit = {}, body?: () => Readable): Promise<Response> {
    const url = new URL(`${endpoint}${path}`);
    const key = `${url.origin} ${scope}`;
    let res: Response;
    try {
      res = await this.#follow(url, init, this.#tokens.get(key), body);
      if (res.status === 401) {
        const auth = await this.#authenticate(url, res.headers.get('www-authenticate'), scope);
        if (auth) {
          this.#tokens.set(key, auth);
          await res.body?.cancel();
          res = await this.#follow(url, init, auth, body);
        }
      }
    } catch (err) {
      if (err instanceof RegistryError || (err as Error).name === 'AuthError' || (err as Error).name === 'UntrustedContentError') throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RegistryError(`cannot reach registry ${endpoint}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    return res;
  }

  async #follow(start: URL, init: RequestInit, auth: string | undefined, body?: () => Readable): Promise<Response> {
    let url = start;
    for (let hop = 0; ; hop++) {
      const headers = new Headers(init.headers);
      if (auth && url.origin === start.origin) headers.set('authorization', auth);
      const streamed = body ? { body: body() as unknown as RequestInit['body'], duplex: 'half' } : {};
      const res = await this.#fetch(url, {
        ...init,
        ...streamed,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 600_000),
      } as RequestInit);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      await res.body?.cancel();
      const next = new URL(location, url);
      if (hop >= MAX_REDIRECTS) throw new RegistryError(`${start.origin}: more than ${MAX_REDIRECTS} redirects for ${start.pathname}`);
      if (url.protocol === 'https:' && next.protocol !== 'https:')
        throw new RegistryError(`${start.origin}: refused a redirect from HTTPS to ${next.protocol}//${next.host}`);
      url = next;
    }
  }

  async #authenticate(url: URL, header: string | null, scope: string): Promise<string | undefined> {
    const challenge = parseChallenge(header);
    if (challenge?.scheme === 'basic') return basicFor(url, this.#opts.auth);
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw new RegistryError(`${url.origin}: token realm ${JSON.stringify(challenge.params.realm.slice(0, 100))} is not a URL`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:')
      throw new RegistryError(`${url.origin}: token realm ${realm.protocol} is not HTTP(S)`);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', scope);
    // the realm gets a credential only when the user named its host (the registry's own host, or an auths entry)
    const basic = basicFor(realm, this.#opts.auth);
    const res = await this.#follow(realm, { headers: {} }, basic);
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`token request to ${realm.origin} failed: HTTP ${res.status}`, res.status);
    }
    const body = JSON.parse((await readCapped(res, MAX_MANIFEST_BYTES, `token from ${realm.origin}`)).toString('utf8')) as {
      token?: string;
      access_token?: string;
    };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  /**
   * GET a manifest (tag or digest) from the first endpoint that has it, at most MAX_MANIFEST_BYTES; when pinned by
   * digest, its digest (and, given a descriptor's size, its size) is checked.
   */
  async getManifest(ref: ImageRef, reference: string, expectSize?: number): Promise<Manifest> {
    if (reference.startsWith('sha256:')) checkDigest(reference, `${ref.registry}/${ref.repository}`);
    const errors: string[] = [];
    for (const endpoint of this.endpoints(ref.registry)) {
      let res: Response;
      try {
        res = await this.request(endpoint, `/v2/${ref.repository}/manifests/${reference}`, `repository:${ref.repository}:pull`, {
          headers: { accept: ACCEPT },
        });
      } catch (err) {
        errors.push((err as Error).message);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        errors.push(`${endpoint}: HTTP ${res.status} for ${ref.repository}:${reference}`);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readCapped(res, MAX_MANIFEST_BYTES, `${endpoint}: manifest ${ref.repository}:${reference}`);
      } catch (err) {
        errors.push((err as Error).message);
        continue;
      }
      const digest = sha256(bytes);
      if (expectSize !== undefined && bytes.length !== expectSize) {
        errors.push(`${endpoint}: manifest ${reference} has ${bytes.length} bytes, its descriptor says ${expectSize}`);
        continue;
      }
      if (reference.startsWith('sha256:') && digest !== reference) {
        errors.push(`${endpoint}: manifest ${reference} has digest ${digest}`);
        continue;
      }
      const mediaType =
        (res.headers.get('content-type') ?? '').split(';')[0]!.trim() ||
        (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ||
        MEDIA.ociManifest;
      return { bytes, mediaType, digest, endpoint };
    }
    throw new RegistryError(`cannot get ${ref.registry}/${ref.repository}:${reference}:\n    ${errors.join('\n    ')}`);
  }

  readonly #inflight = new Map<string, Promise<void>>();

  /**
   * Stream a blob to `dest` (through dest.part), checking size and sha256 against its descriptor as the bytes
   * arrive (more bytes than promised stop the transfer); concurrent calls for one dest share one fetch.
   */
  fetchBlob(ref: ImageRef, endpoint: string, blob: BlobSpec, dest: string, onBytes?: (n: number) => void): Promise<void> {
    const running = this.#inflight.get(dest);
    if (running) return running;
    const p = this.#fetchBlob(ref, endpoint, blob, dest, onBytes).finally(() => this.#inflight.delete(dest));
    this.#inflight.set(dest, p);
    return p;
  }

  async #fetchBlob(ref: ImageRef, endpoint: string, blob: BlobSpec, dest: string, onBytes?: (n: number) => void): Promise<void> {
    const digest = checkDigest(blob.digest, `blob of ${ref.repository}`);
    if (existsSync(dest)) return;
    await mkdir(dirname(dest), { recursive: true });
    const res = await this.request(endpoint, `/v2/${ref.repository}/blobs/${digest}`, `repository:${ref.repository}:pull`);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new RegistryError(`${endpoint}: HTTP ${res.status} for blob ${digest} of ${ref.repository}`, res.status);
    }
    const where = `${endpoint}: blob ${digest} of ${ref.repository}`;
    const length = res.headers.get('content-length');
    if (length !== null && Number(length) !== blob.size) {
      await res.body.cancel();
      throw new RegistryError(`${where} is announced with ${length} bytes, its descriptor says ${blob.size}`);
    }
    const part = `${dest}.part`;
    const hash = createHash('sha256');
    const ws = createWriteStream(part);
    let got = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        got += chunk.length;
        if (got > blob.size) throw new RegistryError(`${where} sent more than the ${blob.size} bytes its descriptor says`);
        hash.update(chunk);
        onBytes?.(chunk.length);
        if (!ws.write(chunk)) await once(ws, 'drain');
      }
      ws.end();
      await once(ws, 'finish');
      if (got !== blob.size) throw new RegistryError(`${where} ended after ${got} bytes, its descriptor says ${blob.size}`);
      const sum = `sha256:${hash.digest('hex')}`;
      if (sum !== digest) throw new RegistryError(`${where} arrived with digest ${sum}`);
    } catch (err) {
      ws.destroy();
      await res.body.cancel().catch(() => {});
      await rm(part, { force: true });
      throw err;
    }
    await rename(part, dest);
  }

  async blobExists(endpoint: string, repository: string, digest: string): Promise<boolean> {
    const res = await this.request(
      endpoint,
      `/v2/${repository}/blobs/${checkDigest(digest, repository)}`,
      `repository:${repository}:pull,push`,
      { method: 'HEAD' },
    );
    await res.body?.cancel();
    return res.ok;
  }

  /** Monolithic upload: POST an upload session, PUT the bytes (streamed, `size` of them) with ?digest=. */
  async pushBlob(endpoint: string, repository: string, digest: string, size: number, data: () => Readable): Promise<void> {
    checkDigest(digest, repository);
    const scope = `repository:${repository}:pull,push`;
    const start = await this.request(endpoint, `/v2/${repository}/blobs/uploads/`, scope, { method: 'POST' });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location)
      throw new RegistryError(`${endpoint}: cannot start a blob upload to ${repository}: HTTP ${start.status}`, start.status);
    const url = new URL(location, endpoint);
    url.searchParams.set('digest', digest);
    const put = await this.request(
      url.origin,
      `${url.pathname}${url.search}`,
      scope,
      { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) } },
      data,
    );
    await put.body?.cancel();
    if (put.status !== 201)
      throw new RegistryError(`${endpoint}: blob ${digest} upload to ${repository} failed: HTTP ${put.status}`, put.status);
  }

  async putManifest(endpoint: string, repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request(endpoint, `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull,push`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    const text = (await readCapped(res, 64 * 1024, `${endpoint}: manifest PUT`).catch(() => Buffer.alloc(0))).toString('utf8');
    if (res.status !== 201)
      throw new RegistryError(
        `${endpoint}: manifest PUT ${repository}:${reference} failed: HTTP ${res.status} ${text.slice(0, 300)}`,
        res.status,
      );
    return res.headers.get('docker-content-digest') ?? sha256(bytes);
  }
}
