// The lab's busybox pods through the kubectl emulator (two-node cluster with flannel): doctor's test objects applied
// as a List run as bare pods on their nodes, Services get ClusterIPs, `kubectl exec … wget` from a control plane
// reaches the other node's pod and Service; wrong port refused, names and other applets refused as the lab does;
// `get --ignore-not-found` of a missing object prints nothing, as kubectl's get.go.
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Lab, flannelDaemonSet, initWithWorker } from './harness.js';
import { probeObjects } from '../../../../src/doctor/probe-objects.js';

const lab = new Lab();
const KC = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const FLANNEL = 'ghcr.io/flannel-io/flannel:v0.28.9';
const kubectl = (args: string[], input?: string) => lab.run('cp1', 'kubectl', [...KC, ...args], { LAB_POD_START_MS: '0' }, input);

describe.sequential('busybox pods in the lab', () => {
  beforeAll(() => {
    lab.seedKeys();
    initWithWorker(lab);
    // the nodes hold kubeadm's images (kube-proxy among them), flannel's and busybox
    for (const h of ['cp1', 'w1'])
      lab.write(
        h,
        '/run/fake-images',
        `${lab.exists(h, '/run/fake-images') ? lab.read(h, '/run/fake-images') : ''}${FLANNEL}\n${BUSYBOX}\n`,
      );
    expect(kubectl(['apply', '-f', '-'], flannelDaemonSet(FLANNEL)).code).toBe(0);
    for (const h of ['cp1', 'w1']) lab.run(h, 'lab-node-sync', []);
  }, 180_000);

  it('get --ignore-not-found of a missing object: no output, exit 0', () => {
    expect(kubectl(['get', 'namespace', 'kubesmith-doctor', '-o', 'json', '--ignore-not-found'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(kubectl(['get', 'namespace', 'kubesmith-doctor']).stderr).toContain('namespaces "kubesmith-doctor" not found');
  });

  it('bare pods run on their nodeName with a pod IP of that node; Services get a ClusterIP', () => {
    const applied = kubectl(['apply', '-f', '-'], JSON.stringify(probeObjects(['cp1', 'w1'], BUSYBOX)));
    expect(applied.stdout).toBe(
      'namespace/kubesmith-doctor created\npod/probe-0 created\nservice/probe-0 created\npod/probe-1 created\nservice/probe-1 created\n',
    );
    const pods = parse(kubectl(['-n', 'kubesmith-doctor', 'get', 'pods', '-o', 'json']).stdout).items;
    expect(pods.map((p: any) => [p.metadata.name, p.spec.nodeName, p.status.phase])).toEqual([
      ['probe-0', 'cp1', 'Running'],
      ['probe-1', 'w1', 'Running'],
    ]);
    const svcs = parse(kubectl(['-n', 'kubesmith-doctor', 'get', 'svc', '-o', 'json']).stdout).items;
    for (const s of svcs) expect(s.spec.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
  });

  it("wget from cp1's pod reaches w1's pod and its Service; a closed port is refused", () => {
    const pods = parse(kubectl(['-n', 'kubesmith-doctor', 'get', 'pods', '-o', 'json']).stdout).items;
    const svc = parse(kubectl(['-n', 'kubesmith-doctor', 'get', 'svc', 'probe-1', '-o', 'json']).stdout);
    const wget = (url: string) => kubectl(['-n', 'kubesmith-doctor', 'exec', 'probe-0', '--', 'wget', '-q', '-T', '1', '-O', '-', url]);
    expect(wget(`http://${pods[1].status.podIP}:8080/`)).toEqual({ code: 0, stdout: 'kubesmith-doctor-probe\n', stderr: '' });
    expect(wget(`http://${svc.spec.clusterIP}:80/`).stdout).toBe('kubesmith-doctor-probe\n');
    expect(wget(`http://${pods[1].status.podIP}:9999/`)).toEqual({
      code: 1,
      stdout: '',
      stderr: `wget: can't connect to remote host (${pods[1].status.podIP}): Connection refused\ncommand terminated with exit code 1\n`,
    });
    expect(wget('http://probe-1.kubesmith-doctor/').stderr).toContain("wget: bad address 'probe-1.kubesmith-doctor'");
    expect(kubectl(['-n', 'kubesmith-doctor', 'exec', 'probe-0', '--', 'nslookup', 'x']).stderr).toContain('emulates wget only');
  });

  it('deleting the namespace removes its pods and Services', () => {
    expect(kubectl(['delete', 'namespace', 'kubesmith-doctor', '--wait=true']).code).toBe(0);
    expect(kubectl(['-n', 'kubesmith-doctor', 'get', 'pods', '-o', 'json']).stdout).toContain('"items": []');
  });
});
