/** Running a parser that is a shell fragment (sed/awk over a tool's output) locally, with the tool replaced by a stub. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Run a shell text with PATH starting at `bin` (the stubs); read-only fragments only. */
export function runSh(text: string, bin: string, input?: string): string {
  return execFileSync('sh', ['-c', text], { encoding: 'utf8', input, env: { PATH: `${bin}:/usr/bin:/bin`, LC_ALL: 'C' } });
}

/** A temp directory of executable stubs (name → shell body), e.g. one that prints a recorded sample. */
export function stubDir(stubs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fx-stubs-'));
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}
