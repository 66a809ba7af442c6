/**
 * Stock hosts: a fresh lab host of each persona offers what that cloud image offers (personas.json, with sources) —
 * the image's tools on the PATH, none of the ones it lacks (no etcd client, conntrack, socat, container runtime…)
 * even where the machine has them — while the cluster's own components stay in the lab's real-bin directory.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, labDown, labUp } from './lab.js';
import { OSES } from './paths.js';
import { persona } from './personas.js';
import { REAL_BIN_DIR } from './hosts.js';
import { isRoot, ROOT_SKIP_MESSAGE } from './helpers/ssh.js';

if (!isRoot()) console.warn(`skipping test/lab/personas.test.ts: ${ROOT_SKIP_MESSAGE}`);

const NAME = 'labtest-personas';

/** `command -v` for each name, as a login shell of `user` would look it up. */
async function onPath(lab: Lab, host: string, names: string[], user?: 'kube'): Promise<Record<string, string>> {
  const script = names.map((n) => `printf '%s=%s\\n' ${n} "$(command -v ${n} || true)"`).join('; ');
  const r = await lab.exec(host, `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; ${script}`, user ? { user } : {});
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s) as [string, string]),
  );
}

describe.skipIf(!isRoot())('stock lab hosts match their persona', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: OSES.map((os) => ({ name: os, os })) });
  }, 180_000);
  afterAll(async () => {
    if (lab) await lab.down();
    else await labDown(NAME).catch(() => {});
  }, 120_000);

  it('every persona has a list with its sources', () => {
    for (const os of OSES) {
      const p = persona(os)!;
      expect(p, os).toBeDefined();
      expect(p.sources.length, os).toBeGreaterThan(0);
      for (const s of p.sources) expect(s, os).toMatch(/^https:\/\//);
      expect(p.absent, os).toEqual(expect.arrayContaining(['etcdctl', 'etcdutl', 'conntrack', 'socat']));
      expect(
        p.present.filter((n) => p.absent.includes(n)),
        os,
      ).toEqual([]);
    }
  });

  it.each(OSES)("a fresh %s host offers the image's tools and none it lacks, for root and the kube user", async (os) => {
    const p = persona(os)!;
    for (const user of [undefined, 'kube'] as const) {
      const found = await onPath(lab, os, [...p.present, ...p.absent], user);
      const missing = p.present.filter((n) => !found[n]);
      const extra = p.absent.filter((n) => found[n]).map((n) => `${n} (${found[n]})`);
      expect({ missing, extra }, `${os} as ${user ?? 'root'}`).toEqual({ missing: [], extra: [] });
    }
  });

  it("the cluster's own etcd stays available to the lab, outside every PATH (the etcd image's programs)", async () => {
    const r = await lab.exec('debian12', `ls ${REAL_BIN_DIR}`);
    const listed = r.stdout.split('\n').filter(Boolean);
    for (const n of ['etcd', 'etcdctl']) if (existsSync(`/usr/bin/${n}`)) expect(listed, n).toContain(n);
    const v = await lab.exec('debian12', `${REAL_BIN_DIR}/etcdctl version`);
    if (existsSync('/usr/bin/etcdctl')) expect(v.stdout).toMatch(/^etcdctl version: 3\./m);
  });
});
