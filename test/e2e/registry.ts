/**
 * A stand-in for the internet's registries, for lab e2e runs: an HTTP registry on the lab bridge address that
 * answers every manifest request with a small valid image (made by the lab's OCI writer). kubesmith reaches it
 * the way operators reach a pull-through mirror: containerRuntime.registryMirrors → certs.d hosts.toml.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { makeTestImage } from '../lab/emulators/src/runtime/oci-archive-writer.js';

export interface LabRegistry {
  /** http://<bridge ip>:<port> */
  url: string;
  /** Image references requested so far (name:tag, with the ?ns= origin). */
  requests: string[];
  close(): Promise<void>;
}

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;

export async function startLabRegistry(bindIp: string): Promise<LabRegistry> {
  const requests: string[] = [];
  // Blobs (config, layer) of every image served so far, for runtimes that fetch them (real containerd does).
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  const send = (res: import('node:http').ServerResponse, head: boolean, type: string, body: Buffer, digest: string) => {
    res.writeHead(200, { 'content-type': type, 'content-length': String(body.length), 'docker-content-digest': digest });
    res.end(head ? undefined : body);
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const head = req.method === 'HEAD';
    const b = BLOB.exec(url.pathname);
    if (b) {
      const body = blobs.get(b[2]!);
      if (body) send(res, head, 'application/octet-stream', body, b[2]!);
      else res.writeHead(404).end();
      return;
    }
    const m = MANIFEST.exec(url.pathname);
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    if (m[2]!.startsWith('sha256:')) {
      // A pull by digest (runtimes resolve a tag, then fetch by digest): only manifests served before exist.
      const manifest = manifests.get(m[2]!);
      if (manifest) send(res, head, 'application/vnd.oci.image.manifest.v1+json', manifest, m[2]!);
      else res.writeHead(404).end();
      return;
    }
    const origin = url.searchParams.get('ns') ?? 'docker.io';
    const ref = `${origin}/${m[1]}:${m[2]}`;
    requests.push(ref);
    const image = makeTestImage({ ref });
    blobs.set(image.configDigest, image.config);
    blobs.set(`sha256:${createHash('sha256').update(image.layer).digest('hex')}`, image.layer);
    blobs.set(image.manifestDigest, image.manifest);
    manifests.set(image.manifestDigest, image.manifest);
    send(res, head, 'application/vnd.oci.image.manifest.v1+json', image.manifest, image.manifestDigest);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, bindIp, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${bindIp}:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The lab bridge address (10.199.k.1) of an instance whose subnet is 10.199.k.0/24. */
export function bridgeIp(subnet: string): string {
  return subnet.replace(/\.0\/24$/, '.1');
}
