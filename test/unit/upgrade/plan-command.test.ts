/**
 * `kubesmith plan upgrade` through main() on recording transports: the route from the node's package index, every
 * pre-check answered from real tool outputs (etcdctl, df, /metrics, the certificate tree), read-only commands only,
 * exit 2 while a blocker remains and 0 when the route is clear.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectScript } from '../../../src/certs/collect.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { startMirror, type Mirror } from '../../lab/mirror.js';
import { makeCas, tempRoot, writeNodeTree } from '../certs/fixture.js';
import { cli, DEBIAN_FACTS, GOOD_INVENTORY, tempDir, writeInventory } from '../cli/helpers.js';

const real = (tool: string, file: string) => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'real', tool, file), 'utf8');
const cas = makeCas();
const tree = tempRoot();
writeNodeTree(tree, { node: 'cp1', ip: '10.199.0.10', cas });
const certs = execFileSync('bash', ['-c', collectScript(true, tree).text], { encoding: 'utf8' });

const MEMBER = 13668033151171901709n;
const memberList = `{"header":{"cluster_id":1,"member_id":${MEMBER},"raft_term":2},"members":[{"ID":${MEMBER},"name":"cp1","peerURLs":["https://10.199.0.10:2380"],"clientURLs":["https://10.199.0.10:2379"]}]}`;
const health = real('etcdctl', 'endpoint-health.json').replace('http://127.0.0.1:23791', 'https://10.199.0.10:2379');
const status = real('etcdctl', 'endpoint-status.json').replace('http://127.0.0.1:23791', 'https://10.199.0.10:2379');
const node = (name: string) => ({
  metadata: { name, labels: {} },
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], nodeInfo: { kubeletVersion: 'v1.33.5' } },
});

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror({ minors: ['1.33', '1.34'] });
});
afterAll(async () => mirror?.close());

function cluster(t: RecordingTransport, pdbBlocksCp1: boolean, flannelRunning = '0.28.9') {
  t.expect('@@ks:', { stdout: DEBIAN_FACTS });
  t.allow(/^df -Pk \/var\/lib$/, { stdout: real('df', 'df-Pk-var-lib.txt') });
  if (t.host !== 'cp1') return;
  t.allow(/ version$/, { stdout: 'Client Version: v1.33.5\nKustomize Version: v5.6.0\nServer Version: v1.33.5\n' });
  t.allow(/ get nodes -o json$/, { stdout: JSON.stringify({ kind: 'List', items: [node('cp1'), node('w1')] }) });
  t.allow(/^curl -fsSL /, (c) => {
    const file = mirror.files.get(`/${/https:\/\/(\S+)/.exec(c.command)![1]}`);
    return file ? { stdout: file.toString() } : { code: 22, stderr: 'curl: (22) The requested URL returned error: 404' };
  });
  t.allow(/^test -f \/etc\/kubernetes\/pki\/etcd\/healthcheck-client.crt$/, {});
  t.allow(/crictl .* ps --name '\^etcd\$' -q$/, { stdout: '3f1c0a\n' });
  t.allow(/crictl .* exec 3f1c0a etcdctl .*endpoint health/, { stdout: health });
  t.allow(/crictl .* exec 3f1c0a etcdctl .*member list/, { stdout: memberList });
  t.allow(/crictl .* exec 3f1c0a etcdctl .*endpoint status/, { stdout: status.replace(/"leader":\d+/, `"leader":${MEMBER}`) });
  t.allow(/^b64\(\) \{/, { stdout: certs });
  t.allow(/ get --raw \/metrics$/, { stdout: real('kubectl', 'get-raw-metrics-deprecated-apis.txt') });
  const refused = 'error: error when evicting pods/"web-1" -n "default": global timeout reached: 20s';
  t.allow(
    / drain cp1 .*--dry-run=server/,
    pdbBlocksCp1 ? { code: 1, stderr: `evicting pod default/web-1 (server dry run)\n${refused}\n` } : {},
  );
  t.allow(/ drain w1 .*--dry-run=server/, {});
  t.allow(/ -n kube-flannel get daemonset kube-flannel-ds -o /, { stdout: `ghcr.io/flannel-io/flannel:v${flannelRunning}` });
}

const READ_ONLY = [
  /^s\(\) \{/,
  /^df -Pk /,
  /^kubectl --kubeconfig \S+ (version|get |-n \S+ get |drain .*--dry-run=server)/,
  /^curl -fsSL \S+$/,
  /^test -f /,
  /^crictl /,
  /^b64\(\) \{/,
];

describe('kubesmith plan upgrade', () => {
  const inv = () => writeInventory(tempDir(), GOOD_INVENTORY.replace('spec:\n', 'spec:\n  kubernetes:\n    version: 1.34.1\n'));

  it("lists the route, each node's steps and the blocker; read-only; exit 2", async () => {
    const r = await cli(['plan', 'upgrade', '-i', inv()], { prepare: (t) => cluster(t, true) });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain('Upgrade route: 1.33.5 → 1.34.1');
    expect(r.stdout).toContain(
      'cp1: repository v1.34, kubeadm 1.34.1 (held), kubeadm upgrade apply v1.34.1 (pulls the images first), drain',
    );
    expect(r.stdout).toContain('workers in batches of 1 [w1]: cordon the batch');
    expect(r.stdout).toContain('ok  etcd: 1 member(s) healthy, one leader');
    expect(r.stdout).toContain('ok  no requested API is removed by 1.34.1');
    expect(r.stdout).toMatch(
      /BLOCKED {2}\[drain\] cp1: a drain would not finish \(kubectl drain --dry-run=server\): .*global timeout reached/,
    );
    expect(r.stdout).toContain('1 blocker(s): the upgrade does not start; nothing was changed on any host');
    expect(r.stdout).toContain('CNI: flannel 0.28.9, as the inventory asks: unchanged');
    for (const t of r.transports.values()) {
      // reads only: the commands below, and each node's upgrade record (an interrupted upgrade is finished first)
      expect(t.calls.filter((c) => c.kind !== 'exec' && c.kind !== 'readFile').map((c) => c.command)).toEqual([]);
      expect(t.calls.filter((c) => c.kind === 'readFile').map((c) => c.command)).toEqual(['/var/lib/kubesmith/upgrade/v1.33.5.json']);
      for (const c of t.commands)
        expect(
          READ_ONLY.some((re) => re.test(c)),
          `${t.host}: ${c}`,
        ).toBe(true);
    }
  });

  it('with every check passing: exit 0, ready to run; upgrade --plan prints the same', async () => {
    const file = inv();
    const r = await cli(['plan', 'upgrade', '-i', file], { prepare: (t) => cluster(t, false) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ready: `kubesmith upgrade -i FILE` runs this route');
    const p = await cli(['upgrade', '--plan', '-i', file], { prepare: (t) => cluster(t, false) });
    expect(p.code).toBe(0);
    expect(p.stdout).toBe(r.stdout);
  });

  it('a newer CNI in the inventory is applied after the control planes; an older one is a blocker (no downgrade)', async () => {
    const newer = await cli(['plan', 'upgrade', '-i', inv()], { prepare: (t) => cluster(t, false, '0.27.4') });
    expect(newer.code, newer.stdout + newer.stderr).toBe(0);
    expect(newer.stdout).toContain('CNI: flannel 0.27.4 → 0.28.9, applied once, after the control planes');
    const older = await cli(['plan', 'upgrade', '-i', inv()], { prepare: (t) => cluster(t, false, '0.29.1') });
    expect(older.code).toBe(2);
    expect(older.stdout).toContain(
      'BLOCKED  [CNI] network.flannel.version 0.28.9 is older than the flannel 0.29.1 the cluster runs: CNI downgrades are refused',
    );
  });
});
