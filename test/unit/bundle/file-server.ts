/**
 * A stand-in for dl.k8s.io / github.com / pkgs.k8s.io on 127.0.0.1 (the layout of a files mirror:
 * /HOST/PATH), serving fixture bytes with Range support and URL.sha256 files like dl.k8s.io.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { artifactsFor, type ArtifactOptions } from '../../../src/bundle/artifacts.js';

export interface FileServer {
  url: string;
  /** "GET /path range" per request. */
  requests: string[];
  files: Map<string, Buffer>;
  /** Make the next response for a path stop after n bytes (a dropped connection). */
  cutAfter: Map<string, number>;
  close(): Promise<void>;
}

export async function startFileServer(bindIp = '127.0.0.1'): Promise<FileServer> {
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const cutAfter = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(`${req.method} ${path} ${req.headers.range ?? '-'}`);
    const sum = path.endsWith('.sha256') ? files.get(path.slice(0, -7)) : undefined;
    const body = files.get(path) ?? (sum && path.includes('/dl.k8s.io/') ? Buffer.from(createHash('sha256').update(sum).digest('hex')) : undefined);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && range) {
      res.writeHead(416).end();
      return;
    }
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, { 'content-length': String(part.length), 'accept-ranges': 'bytes' });
    const cut = cutAfter.get(path);
    if (cut !== undefined) {
      cutAfter.delete(path);
      res.write(part.subarray(0, cut), () => res.destroy());
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, bindIp, () => r()));
  return {
    url: `http://${bindIp}:${(server.address() as { port: number }).port}`,
    requests,
    files,
    cutAfter,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Fill the server with deterministic fixture bytes for every artifact a bundle of these options needs. */
export function serveArtifacts(server: FileServer, o: Omit<ArtifactOptions, 'filesUrl'>): void {
  for (const a of artifactsFor({ ...o, filesUrl: server.url })) {
    const path = decodeURIComponent(new URL(a.url).pathname);
    const size = a.kind === 'binary' ? 200_000 : 5_000;
    const seed = createHash('sha256').update(a.url).digest();
    files(server).set(path, Buffer.concat(Array.from({ length: Math.ceil(size / 32) }, () => seed)).subarray(0, size));
  }
}

const files = (s: FileServer) => s.files;
