/**
 * The HTTP pieces of the registry client: challenge parsing, redirect limits and capped body reads (what a
 * registry sends is read into memory only up to a cap, refused as soon as more arrives or is announced).
 */

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 5;

export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s+(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!] = p[2]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

/** A response body of at most `cap` bytes (refused as soon as more arrive, or when more are announced). */
export async function readCapped(res: Response, cap: number, where: string): Promise<Buffer> {
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (length > cap) {
    await res.body?.cancel();
    throw new RegistryError(`${where}: ${length} bytes announced, more than the ${cap}-byte cap`);
  }
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    got += chunk.length;
    if (got > cap) {
      await res.body?.cancel().catch(() => {});
      throw new RegistryError(`${where}: more than the ${cap}-byte cap`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
