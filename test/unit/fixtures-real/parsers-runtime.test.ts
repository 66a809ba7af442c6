/** Kubesmith's parsers on the real outputs of test/fixtures/real: crictl, ctr, docker, kubectl, helm, tar. */
import { describe, expect, it } from 'vitest';
import { parseCrictlPs, runningIds } from '../../../src/certs/crictl.js';
import { heldTags, canonicalRef } from '../../../src/tasks/cni/images.js';
import { listImages } from '../../../src/tasks/offline/runtime-images.js';
import { parseNodeList } from '../../../src/ui/summary.js';
import { parseNodes } from '../../../src/tasks/common/cluster.js';
import type { Transport } from '../../../src/transport/types.js';
import { harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { recoverPki } from '../../../src/tasks/recover/steps.js';
import { resetDrain } from '../../../src/tasks/reset/drain.js';
import { real, realResult } from './real.js';

describe('crictl (cri-tools 1.34 layout)', () => {
  it('ps: the four static pods running, by name', () => {
    const containers = parseCrictlPs(real('crictl', 'ps.txt'));
    expect(containers.map((c) => [c.name, c.state])).toEqual([
      ['kube-apiserver', 'Running'],
      ['kube-controller-manager', 'Running'],
      ['etcd', 'Running'],
      ['kube-scheduler', 'Running'],
    ]);
    const ids = runningIds(containers, ['kube-apiserver', 'etcd', 'kube-vip']);
    expect([...ids.get('kube-apiserver')!]).toEqual(['6f1b2a9c0d3e4']);
    expect(ids.get('kube-vip')!.size).toBe(0);
  });
  it('ps: the older 7-column layout of the cri-tools docs', () => {
    expect(parseCrictlPs(real('crictl', 'ps-docs.txt'))).toEqual([{ id: 'b25b4f26e3429', name: 'busybox', state: 'Running' }]);
  });
  it('images -o json: every tag, canonical', () => {
    const tags = heldTags(real('crictl', 'images-o-json.json'));
    expect(tags && [...tags].sort()).toEqual([
      '10.199.0.1:5000/flannel/flannel-cni-plugin:v1.7.1-flannel1',
      'docker.io/flannel/flannel-cni-plugin:v1.7.1-flannel1',
      'ghcr.io/flannel-io/flannel:v0.26.7',
      'registry.k8s.io/pause:3.10',
    ]);
    expect(tags!.has(canonicalRef('flannel/flannel-cni-plugin:v1.7.1-flannel1'))).toBe(true);
  });
});

describe('ctr 1.6.20 (recorded)', () => {
  const transport = (file: string) => ({ host: 'n1', exec: async () => realResult('ctr', file) }) as unknown as Transport;
  it('images ls: name → digest (tabwriter columns, trailing spaces)', async () => {
    const images = await listImages(transport('images-ls.txt'), 'containerd');
    expect([...images.entries()].sort()).toEqual([
      ['docker.io/flannel/flannel:v0.26.7', 'sha256:e7187899f22316759cad9426dd36ebb98f8d836dae1f05216e5e01556a57dc5b'],
      ['registry.k8s.io/pause:3.10', 'sha256:ae704daf8246469448c895ce55e5db0b92459a5c1e092ea4a66fcb646e604456'],
    ]);
  });
  it('images ls: a retagged image and a multi-platform index', async () => {
    const images = await listImages(transport('images-ls-index.txt'), 'containerd');
    expect(images.get('10.199.0.1:5000/pause:3.10')).toBe(images.get('registry.k8s.io/pause:3.10'));
    expect(images.get('quay.io/cilium/cilium:v1.17.4')).toBe('sha256:5cc62380472915ec3c4c0d17e57949a9a4edecb1f4655d7724df7da992f237c0');
  });
  it('images ls with no image: header only, empty map', async () => {
    expect((await listImages(transport('images-ls-empty.txt'), 'containerd')).size).toBe(0);
  });
});

describe('kubectl get nodes -o json (v1.34 API shape)', () => {
  const json = real('kubectl', 'get-nodes-o-json.json');
  it('summary: roles, kubelet version, Ready, runtime', () => {
    expect(parseNodeList(json)).toEqual({
      nodes: [
        { name: 'cp1', roles: ['control-plane'], kubeletVersion: 'v1.34.1', ready: true },
        { name: 'w1', roles: [], kubeletVersion: 'v1.34.1', ready: false },
      ],
      runtimeVersion: 'containerd://2.1.4',
    });
  });
  it('cluster nodes: the Ready condition reason and message', () => {
    const nodes = parseNodes(json);
    expect(nodes[0]).toEqual({
      name: 'cp1',
      ready: true,
      detail: 'KubeletReady: kubelet is posting ready status',
      roles: ['control-plane'],
      version: 'v1.34.1',
    });
    expect(nodes[1]!.detail).toMatch(/^KubeletNotReady: container runtime network not ready/);
  });
});

describe('helm list -o json', () => {
  it('the fields cni.cilium reads are strings on each release; no release is []', () => {
    const [release] = JSON.parse(real('helm', 'list-o-json.json')) as Record<string, unknown>[];
    expect(release).toMatchObject({ name: 'cilium', chart: 'cilium-1.17.4', status: 'deployed' });
    expect(JSON.parse(real('helm', 'list-o-json-empty.json'))).toEqual([]);
  });
});

describe('docker images --format and tar -tzf', () => {
  it('listImages(docker): names from {{.Repository}}:{{.Tag}}, <none> skipped', async () => {
    const t = { host: 'n1', exec: async () => realResult('docker', 'images-format-repo-tag.txt') } as unknown as Transport;
    expect([...(await listImages(t, 'docker')).keys()].sort()).toEqual([
      'registry.k8s.io/kube-apiserver:v1.34.1',
      'registry.k8s.io/pause:3.10',
    ]);
  });
  it('recover.pki reads the GNU tar 1.34 listing of the backup: the PKI files it holds are compared and restored', async () => {
    const h = harness(makeInventory());
    h.run.set('recover.id', 'r1');
    const t = h.t('cp1');
    t.allow(/^test -e \S+\/r1\/\S+\.tgz$/, () => ({ code: 0 }))
      .allow(/^tar -tzf /, () => realResult('tar', 'tzf-etc-kubernetes.txt'))
      .allow(/^sh -c /, () => ({ code: 1 }));
    const check = await recoverPki.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes[0]!.summary).toBe(
      `restore ${['pki/ca.crt', 'pki/ca.key', 'pki/sa.key', 'pki/sa.pub', 'pki/etcd/ca.crt', 'kubesmith/kubeadm-init.yaml'].map((f) => `/etc/kubernetes/${f}`).join(', ')} from ${t.commands.find((c) => c.startsWith('tar -tzf '))!.slice(9)}`,
    );
  });
});

describe('reset.drain on real kubectl errors (kubectl 1.32 against a loopback API)', () => {
  const h = () => {
    const x = harness(makeInventory());
    x.t('cp1').allow('test -e /etc/kubernetes/admin.conf', () => ({ code: 0 }));
    return x;
  };
  const stderrOf = (file: string) => ({ ...realResult('kubectl', file.replace('.stderr', '.txt')), stderr: real('kubectl', file) });
  it('the node exists: cordon, drain, delete', async () => {
    const x = h();
    x.t('cp1').allow(/get node w1 -o name$/, () => realResult('kubectl', 'get-node-o-name.txt'));
    const check = await resetDrain.check(x.ctx('w1'));
    expect(check.status === 'change' && check.changes[0]!.summary).toMatch(/^cordon, drain and delete node w1/);
  });
  it('"Error from server (NotFound)": nothing to drain', async () => {
    const x = h();
    x.t('cp1').allow(/get node w1 -o name$/, () => stderrOf('get-node-not-found.stderr'));
    expect(await resetDrain.check(x.ctx('w1'))).toEqual({ status: 'ok' });
  });
  it("connection refused: skipped, naming kubectl's last line", async () => {
    const x = h();
    x.t('cp1').allow(/get node w1 -o name$/, () => stderrOf('get-node-refused.stderr'));
    const check = await resetDrain.check(x.ctx('w1'));
    expect(check).toMatchObject({ status: 'skip' });
    expect(JSON.stringify(check)).toContain(
      'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
    );
  });
});
