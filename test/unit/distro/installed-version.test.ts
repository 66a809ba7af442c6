/**
 * The installed-version query runs through a real shell against a stand-in dpkg-query that prints what dpkg
 * prints: "install ok installed", "hold ok installed" (after apt-mark hold) or "deinstall ok config-files".
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { detectDistro, osFamily } from '../../../src/distro/index.js';
import { commandText } from '../../../src/transport/command.js';

const debian = detectDistro({ id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian 12', family: osFamily('debian', []) });

function installed(status: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'ks-dpkg-'));
  writeFileSync(join(bin, 'dpkg-query'), `#!/bin/sh\nprintf '%s|%s\\n' '${status}' '1.34.1-1.1'\n`);
  chmodSync(join(bin, 'dpkg-query'), 0o755);
  return execFileSync('sh', ['-c', commandText(debian.installedVersion('kubeadm'))], {
    env: { PATH: `${bin}:/usr/bin:/bin` },
    encoding: 'utf8',
  }).trim();
}

describe('debian installedVersion', () => {
  it('reads the version of an installed package', () => expect(installed('install ok installed')).toBe('1.34.1-1.1'));
  it('reads the version of a held package', () => expect(installed('hold ok installed')).toBe('1.34.1-1.1'));
  it('reports nothing for a removed package that left its config files', () => expect(installed('deinstall ok config-files')).toBe(''));
});
