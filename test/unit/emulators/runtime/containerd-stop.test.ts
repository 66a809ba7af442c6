// The containerd stop hook stops an emulated containerd in bash (systemctl restart runs it on every node): the
// result must be the TypeScript hook's, file for file; a real containerd or an unreadable state goes to TypeScript.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, LabRoot, REPO } from './helpers.js';

const roots: LabRoot[] = [];
beforeAll(() => ensureBuilt());
afterEach(() => roots.splice(0).forEach((r) => r.cleanup()));

function lab(): LabRoot {
  const l = new LabRoot();
  l.installed('containerd.io', '1.7.24-1');
  roots.push(l);
  return l;
}

/** Every path under the root (what a hook leaves behind). */
function tree(l: LabRoot): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      out.push(relative(l.dir, p));
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(l.dir);
  return out.filter((p) => !p.startsWith('var/log/lab')).sort();
}

const nodeStop = (l: LabRoot) =>
  spawnSync(
    process.execPath,
    [join(REPO, 'dist/test/lab/emulators/src/runtime/main.js'), 'lab-runtime-hook', 'containerd.service', 'stop'],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_FS_ROOT: l.dir, LAB_REPO: REPO },
    },
  );

describe('containerd stop hook', () => {
  it('an emulated containerd: the bash hook leaves exactly what the TypeScript hook leaves', () => {
    const a = lab();
    const b = lab();
    for (const l of [a, b]) expect(l.systemctl('containerd', 'start').code).toBe(0);
    expect(a.exists('/run/lab/containerd/effective.json')).toBe(true);
    expect(a.systemctl('containerd', 'stop').code).toBe(0);
    expect(nodeStop(b).status).toBe(0);
    expect(tree(a)).toEqual(tree(b));
    expect(a.exists('/run/lab/containerd/effective.json')).toBe(false);
    expect(
      spawnSync(join(BIN, 'lab-runtime-active'), ['containerd'], {
        env: { PATH: process.env.PATH ?? '', LAB_FS_ROOT: a.dir, LAB_REPO: REPO },
      }).status,
    ).toBe(1);
  });

  it('never started (no state): nothing to do, both succeed', () => {
    const a = lab();
    expect(a.systemctl('containerd', 'stop').code).toBe(0);
    expect(nodeStop(a).status).toBe(0);
  });

  it('a state file that is not ours goes to TypeScript (same exit code, nothing removed behind its back)', () => {
    const a = lab();
    const b = lab();
    for (const l of [a, b]) l.write('/run/lab/containerd/effective.json', 'not json');
    const viaHook = a.systemctl('containerd', 'stop');
    const viaNode = nodeStop(b);
    expect(viaHook.code).toBe(viaNode.status);
    expect(viaHook.code).not.toBe(0);
    expect(tree(a)).toEqual(tree(b));
  });
});
