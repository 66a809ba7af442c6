// Emulated pulls. The lab has no internet: a pull reaches only registries on loopback, on lab addresses
// (10.199.x.x) or listed in LAB_REGISTRIES (/etc/lab/env, comma-separated host[:port]). Anything else fails
// the way containerd does offline ("dial tcp: lookup registry.k8s.io: no such host"). Mirrors come from
// certs.d hosts.toml (ctr --hosts-dir, the CRI's config_path). Only manifests are fetched: the store records
// names, digests and sizes, not layer data.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labEnv, labPath, readText } from './lab-paths.js';
import { parseRef, normalizeRef } from './image-ref.js';
import { parseToml, tomlGet, type TomlTable } from './toml.js';
import { MEDIA, sha256, type ArchiveImage, type Descriptor } from './oci-archive.js';

interface Endpoint {
  url: string;
  mirror: boolean;
}

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

function registryBase(domain: string): string {
  return domain === 'docker.io' ? 'https://registry-1.docker.io' : `https://${domain}`;
}

/** Endpoints in containerd's order: hosts.toml mirrors first, then the server. */
export function endpoints(domain: string, hostsDirs: string[], plainHttp: boolean): Endpoint[] {
  for (const dir of hostsDirs) {
    for (const name of [domain, domain.replace(':', '_') + (domain.includes(':') ? '_' : ''), '_default']) {
      const file = join(dir, name, 'hosts.toml');
      if (!existsSync(labPath(file))) continue;
      const doc = parseToml(readText(file) ?? '');
      const hosts = (tomlGet(doc, 'host') as TomlTable | undefined) ?? {};
      const mirrors = Object.entries(hosts)
        .filter(([, cfg]) => {
          const caps = tomlGet(cfg as TomlTable, 'capabilities');
          return !Array.isArray(caps) || caps.includes('pull') || caps.includes('resolve');
        })
        .map(([url]) => ({ url: url.replace(/\/$/, ''), mirror: true }));
      const server = typeof doc.server === 'string' ? doc.server : registryBase(domain);
      return [...mirrors, { url: server.replace(/\/$/, ''), mirror: false }];
    }
  }
  const base = plainHttp ? `http://${domain}` : registryBase(domain);
  return [{ url: base, mirror: false }];
}

/** A host the lab may contact: loopback, lab subnet, or listed in LAB_REGISTRIES. */
export function reachable(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name === '::1' || /^127\./.test(name) || /^10\.199\./.test(name)) return true;
  const listed = (labEnv('LAB_REGISTRIES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return listed.includes(host) || listed.includes(name);
}

export class PullError extends Error {}

interface ManifestResponse {
  status: number;
  statusText: string;
  header: (name: string) => string | undefined;
  bytes: () => Promise<Buffer>;
}

/** GET over node:http: the lab's registries speak plain HTTP, and fetch() costs every pull ~10 ms of CPU to load. */
function httpGet(url: string, signal: AbortSignal): Promise<ManifestResponse | 'redirect'> {
  return import('node:http').then(
    ({ get }) =>
      new Promise((resolve, reject) => {
        // like fetch(): a failed request is "fetch failed", a timeout the signal's reason
        const fail = (): void => reject(signal.aborted ? signal.reason : new TypeError('fetch failed'));
        const request = get(url, { headers: { Accept: ACCEPT }, signal }, (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            response.resume();
            resolve('redirect');
            return;
          }
          const body = new Promise<Buffer>((done, failed) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => done(Buffer.concat(chunks)));
            response.on('error', () => failed(signal.aborted ? signal.reason : new TypeError('terminated')));
          });
          body.catch(() => undefined);
          const header = (name: string): string | undefined => {
            const v = response.headers[name];
            return Array.isArray(v) ? v.join(', ') : v;
          };
          resolve({ status, statusText: response.statusMessage ?? '', header, bytes: () => body });
        });
        request.on('error', fail);
      }),
  );
}

async function get(url: string): Promise<ManifestResponse> {
  const signal = AbortSignal.timeout(30_000);
  const plain = url.startsWith('http://') ? await httpGet(url, signal) : 'redirect';
  if (plain !== 'redirect') return plain;
  // https, or a redirect to follow: fetch() does both
  const response = await fetch(url, { headers: { Accept: ACCEPT }, signal });
  return {
    status: response.status,
    statusText: response.statusText,
    header: (name) => response.headers.get(name) ?? undefined,
    bytes: async () => Buffer.from(await response.arrayBuffer()),
  };
}

async function fetchManifest(url: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
  const response = await get(url);
  if (response.status === 404) throw new PullError('not found');
  if (response.status < 200 || response.status > 299)
    throw new PullError(`unexpected status from GET request to ${url}: ${response.status} ${response.statusText}`);
  const bytes = await response.bytes();
  const mediaType = (response.header('content-type') ?? '').split(';')[0]!.trim() || MEDIA.ociManifest;
  return { bytes, mediaType, digest: response.header('docker-content-digest') ?? sha256(bytes) };
}

/** Resolves a reference like containerd: returns the image record or throws PullError with containerd's text. */
export async function pullImage(
  ref: string,
  options: { hostsDirs?: string[]; plainHttp?: boolean; platform?: string; mirrors?: string[] } = {},
): Promise<ArchiveImage> {
  const name = normalizeRef(ref);
  const parsed = parseRef(name);
  const reference = parsed.digest ?? parsed.tag ?? 'latest';
  const platform = options.platform ?? 'linux/amd64';
  // containerd's resolver: a 404 tries the next host; otherwise the first error is the one reported
  let firstError = '';
  const mirrors = (options.mirrors ?? []).map((url) => ({ url: url.replace(/\/$/, ''), mirror: true }));
  for (const endpoint of [...mirrors, ...endpoints(parsed.domain, options.hostsDirs ?? [], options.plainHttp ?? false)]) {
    const url = new URL(endpoint.url);
    const query = endpoint.mirror ? `?ns=${parsed.domain}` : '';
    const manifestUrl = `${endpoint.url}/v2/${parsed.path}/manifests/${reference}${query}`;
    if (!reachable(url.host)) {
      const isIp = /^[\d.]+$/.test(url.hostname);
      const port = url.port || (url.protocol === 'http:' ? '80' : '443');
      firstError ||=
        `failed to do request: Head "${manifestUrl}": dial tcp ${isIp ? `${url.hostname}:${port}: connect: network is unreachable` : `: lookup ${url.hostname}: no such host`}`.replace(
          'tcp : lookup',
          'tcp: lookup',
        );
      continue;
    }
    try {
      const top = await fetchManifest(manifestUrl);
      let doc = JSON.parse(top.bytes.toString('utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
      let size = top.bytes.length;
      const platforms: string[] = [];
      if (doc.manifests) {
        for (const m of doc.manifests) if (m.platform) platforms.push(`${m.platform.os}/${m.platform.architecture}`);
        const pick = doc.manifests.find((m) => m.platform && `${m.platform.os}/${m.platform.architecture}` === platform);
        if (!pick) throw new PullError(`no match for platform in manifest: not found`);
        const inner = await fetchManifest(`${endpoint.url}/v2/${parsed.path}/manifests/${pick.digest}${query}`);
        doc = JSON.parse(inner.bytes.toString('utf8'));
        size += inner.bytes.length;
      } else {
        platforms.push(platform);
      }
      if (!doc.config) throw new PullError('manifest has no config');
      size += doc.config.size + (doc.layers ?? []).reduce((s, l) => s + l.size, 0);
      return { name, digest: top.digest, mediaType: top.mediaType, size, configDigest: doc.config.digest, platforms };
    } catch (error) {
      if (error instanceof PullError && error.message === 'not found') continue;
      firstError ||=
        error instanceof PullError ? error.message : `failed to do request: Head "${manifestUrl}": ${(error as Error).message}`;
    }
  }
  throw new PullError(`failed to resolve reference "${name}": ${firstError || `${name}: not found`}`);
}
