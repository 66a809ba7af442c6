// kubectl drain against PodDisruptionBudgets on an emulated cluster (cp1 + three workers), server dry run,
// --disable-eviction, get pdb, and the API server's deprecated-API metric.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webBudget, webDeployment } from '../../../lab/workloads.js';
import { INIT_CONFIG, Lab, REPO, ensureBuilt, flannelDaemonSet, workerJoinArgs } from './harness.js';

const lab = new Lab();
const KC = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const FLANNEL = 'ghcr.io/flannel-io/flannel:v0.28.9';
const WORKERS = ['w1', 'w2', 'w3'];
const APP = `${flannelDaemonSet(FLANNEL)}---\n${webDeployment(FLANNEL)}---\n${webBudget(2)}`;
// replacement pods start after 3 s; refused evictions are retried every 0.5 s (kubectl: 5 s) to keep the test short
const ENV = { LAB_POD_START_MS: '3000', LAB_EVICTION_RETRY_MS: '500' };
const kubectl = (args: string[], input?: string) => lab.run('cp1', 'kubectl', [...KC, ...args], ENV, input);
const webPods = () =>
  kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide', '--no-headers'])
    .stdout.trim()
    .split('\n')
    .map((l) => l.split(/\s+/))
    .map((c) => ({ name: c[0]!, status: c[2]!, node: c[6]! }));
const available = () => Number(kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.status.availableReplicas}']).stdout);

describe.sequential('kubectl drain emulator', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    lab.host('cp1', '10.199.0.10', { images: [FLANNEL] });
    WORKERS.forEach((w, i) => lab.host(w, `10.199.0.${21 + i}`, { images: [FLANNEL] }));
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    expect(init.code).toBe(0);
    for (const w of WORKERS) expect(lab.run(w, 'kubeadm', workerJoinArgs(init.stdout)).code).toBe(0);
    expect(kubectl(['apply', '-f', '-'], APP).code).toBe(0);
    for (const h of ['cp1', ...WORKERS]) lab.run(h, 'lab-node-sync', []);
    expect(available()).toBe(3);
  }, 180_000);

  it('spreads the replicas over the workers and shows the budget like kubectl get pdb', () => {
    expect(
      webPods()
        .map((p) => p.node)
        .sort(),
    ).toEqual(WORKERS);
    const pdb = kubectl(['get', 'pdb']).stdout.split('\n');
    expect(pdb[0]).toMatch(/^NAME +MIN AVAILABLE +MAX UNAVAILABLE +ALLOWED DISRUPTIONS +AGE$/);
    expect(pdb[1]).toMatch(/^web +2 +N\/A +1 +\d+s$/);
  });

  it('a cordon moves nothing; uncordon leaves the pods where they are', () => {
    const before = webPods();
    expect(kubectl(['cordon', 'w1']).stdout).toBe('node/w1 cordoned\n');
    expect(webPods()).toEqual(before);
    kubectl(['uncordon', 'w1']);
    expect(webPods()).toEqual(before);
  });

  it('a server dry run asks the eviction API and changes nothing', () => {
    const before = webPods();
    const r = kubectl(['drain', 'w1', '--ignore-daemonsets', '--dry-run=server']);
    expect(r.code).toBe(0);
    const pod = before.find((p) => p.node === 'w1')!.name;
    expect(r.stdout).toMatch(/^node\/w1 cordoned \(server dry run\)\n/);
    expect(r.stdout).toContain(`evicting pod default/${pod} (server dry run)\n`);
    expect(r.stdout).toMatch(/\nnode\/w1 drained \(server dry run\)\n$/);
    expect(r.stdout).not.toContain(' evicted');
    expect(r.stderr).toMatch(/^Warning: ignoring DaemonSet-managed Pods: kube-system\/kube-flannel-ds-\w+, kube-system\/kube-proxy-\w+\n$/);
    expect(kubectl(['get', 'nodes']).stdout).toMatch(/w1 +Ready +<none>/);
    expect(webPods()).toEqual(before);
  });

  it('evicts within the budget, refuses beyond it with the real message while the replacement starts', () => {
    // the lab's clock is pinned (LAB_NOW) so "the replacement is still starting" does not depend on speed
    const t0 = Date.now() - 60_000; // in the past: later tests on the real clock see these pods started
    const at = (ms: number) => ({ LAB_NOW: String(t0 + ms) });
    const run = (args: string[], ms: number) => lab.run('cp1', 'kubectl', [...KC, ...args], { ...ENV, ...at(ms) });
    const availableAt = (ms: number) => Number(run(['get', 'deploy', 'web', '-o', 'jsonpath={.status.availableReplicas}'], ms).stdout);
    const onW1 = webPods().find((p) => p.node === 'w1')!.name;
    const first = run(['drain', 'w1', '--ignore-daemonsets'], 0);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^node\/w1 cordoned\n/);
    expect(first.stdout).toContain(`evicting pod default/${onW1}\n`);
    expect(first.stdout).toMatch(new RegExp(`\\npod/${onW1} evicted\\n(.*\\n)*node/w1 drained\\n$`));
    expect(availableAt(0)).toBe(2); // the replacement's containers are starting
    const moved = run(['get', 'pods', '-l', 'app=web', '-o', 'wide', '--no-headers'], 0).stdout;
    expect(moved).not.toMatch(/ w1 /);
    expect(moved.match(/ContainerCreating/g)).toHaveLength(1);
    // evicting w2's Running replica now would leave one healthy pod where the budget wants two
    const w2Running = /^(web-\S+) +1\/1 +Running .* w2 /m.exec(moved)![1]!;
    const refused = run(['drain', 'w2', '--ignore-daemonsets', '--timeout=1s'], 0);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error when evicting pods/"${w2Running}" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`,
    );
    expect(refused.stderr).toContain(`global timeout reached: 1s`);
    expect(availableAt(0)).toBe(2);
    // once the replacements run, the same eviction is allowed
    expect(availableAt(10_000)).toBe(3);
    const second = run(['drain', 'w2', '--ignore-daemonsets'], 10_000);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('Cannot evict');
    expect(second.stdout).toContain(`pod/${w2Running} evicted\n`);
    expect(run(['get', 'pods', '-l', 'app=web', '-o', 'wide', '--no-headers'], 20_000).stdout.match(/ w3 /g)).toHaveLength(3);
    expect(availableAt(20_000)).toBe(3);
    kubectl(['uncordon', 'w1']);
    kubectl(['uncordon', 'w2']);
  });

  it('stops at --timeout when the budget can never allow it, and leaves the node cordoned', () => {
    kubectl(['apply', '-f', '-'], webBudget(3));
    expect(kubectl(['get', 'pdb', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}']).stdout).toBe('0');
    const r = kubectl(['drain', 'w3', '--ignore-daemonsets', '--timeout=2s']);
    expect(r.code).toBe(1);
    const pod = webPods().find((p) => p.node === 'w3')!.name;
    expect(r.stderr).toContain(`error: unable to drain node "w3" due to error: [error when evicting pods/"`);
    expect(r.stderr).toContain(`error when evicting pods/"${pod}" -n "default": global timeout reached: 2s`);
    expect(r.stderr).toContain('There are pending nodes to be drained:\n w3\n');
    expect(kubectl(['get', 'nodes']).stdout).toMatch(/w3 +Ready,SchedulingDisabled/);
    expect(available()).toBe(3);
  }, 60_000);

  it('--disable-eviction deletes the pods without asking the budget', () => {
    const before = webPods().filter((p) => p.node === 'w3');
    expect(before).toHaveLength(3);
    const r = kubectl(['drain', 'w3', '--ignore-daemonsets', '--disable-eviction']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^node\/w3 already cordoned\n(pod\/\S+ deleted\n)+node\/w3 drained\n$/);
    for (const p of before) expect(r.stdout).toContain(`pod/${p.name} deleted\n`);
    expect(webPods().some((p) => p.node === 'w3')).toBe(false);
    expect(available()).toBe(0);
  });

  it('serves /metrics with apiserver_requested_deprecated_apis after a deprecated API is used', () => {
    const vac = 'apiVersion: storage.k8s.io/v1beta1\nkind: VolumeAttributesClass\nmetadata:\n  name: gold\ndriverName: x\n';
    const r = kubectl(['apply', '-f', '-'], vac);
    expect(r.stderr).toBe(
      'Warning: storage.k8s.io/v1beta1 VolumeAttributesClass is deprecated in v1.34+, unavailable in v1.37+; use storage.k8s.io/v1 VolumeAttributesClass\n',
    );
    const metrics = kubectl(['get', '--raw', '/metrics']).stdout.split('\n');
    const real = readFileSync(join(REPO, 'test/fixtures/real/kubectl/get-raw-metrics-deprecated.txt'), 'utf8').split('\n');
    expect(metrics.slice(0, 2)).toEqual(real.slice(0, 2));
    const sample =
      /^apiserver_requested_deprecated_apis\{group="[^"]*",removed_release="[^"]*",resource="[^"]*",subresource="[^"]*",version="[^"]*"\} 1$/;
    expect(real[2]).toMatch(sample);
    expect(metrics[2]).toMatch(sample);
    expect(metrics[2]).toBe(
      'apiserver_requested_deprecated_apis{group="storage.k8s.io",removed_release="1.37",resource="volumeattributesclasses",subresource="",version="v1beta1"} 1',
    );
    const gone = kubectl(['apply', '-f', '-'], 'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: old\nspec: {}\n');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no matches for kind "PodDisruptionBudget" in version "policy/v1beta1"\nensure CRDs are installed first');
  });
});
