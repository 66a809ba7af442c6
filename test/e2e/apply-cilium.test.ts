/**
 * Cilium on Rocky 9 with a non-root SSH user (issue 4's "1 control plane + 2 workers, cilium, Rocky hosts, sudo"):
 * kubesmith fetches helm from get.helm.sh (the lab's helm emulator), adds helm.cilium.io, installs the chart with its
 * rendered values; nodes turn Ready once the cilium DaemonSet's images (pre-pulled via the quay.io mirror) are on them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab } from '../lab/lab.js';
import { changedCount, hostOutcomes, kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-apply-cilium';
const HOSTS = ['cp1', 'w1', 'w2'];
const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe.skipIf(!labReady())('apply: cilium with helm, Rocky 9, non-root user with sudo', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    c = await labCluster(
      NAME,
      HOSTS.map((name) => ({ name, os: 'rocky9' as const })),
    );
    lab = c.lab;
    inv = c.inventory;
    const mirrors = { ...c.mirrors.containerRuntime.registryMirrors, 'quay.io': [c.registry.url] };
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1', 'w2'],
      user: 'kube',
      extra: {
        containerRuntime: { registryMirrors: mirrors },
        network: { plugin: 'cilium', cilium: { version: '1.19.4', kubeProxyReplacement: true } },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('every node Ready; the cilium release carries the inventory values; no kube-proxy', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    const failed = hostOutcomes(run).filter((e) => e.outcome === 'failed');
    expect(failed.map((e) => `${e.task}@${e.host}: ${e.error}`)).toEqual([]);
    expect(run.code).toBe(0);
    const ready = await lab.exec('cp1', `${KUBECTL} get nodes -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}'`);
    expect(ready.stdout.trim()).toBe('True True True');
    expect((await lab.exec('cp1', 'helm version --short')).stdout).toMatch(/^v3\.16\.4/);
    const list = await lab.exec('cp1', 'helm --kubeconfig /etc/kubernetes/admin.conf list -n kube-system -o json');
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'cilium', namespace: 'kube-system', revision: '1', status: 'deployed', chart: 'cilium-1.19.4', app_version: '1.19.4' },
    ]);
    const values = parse(lab.readFile('cp1', '/etc/kubernetes/kubesmith/cilium-values.yaml') ?? '');
    expect(values).toMatchObject({
      ipam: { mode: 'kubernetes' },
      kubeProxyReplacement: true,
      k8sServiceHost: lab.host('cp1').ip,
      k8sServicePort: 6443,
    });
    const config = JSON.parse((await lab.exec('cp1', `${KUBECTL} get configmap cilium-config -n kube-system -o json`)).stdout);
    expect(config.data).toMatchObject({
      ipam: 'kubernetes',
      'kube-proxy-replacement': 'true',
      'k8s-service-host': lab.host('cp1').ip,
      'k8s-service-port': '6443',
    });
    const ds = JSON.parse((await lab.exec('cp1', `${KUBECTL} get ds cilium -n kube-system -o json`)).stdout);
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3 });
    expect((await lab.exec('cp1', `${KUBECTL} get ds kube-proxy -n kube-system`)).code).not.toBe(0);
    for (const h of HOSTS) expect((await lab.exec(h, 'lab-images')).stdout, h).toContain('quay.io/cilium/cilium:v1.19.4');
    expect(c.registry.requests.some((r) => r.startsWith('quay.io/cilium/cilium:v1.19.4'))).toBe(true);
  }, 900_000);

  it('a second apply changes nothing and leaves the release at revision 1', async () => {
    const again = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(again.code, again.stdout.slice(-3000)).toBe(0);
    const changed = hostOutcomes(again).filter((e) => e.outcome !== 'ok' && e.outcome !== 'skipped');
    expect(changed.map((e) => `${e.task}@${e.host}: ${JSON.stringify((e as { changes?: unknown }).changes ?? e.error)}`)).toEqual([]);
    expect(changedCount(again)).toBe(0);
    const list = await lab.exec('cp1', 'helm --kubeconfig /etc/kubernetes/admin.conf list -n kube-system -o json');
    expect(JSON.parse(list.stdout)[0].revision).toBe('1');
  }, 900_000);
});
