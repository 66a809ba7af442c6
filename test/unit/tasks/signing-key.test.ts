/**
 * Issue 13 item 8: a repository signing key is judged by its content. A failed download (empty file, error page,
 * truncated key) is never written in place and never accepted later; a valid keyring is left alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dearmor, keyringFingerprints } from '../../../src/tasks/common/openpgp.js';
import { kubernetesRepo } from '../../../src/tasks/kubernetes/repo.js';
import { runtimeRepo } from '../../../src/tasks/runtime/repo.js';
import { converge, harness } from './helpers/context.js';
import { makeInventory } from './helpers/inventory.js';
import { LAB_KEY } from './helpers/signing-key.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', 'openpgp', name));
const ARMORED = LAB_KEY;
const LAB_FPR = '6FE1C20208E0F72C06875C3EEBF877691A00B4DF';
const KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';

describe('OpenPGP keyrings (samples made by GnuPG 2.2.40)', () => {
  it('reads the fingerprints gpg prints, armored or binary, new- or old-format packets', () => {
    expect(keyringFingerprints(ARMORED)).toEqual([LAB_FPR]);
    expect(keyringFingerprints(fixture('lab-repo-key.gpg'))).toEqual([LAB_FPR]);
    expect(keyringFingerprints(fixture('rsa2048.gpg'))).toEqual(['6C80EB6D9B57AC4F6FB7121491FED862E8AFC623']);
    expect(dearmor(ARMORED.toString())).toEqual(fixture('lab-repo-key.gpg')); // what gpg --dearmor writes
  });

  it('refuses what a failed download leaves: nothing, an error page, a truncated or corrupted key', () => {
    const bin = fixture('rsa2048.gpg');
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('404 page not found\n'),
      Buffer.from('<html><body>Service Unavailable</body></html>'),
      bin.subarray(0, bin.length - 7),
      Buffer.from(ARMORED.toString().replace(/^(m[A-Za-z])/m, 'mZ')), // CRC-24 no longer matches
      Buffer.from(ARMORED.toString().replace(/^=.*$/m, '=AAAA')),
    ]) {
      expect(keyringFingerprints(bad), bad.subarray(0, 20).toString()).toEqual([]);
    }
  });
});

describe('signing keys on hosts', () => {
  it('kubernetes.repo: an empty keyring left by an earlier failed download is replaced by the downloaded key (dearmored)', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1').setFile(KEYRING, '');
    t.allow(
      /curl -fsSL https:\/\/pkgs.k8s.io\/core:\/stable:\/v1.34\/deb\/Release.key -o \/etc\/apt\/keyrings\/kubernetes-apt-keyring.gpg.download/,
      () => {
        t.setFile(`${KEYRING}.download`, ARMORED);
        return {};
      },
    ).allow(`rm -f ${KEYRING}.download`, () => (t.files.delete(`${KEYRING}.download`), {}));
    const changes = await converge(kubernetesRepo, h.ctx('w1'), [t]);
    expect(changes[0]!.summary).toBe(
      `fetch the repository signing key into ${KEYRING} (the file there is not an OpenPGP public key: 0 bytes)`,
    );
    expect(t.files.get(KEYRING)!.content).toEqual(fixture('lab-repo-key.gpg'));
    expect(t.files.has(`${KEYRING}.download`)).toBe(false);
  });

  it('runtime.repo: a failed download (an error page) fails clearly and never reaches the keyring path; a valid key is left alone', async () => {
    const h = harness(makeInventory());
    const t = h.t('w1');
    t.allow(/curl -fsSL https:\/\/download.docker.com\/linux\/debian\/gpg -o \/etc\/apt\/keyrings\/docker.asc.download/, () => {
      t.setFile('/etc/apt/keyrings/docker.asc.download', '<html>502 Bad Gateway</html>\n');
      return {};
    }).allow('rm -f /etc/apt/keyrings/docker.asc.download', () => (t.files.delete('/etc/apt/keyrings/docker.asc.download'), {}));
    const err = await converge(runtimeRepo, h.ctx('w1'), [t]).catch((e: unknown) => e);
    expect(String(err)).toContain(
      'https://download.docker.com/linux/debian/gpg did not return an OpenPGP public key (29 bytes); /etc/apt/keyrings/docker.asc was left as it was',
    );
    expect(t.files.has('/etc/apt/keyrings/docker.asc')).toBe(false);
    expect(t.files.has('/etc/apt/keyrings/docker.asc.download')).toBe(false);

    const ok = harness(makeInventory());
    const t2 = ok.t('w1').setFile('/etc/apt/keyrings/docker.asc', ARMORED);
    const changes = await converge(runtimeRepo, ok.ctx('w1'), [t2]);
    expect(changes.map((c) => c.summary)).toEqual(['create /etc/apt/sources.list.d/docker.list']);
    expect(t2.commands.filter((c) => c.includes('curl'))).toEqual([]);
  });
});
