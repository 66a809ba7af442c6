/**
 * Publisher checksum files: `sha256sum` output ("<hex>  [*]<file>" lines, e.g. containerd's
 * containerd-<v>-linux-<arch>.tar.gz.sha256sum, runc's runc.sha256sum) or a bare hex digest (dl.k8s.io's <binary>.sha256).
 */
export function checksumFor(text: string, file: string): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    const m = /^([a-f0-9]{64})(?:\s+\*?(\S+))?$/.exec(line);
    if (!m) continue;
    if (m[2] === undefined ? lines.length === 1 : m[2].split('/').pop() === file) return m[1];
  }
  return undefined;
}
