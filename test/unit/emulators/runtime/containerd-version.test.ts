// `containerd --version` is answered in bash by its launcher (it runs in every fact gathering): the answer must be
// the TypeScript emulator's, byte for byte, for every way a version can be installed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, LabRoot, REPO } from './helpers.js';

let lab: LabRoot;
beforeAll(() => ensureBuilt());
afterEach(() => lab?.cleanup());

/** The TypeScript emulator itself, without the launcher's fast path. */
function nodeAnswer(l: LabRoot, args: string[]): { code: number; stdout: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/test/lab/emulators/src/runtime/main.js'), 'containerd', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_FS_ROOT: l.dir, LAB_REPO: REPO, ...l.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout };
}

const cases: [string, (l: LabRoot) => void][] = [
  ["Docker's containerd.io 1.7", (l) => l.installed('containerd.io', '1.7.24-1')],
  ["Docker's containerd.io 2.x (v prefix)", (l) => l.installed('containerd.io', '2.1.4-1')],
  ["Debian's containerd 1.6", (l) => l.installed('containerd', '1.6.20~ds1-1+deb12u3')],
  ['a distro containerd 2.x (Go module v2)', (l) => l.installed('containerd', '2.0.2-1')],
  ['an epoch in the package version', (l) => l.installed('containerd.io', '1:1.7.27-1')],
  ['nothing installed (the default)', () => {}],
  ['both packages: containerd.io wins', (l) => (l.installed('containerd', '1.6.20~ds1-1'), l.installed('containerd.io', '1.7.24-1'))],
  ['an override in /etc/lab/env', (l) => l.write('/etc/lab/env', 'LAB_CONTAINERD_IO_VERSION=2.1.4-1\n')],
  ['an override in the environment', (l) => (l.env = { LAB_CONTAINERD_VERSION: '1.7.0-0ubuntu1' })],
  ['an empty override is skipped', (l) => ((l.env = { LAB_CONTAINERD_IO_VERSION: '' }), l.installed('containerd', '2.0.2-1'))],
  ['a version file with spaces around it', (l) => l.write('/var/lib/lab/pkgversions/containerd.io', '  1.7.24-1 \n')],
];

describe('containerd --version: bash launcher and TypeScript emulator agree', () => {
  for (const [name, setup] of cases) {
    it(name, () => {
      lab = new LabRoot();
      setup(lab);
      for (const flag of ['--version', '-v', 'version']) {
        const fast = lab.run('containerd', [flag]);
        expect({ code: fast.code, stdout: fast.stdout }).toEqual(nodeAnswer(lab, [flag]));
        expect(fast.stdout).toMatch(/^containerd \S+ v?\d+\.\d+\S* \S+\n$/);
      }
    });
  }

  it('an unparsable version is left to the TypeScript emulator (its error, not a made-up line)', () => {
    lab = new LabRoot();
    lab.installed('containerd.io', 'garbage');
    const r = lab.run('containerd', ['--version']);
    expect(r.code).not.toBe(0);
    expect(r.code).toBe(nodeAnswer(lab, ['--version']).code);
  });

  it('still journals the call, like every emulator', () => {
    lab = new LabRoot();
    lab.installed('containerd.io', '1.7.24-1');
    lab.run('containerd', ['--version']);
    expect(lab.exists('/var/log/lab/journal.log')).toBe(true);
    expect(spawnSync('cat', [lab.path('/var/log/lab/journal.log')], { encoding: 'utf8' }).stdout).toMatch(/^\d+ containerd --version\n$/);
  });
});
