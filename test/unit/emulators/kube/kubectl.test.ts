// kubectl emulator over a two-node cluster: readiness rules, apply/delete, cordon/drain, wait, auth errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { INIT_CONFIG, Lab, ensureBuilt } from './harness.js';
import { real } from '../../fixtures-real/real.js';

const lab = new Lab();
const KC = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const FLANNEL = ['ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3', 'ghcr.io/flannel-io/flannel:v0.28.9'];
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: kube-flannel
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-flannel-cfg
  namespace: kube-flannel
data:
  net-conf.json: '{"Network": "10.244.0.0/16"}'
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-flannel-ds
  namespace: kube-flannel
spec:
  template:
    spec:
      hostNetwork: true
      initContainers:
      - name: install-cni-plugin
        image: ${FLANNEL[0]}
      containers:
      - name: kube-flannel
        image: ${FLANNEL[1]}
`;
const kubectl = (host: string, args: string[], env: Record<string, string> = {}, input?: string) =>
  lab.run(host, 'kubectl', [...KC, ...args], env, input);
const nodes = (host = 'cp1') => kubectl(host, ['get', 'nodes']).stdout;

describe.sequential('kubectl emulator', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    lab.host('cp1', '10.199.0.10');
    lab.host('w1', '10.199.0.11');
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    expect(init.code).toBe(0);
    const join = /kubeadm join [^\n]+\\\n\t[^\n]+/
      .exec(init.stdout.slice(init.stdout.lastIndexOf('worker nodes')))![0]
      .replace(/\\\n\t/g, '')
      .trim()
      .split(/\s+/);
    expect(lab.run('w1', 'kubeadm', join.slice(1)).code).toBe(0);
  }, 180_000);

  it('shows both nodes NotReady before a CNI is applied', () => {
    const lines = nodes().trim().split('\n');
    expect(lines[0]).toMatch(/^NAME +STATUS +ROLES +AGE +VERSION$/);
    expect(lines[1]).toMatch(/^cp1 +NotReady +control-plane +\d+s +v1\.34\.1$/);
    expect(lines[2]).toMatch(/^w1 +NotReady +<none> +\d+s +v1\.34\.1$/);
  });

  it('applies a multi-document manifest from stdin and reports created, then unchanged, then configured', () => {
    const first = kubectl('cp1', ['apply', '-f', '-'], {}, MANIFEST);
    expect(first.stdout).toBe(
      'namespace/kube-flannel created\nconfigmap/kube-flannel-cfg created\ndaemonset.apps/kube-flannel-ds created\n',
    );
    expect(kubectl('cp1', ['apply', '-f', '-'], {}, MANIFEST).stdout).toBe(
      'namespace/kube-flannel unchanged\nconfigmap/kube-flannel-cfg unchanged\ndaemonset.apps/kube-flannel-ds unchanged\n',
    );
    expect(kubectl('cp1', ['apply', '-f', '-'], {}, MANIFEST.replace('10.244.0.0/16', '10.245.0.0/16')).stdout).toContain(
      'configmap/kube-flannel-cfg configured\n',
    );
    const noNs = kubectl('cp1', ['apply', '-f', '-'], {}, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: nope\n');
    expect(noNs.code).toBe(1);
    expect(noNs.stderr).toContain('namespaces "nope" not found');
  });

  it("makes a node Ready only when its kubelet runs and it holds the DaemonSet's images; the DaemonSet writes the CNI config", () => {
    expect(nodes()).toMatch(/cp1 +NotReady/);
    lab.write('cp1', '/run/fake-images', lab.read('cp1', '/run/fake-images') + FLANNEL.join('\n') + '\n');
    expect(lab.run('cp1', 'lab-node-sync', []).code).toBe(0);
    expect(nodes()).toMatch(/cp1 +Ready +control-plane/);
    expect(nodes()).toMatch(/w1 +NotReady/);
    expect(lab.read('cp1', '/etc/cni/net.d/10-flannel.conflist')).toContain('"type": "flannel"');
    expect(lab.exists('w1', '/etc/cni/net.d/10-flannel.conflist')).toBe(false);
    const pods = kubectl('cp1', ['get', 'pods', '-A', '-o', 'wide']).stdout;
    expect(pods).toMatch(/kube-flannel +kube-flannel-ds-\w{5} +1\/1 +Running +0 +\S+ +10\.199\.0\.10 +cp1/);
    expect(pods).toMatch(/kube-flannel +kube-flannel-ds-\w{5} +0\/1 +ImagePullBackOff +0 +\S+ +10\.199\.0\.11 +w1/);
    expect(pods).toMatch(/kube-system +coredns-\w{10}-\w{5} +1\/1 +Running +0 +\S+ +10\.244\.0\.\d+ +cp1/);
    lab.write('w1', '/run/fake-images', FLANNEL.join('\n') + '\n');
    lab.run('w1', 'lab-node-sync', []);
    expect(nodes()).toMatch(/w1 +Ready +<none>/);
    lab.run('w1', 'kubelet', ['--version']);
    execFileSync('rm', ['-f', lab.path('w1', '/run/fake-systemd/kubelet.active')]);
    lab.run('w1', 'lab-node-sync', []);
    expect(nodes()).toMatch(/w1 +NotReady/);
  });

  it('reports DaemonSet and Deployment status and rollout like kubectl', () => {
    const ds = kubectl('cp1', ['get', 'ds', '-A']).stdout.split('\n');
    expect(ds[0]).toMatch(/^NAMESPACE +NAME +DESIRED +CURRENT +READY +UP-TO-DATE +AVAILABLE +NODE SELECTOR +AGE$/);
    // w1's kubelet is stopped: its flannel pod is not available
    expect(ds.find((l) => l.includes('kube-flannel-ds'))).toMatch(/^kube-flannel +kube-flannel-ds +2 +2 +1 +2 +1 +<none> +\S+$/);
    expect(kubectl('cp1', ['-n', 'kube-system', 'get', 'deploy', 'coredns', '-o', 'jsonpath={.status.readyReplicas}']).stdout).toBe('2');
    expect(kubectl('cp1', ['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns']).stdout).toBe(
      'deployment "coredns" successfully rolled out\n',
    );
    const r = kubectl('cp1', ['-n', 'kube-flannel', 'rollout', 'status', 'ds/kube-flannel-ds', '--timeout=1s']);
    expect(r.stdout).toBe('Waiting for daemon set "kube-flannel-ds" rollout to finish: 1 of 2 updated pods are available...\n');
    expect(r.stderr).toBe('error: timed out waiting for the condition\n');
  });

  it('waits for conditions and times out like kubectl', () => {
    expect(kubectl('cp1', ['wait', '--for=condition=Ready', 'node/cp1', '--timeout=5s']).stdout).toBe('node/cp1 condition met\n');
    const r = kubectl('cp1', ['wait', '--for=condition=Ready', 'node', '--all', '--timeout=1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: timed out waiting for the condition on nodes/w1\n');
  });

  it('cordons, drains and labels nodes', () => {
    expect(kubectl('cp1', ['cordon', 'w1']).stdout).toBe('node/w1 cordoned\n');
    expect(kubectl('cp1', ['cordon', 'w1']).stdout).toBe('node/w1 already cordoned\n');
    expect(nodes()).toMatch(/w1 +NotReady,SchedulingDisabled/);
    const noDs = kubectl('cp1', ['drain', 'w1']);
    expect(noDs.code).toBe(1);
    expect(noDs.stderr).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)');
    const d = kubectl('cp1', ['drain', 'w1', '--ignore-daemonsets', '--delete-emptydir-data']);
    expect(d.stdout).toBe('node/w1 already cordoned\nnode/w1 drained\n');
    expect(d.stderr).toMatch(
      /^Warning: ignoring DaemonSet-managed Pods: kube-flannel\/kube-flannel-ds-\w{5}, kube-system\/kube-proxy-\w{5}\n$/,
    );
    expect(kubectl('cp1', ['uncordon', 'w1']).stdout).toBe('node/w1 uncordoned\n');
    expect(kubectl('cp1', ['label', 'node', 'w1', 'tier=edge']).stdout).toBe('node/w1 labeled\n');
    expect(kubectl('cp1', ['get', 'nodes', '-l', 'tier=edge', '-o', 'name']).stdout).toBe('node/w1\n');
    const all = kubectl('cp1', ['taint', 'nodes', '--all', 'node-role.kubernetes.io/control-plane:NoSchedule-']);
    expect(all.stdout).toBe('node/cp1 untainted\n');
    expect(all.stderr).toBe('error: taint "node-role.kubernetes.io/control-plane:NoSchedule" not found\n');
    expect(kubectl('cp1', ['get', 'node', 'cp1', '-o', 'jsonpath={.spec.taints}']).stdout).toBe('');
    const tw = kubectl('cp1', ['taint', 'node', 'w1', 'dedicated=edge:NoExecute']);
    expect(tw.stderr).toBe('');
    expect(tw.stdout).toBe('node/w1 tainted\n');
    expect(kubectl('cp1', ['get', 'node', 'w1', '-o', 'jsonpath={.spec.taints[0].value}']).stdout).toBe('edge');
  });

  it('answers jsonpath queries on nodes and the kubeadm-config ConfigMap', () => {
    expect(kubectl('cp1', ['get', 'nodes', '-o', 'jsonpath={.items[*].spec.podCIDR}']).stdout).toBe('10.244.0.0/24 10.244.1.0/24');
    expect(kubectl('cp1', ['get', 'node', 'cp1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).stdout).toBe('True');
    const cc = kubectl('cp1', ['get', 'cm', '-n', 'kube-system', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}']).stdout;
    expect(cc).toContain('controlPlaneEndpoint: k8s-api.lab:6443');
    expect(cc).toContain('podSubnet: 10.244.0.0/16');
    expect(kubectl('cp1', ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']).stdout).toBe('cp1\nw1\n');
  });

  it('execs into a static pod of its own host only', () => {
    const r = kubectl('cp1', [
      '-n',
      'kube-system',
      'exec',
      'etcd-cp1',
      '--',
      'etcdctl',
      '--endpoints=https://127.0.0.1:2379',
      'member',
      'list',
    ]);
    expect(r.stdout).toBe('etcdctl --endpoints=https://127.0.0.1:2379 member list\n');
    // the etcd image's programs only, argv as given: no shell in a distroless image
    const sh = kubectl('cp1', ['-n', 'kube-system', 'exec', 'etcd-cp1', '--', 'sh', '-c', 'etcdctl member list']);
    expect(sh.code).toBe(1);
    expect(sh.stderr).toMatch(
      /^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in \$PATH: unknown\n$/,
    );
    lab.write('w1', '/etc/kubernetes/admin.conf', lab.read('cp1', '/etc/kubernetes/admin.conf'));
    const away = kubectl('w1', ['-n', 'kube-system', 'exec', 'etcd-cp1', '--', 'etcdctl', 'member', 'list']);
    expect(away.code).toBe(1);
    expect(away.stderr).toContain('runs on cp1');
    expect(kubectl('cp1', ['-n', 'kube-system', 'exec', 'etcd-nope', '--', 'true']).stderr).toBe(
      'Error from server (NotFound): pods "etcd-nope" not found\n',
    );
  });

  it("deletes objects and nodes with kubectl's messages", () => {
    const del = kubectl('cp1', ['delete', '-f', '-'], {}, MANIFEST);
    expect(del.code).toBe(0);
    expect(del.stdout).toBe(
      'namespace "kube-flannel" deleted\nconfigmap "kube-flannel-cfg" deleted\ndaemonset.apps "kube-flannel-ds" deleted\n',
    );
    expect(nodes()).toMatch(/cp1 +NotReady/);
    expect(kubectl('cp1', ['delete', 'node', 'w1']).stdout).toBe('node "w1" deleted\n');
    expect(kubectl('cp1', ['delete', 'node', 'w1']).stderr).toBe('Error from server (NotFound): nodes "w1" not found\n');
  });

  it('refuses a client certificate from another CA and a server whose certificate expired', () => {
    const dir = lab.path('cp1', '/root');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/O=system:masters/CN=intruder',
        '-keyout',
        `${dir}/k.pem`,
        '-out',
        `${dir}/c.pem`,
        '-days',
        '3',
      ],
      { stdio: 'ignore' },
    );
    const b64 = (f: string) => Buffer.from(lab.read('cp1', `/root/${f}`)).toString('base64');
    const forged = lab
      .read('cp1', '/etc/kubernetes/admin.conf')
      .replace(/client-certificate-data: \S+/, `client-certificate-data: ${b64('c.pem')}`)
      .replace(/client-key-data: \S+/, `client-key-data: ${b64('k.pem')}`);
    lab.write('cp1', '/root/forged.conf', forged);
    const r = lab.run('cp1', 'kubectl', ['--kubeconfig', '/root/forged.conf', 'get', 'nodes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: You must be logged in to the server (Unauthorized)\n');
    const late = kubectl('cp1', ['get', 'nodes'], { LAB_NOW: String(Date.now() + 400 * 86400e3) });
    expect(late.stderr).toMatch(
      /^Unable to connect to the server: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time \S+ is after \S+\n$/,
    );
    const none = lab.run('cp1', 'kubectl', ['get', 'nodes'], { HOME: '/nohome' });
    expect(none.stderr).toContain('The connection to the server localhost:8080 was refused - did you specify the right host or port?');
  });

  it("stores kubeadm's component configurations in kubelet-config and kube-proxy with the real ConfigMaps' keys", () => {
    const cm = (name: string, key: string) =>
      parse(JSON.parse(kubectl('cp1', ['get', '-n', 'kube-system', 'configmap', name, '-o', 'json']).stdout).data[key]);
    const realCm = (file: string, key: string) => parse(JSON.parse(real('kubectl', file)).data[key]);
    const kubelet = cm('kubelet-config', 'kubelet');
    expect(kubelet).toMatchObject({ kind: 'KubeletConfiguration', cgroupDriver: 'systemd', clusterDNS: ['10.96.0.10'] });
    const realKubelet = realCm('get-cm-kubelet-config-o-json.json', 'kubelet');
    for (const k of Object.keys(kubelet)) expect(Object.keys(realKubelet), `kubelet-config key ${k}`).toContain(k);
    const proxy = cm('kube-proxy', 'config.conf');
    expect(proxy).toMatchObject({ kind: 'KubeProxyConfiguration', mode: '', clusterCIDR: '10.244.0.0/16' });
    const realProxy = realCm('get-cm-kube-proxy-v1.34-defaults-o-json.json', 'config.conf');
    expect(Object.keys(proxy).filter((k) => !(k in realProxy))).toEqual([]);
    expect(Object.keys(proxy)).toEqual([...Object.keys(proxy)].sort());
  });

  it('creates a ClusterRoleBinding imperatively, as the runbook does, with kubectl create clusterrolebinding texts', () => {
    const args = ['create', 'clusterrolebinding', 'test:anonymous', '--clusterrole=cluster-admin', '--user=system:anonymous'];
    const r = kubectl('cp1', args);
    expect([r.code, r.stdout]).toEqual([0, 'clusterrolebinding.rbac.authorization.k8s.io/test:anonymous created\n']);
    const crb = JSON.parse(kubectl('cp1', ['get', 'clusterrolebinding', 'test:anonymous', '-o', 'json']).stdout);
    expect(crb).toMatchObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }],
    });
    const again = kubectl('cp1', args);
    expect([again.code, again.stderr]).toEqual([
      1,
      'error: failed to create clusterrolebinding: clusterrolebindings.rbac.authorization.k8s.io "test:anonymous" already exists\n',
    ]);
    expect(kubectl('cp1', ['create', 'clusterrolebinding', 'x', '--user=u']).stderr).toBe(
      'error: required flag(s) "clusterrole" not set\n',
    );
  });

  it('journals every call and honours the fault hook', () => {
    lab.write('cp1', '/var/lib/lab/faults/kubectl', '1 fail\n');
    const r = kubectl('cp1', ['get', 'nodes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('lab: injected failure\n');
    expect(kubectl('cp1', ['get', 'nodes']).code).toBe(0);
    expect(lab.read('cp1', '/var/lib/lab/faults/kubectl')).toBe('0 fail\n');
    const journal = lab.read('cp1', '/var/log/lab/journal.log').trim().split('\n');
    expect(journal.at(-1)).toMatch(/^\d{13} kubectl --kubeconfig \/etc\/kubernetes\/admin\.conf get nodes$/);
    expect(journal.some((l) => / kubeadm init --config \/root\/kubeadm\.yaml$/.test(l))).toBe(true);
    expect(journal.some((l) => / systemctl /.test(l))).toBe(false);
  });
});
