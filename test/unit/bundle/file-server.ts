/**
 * An HTTP files server on 127.0.0.1 (the layout of a files mirror: /HOST/PATH) serving the bytes put in `files`
 * with Range support; anything else is a 404. test/lab/mirror.ts fills it with the real upstream layouts.
 */
import { createServer, type Server } from 'node:http';

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
    const body = files.get(path);
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
