// The kubelet unit's start hook refuses --node-labels the real kubelet refuses (kubernetes.io / k8s.io namespaces
// outside its allowed set), and the Node capacity/allocatable the emulated kubelet reports.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capacityAndAllocatable, parseNodeLabels } from '../../../lab/emulators/src/kube/kubelet-node.js';
import { kubeadmFlags } from '../../../lab/emulators/src/kube/kubelet-register.js';

const root = mkdtempSync(join(tmpdir(), 'ks-kubelet-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function start(nodeLabels: string): { code: number | null; stderr: string } {
  mkdirSync(join(root, 'var/lib/kubelet'), { recursive: true });
  // failSwapOn: false, so the machine's own swap cannot decide the outcome
  writeFileSync(
    join(root, 'var/lib/kubelet/config.yaml'),
    'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: false\n',
  );
  writeFileSync(
    join(root, 'var/lib/kubelet/kubeadm-flags.env'),
    `KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --node-ip=10.199.0.11 --node-labels=${nodeLabels}"\n`,
  );
  const r = spawnSync('bash', ['test/lab/emulators/units/kubelet.service.start'], {
    env: { PATH: process.env.PATH, LAB_FS_ROOT: root },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr };
}

describe('kubelet start: --node-labels', () => {
  it('starts with labels outside kubernetes.io, in its own namespaces and in its allowed set', () => {
    expect(
      start('disk=ssd,example.com/rack=r1,node.kubernetes.io/pool=a,kubelet.kubernetes.io/x=y,topology.kubernetes.io/zone=z1').code,
    ).toBe(0);
  });

  it('exits (crash loop) with a node-role.kubernetes.io label, naming it as the kubelet does', () => {
    const r = start('disk=ssd,node-role.kubernetes.io/worker=');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]");
    expect(start('app.k8s.io/name=x').code).toBe(3);
  });

  it('parses --node-labels; capacity and allocatable follow maxPods and the reservations', () => {
    expect(parseNodeLabels('a=b,example.com/c=,d')).toEqual({ a: 'b', 'example.com/c': '', d: '' });
    const { capacity, allocatable } = capacityAndAllocatable(4, 8 * 1024 * 1024, {
      maxPods: 64,
      systemReserved: { cpu: '500m', memory: '512Mi' },
      kubeReserved: { cpu: '250m', memory: '256Mi' },
      evictionHard: { 'memory.available': '200Mi' },
    });
    expect(capacity).toEqual({ cpu: '4', memory: '8388608Ki', pods: '64' });
    expect(allocatable).toEqual({ cpu: '3250m', memory: `${8 * 1024 * 1024 - (512 + 256 + 200) * 1024}Ki`, pods: '64' });
    expect(capacityAndAllocatable(2, 1024 * 1024, {}).allocatable).toEqual({ cpu: '2', memory: `${(1024 - 100) * 1024}Ki`, pods: '110' });
  });
});

describe('kubelet start: the flags it registers its Node with', () => {
  it('reads kubeadm-flags.env as kubeadm writes it', () => {
    expect(
      kubeadmFlags(
        'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=10.0.0.9 --node-labels=a=b,c=d"\n',
      ),
    ).toEqual({ 'container-runtime-endpoint': 'unix:///run/containerd/containerd.sock', 'node-ip': '10.0.0.9', 'node-labels': 'a=b,c=d' });
    expect(kubeadmFlags('')).toEqual({});
  });
});
