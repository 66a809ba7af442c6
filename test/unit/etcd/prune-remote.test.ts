/** pruneRemote on a backup dir whose name a shell would split or expand: the listing runs through sh`` quoting. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneRemote } from '../../../src/tasks/etcd/snapshot.js';
import { RecordingTransport } from '../../../src/transport/recording.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every command runs for real in a local sh, in `cwd` (ls, grep, sort, rm on a temp dir only). */
function localShell(cwd: string): RecordingTransport {
  return new RecordingTransport('n1').allow(/.*/, (call) => {
    try {
      return { stdout: execFileSync('sh', ['-c', call.text!], { cwd, encoding: 'utf8' }) };
    } catch (err) {
      const e = err as { status?: number; stdout?: string; stderr?: string };
      return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  });
}

describe('pruneRemote', () => {
  it.each(['etcd backups', 'x;touch pwned', '$(touch pwned)'])('keeps the newest snapshots in a dir named %j', async (name) => {
    const parent = mkdtempSync(join(tmpdir(), 'ks-prune-'));
    made.push(parent);
    const dir = join(parent, name);
    execFileSync('mkdir', ['-p', '--', dir]);
    for (const f of ['20260101-a.db', '20260102-a.db', '20260103-a.db', 'notes.txt']) writeFileSync(join(dir, f), 'x');
    await pruneRemote(localShell(parent), 1, dir);
    expect(readdirSync(dir).sort()).toEqual(['20260103-a.db', 'notes.txt']);
    expect(readdirSync(parent)).toEqual([name]);
  });
});
