/**
 * The Docker variant on the lab: Ubuntu 22.04, 1 control plane + 1 worker, docker-ce from Docker's repository and
 * cri-dockerd from its GitHub release .deb (the lab's curl serves it), flannel → every node Ready, docker uses the
 * systemd cgroup driver, kubeadm talks to the cri-dockerd socket; a second apply changes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Lab } from '../lab/lab.js';
import { changedCount, events, kubesmith, labCluster, labReady, type LabCluster } from './helpers.js';

const NAME = 'e2e-apply-docker';
const IMAGE_REPO = 'docker.io/kubesmithlab';
const IMAGES: [string, string?][] = [
  ...[
    'kube-apiserver:v1.34.1',
    'kube-controller-manager:v1.34.1',
    'kube-scheduler:v1.34.1',
    'kube-proxy:v1.34.1',
    'coredns:v1.12.1',
    'pause:3.10.1',
    'etcd:3.6.5-0',
  ].map((i): [string] => [`${IMAGE_REPO}/${i}`]),
  [`${IMAGE_REPO}/flannel:v0.28.9`, 'ghcr.io/flannel-io/flannel:v0.28.9'],
  [`${IMAGE_REPO}/flannel-cni-plugin:v1.9.1-flannel3`, 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3'],
];
const RUNTIME_ONLY = `name: runtime-only
phases:
  - phase: Connect and gather facts
    steps:
      - { task: facts.gather, hosts: all, critical: true }
  - phase: Container runtime
    steps:
      - { task: runtime.repo, hosts: all }
      - { task: runtime.docker, hosts: all }
`;

describe.skipIf(!labReady())('apply: Ubuntu 22.04, docker + cri-dockerd, 1 control plane + 1 worker', () => {
  let c: LabCluster;
  let lab: Lab;
  let inv: string;

  beforeAll(async () => {
    c = await labCluster(NAME, [
      { name: 'cp1', os: 'ubuntu2204' },
      { name: 'w1', os: 'ubuntu2204' },
    ]);
    lab = c.lab;
    inv = c.inventory;
    lab.writeInventory(inv, {
      controlPlanes: ['cp1'],
      workers: ['w1'],
      extra: {
        // dockerd's registry-mirrors serve Docker Hub only: the control-plane images come from a Docker Hub
        // repository (a pull-through mirror of it here, the lab registry); the lab's registry answers every name.
        kubernetes: { version: '1.34.1', imageRepository: IMAGE_REPO },
        network: { plugin: 'flannel' },
        containerRuntime: { type: 'docker', registryMirrors: { 'docker.io': [c.registry.url] } },
      },
    });
    // The lab has no internet registry, and its cri-dockerd pulls ignore dockerd's registry-mirrors (the real one
    // honours them for Docker Hub names): install the runtime alone first, then pre-pull through dockerd the way an
    // operator seeds a host, and tag the flannel images under the names the manifest uses.
    const playbook = join(lab.root, 'runtime-only.yaml');
    writeFileSync(playbook, RUNTIME_ONLY);
    const runtime = await kubesmith(['run', '-i', inv, playbook, '--output', 'json']);
    expect(runtime.code, runtime.stderr + runtime.stdout.slice(-3000)).toBe(0);
    for (const h of ['cp1', 'w1']) {
      for (const [image, as] of IMAGES) {
        const pulled = await lab.exec(h, `docker pull ${image}${as ? ` && docker tag ${image} ${as}` : ''}`);
        expect(pulled.code, `${h} ${image}: ${pulled.stderr}`).toBe(0);
      }
    }
  }, 300_000);

  afterAll(async () => {
    await c?.down();
  }, 120_000);

  it('apply installs docker-ce and the cri-dockerd release package and brings every node to Ready', async () => {
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-5000)).toBe(0);
    const nodes = await lab.exec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers');
    expect(nodes.stdout).toMatch(/^cp1 +Ready /m);
    expect(nodes.stdout).toMatch(/^w1 +Ready /m);
    for (const h of ['cp1', 'w1']) {
      const journal = lab.journal(h).join('\n');
      expect(journal, h).toMatch(
        /curl -fsSL --retry 3 https:\/\/github\.com\/Mirantis\/cri-dockerd\/releases\/download\/v0\.3\.24\/cri-dockerd_0\.3\.24\.3-0\.ubuntu-jammy_amd64\.deb/,
      );
      // checked against GitHub's sha256 digest of that asset, read from the release's API record
      expect(journal, h).toMatch(/curl .*https:\/\/api\.github\.com\/repos\/Mirantis\/cri-dockerd\/releases\/tags\/v0\.3\.24/);
      expect((await lab.exec(h, 'docker info')).stdout, h).toMatch(/Cgroup Driver: systemd/);
      expect((await lab.exec(h, "dpkg-query -W -f='${Version}' cri-dockerd")).stdout, h).toBe('0.3.24.3-0.ubuntu-jammy');
      expect(JSON.parse(lab.readFile(h, '/etc/docker/daemon.json') ?? '{}')['registry-mirrors'], h).toEqual([c.registry.url]);
      expect(lab.readFile(h, '/etc/systemd/system/cri-docker.service.d/10-kubesmith.conf'), h).toContain(
        `--pod-infra-container-image=${IMAGE_REPO}/pause:3.10.1`,
      );
    }
    const kubeadm = parseAllDocuments(lab.readFile('cp1', '/etc/kubernetes/kubesmith/kubeadm-init.yaml') ?? '').map(
      (d) => d.toJS() as Record<string, any>,
    );
    expect(kubeadm.find((d) => d.kind === 'InitConfiguration')?.nodeRegistration?.criSocket).toBe('unix:///var/run/cri-dockerd.sock');
    expect(kubeadm.find((d) => d.kind === 'KubeletConfiguration')?.cgroupDriver).toBe('systemd');
    const summary = events(run).find((e) => e.type === 'summary') as Record<string, any> | undefined;
    expect(summary, 'a summary event').toBeDefined();
    expect(
      summary!.nodes
        .map((n: { name: string; roles: string[]; ready: boolean; kubeletVersion: string }) => [n.name, n.roles, n.ready, n.kubeletVersion])
        .sort(),
    ).toEqual([
      ['cp1', ['control-plane'], true, 'v1.34.1'],
      ['w1', [], true, 'v1.34.1'],
    ]);
    expect(summary!.versions).toMatchObject({
      kubernetes: '1.34.1',
      runtime: expect.stringMatching(/^docker /),
      cni: expect.stringMatching(/^flannel/),
    });
    expect(summary!.phases.length).toBeGreaterThan(3);
  }, 600_000);

  it('the text output ends with the summary; a second apply changes nothing', async () => {
    const text = await kubesmith(['apply', '-i', inv]);
    expect(text.code, text.stderr + text.stdout.slice(-3000)).toBe(0);
    // the cluster is named after the lab instance (LAB_INSTANCE_PREFIX included)
    expect(text.stdout).toMatch(new RegExp(`CLUSTER ${lab.name}\\n {2}NAME +ROLES +STATUS +VERSION\\n`));
    expect(text.stdout).toMatch(/kubeconfig: \/\S+admin\.conf\n {2}time: Connect and gather facts /);
    expect(text.stdout).toMatch(/cp1 +control-plane +Ready +v1\.34\.1/);
    expect(text.stdout).toMatch(/w1 +worker +Ready +v1\.34\.1/);
    const run = await kubesmith(['apply', '-i', inv, '--output', 'json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(changedCount(run)).toBe(0);
  }, 600_000);
});
