// One emulated cluster built step by step: init, PKI checks with openssl, joins, certs, reset.
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { INIT_CONFIG, Lab, ensureBuilt, openssl, opensslCaHash } from './harness.js';

const DAY = 86400e3;
const lab = new Lab();
let initOut = '';
let hash = '';
let token = '';
let certKey = '';

describe.sequential('kubeadm emulator: a cluster from init to reset', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    lab.host('cp1', '10.199.0.10');
    lab.host('cp2', '10.199.0.12');
    lab.host('w1', '10.199.0.11');
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
    const r = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--upload-certs']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    initOut = r.stdout;
  }, 180_000);

  it("prints kubeadm's closing text with both join commands, pinned to the CA hash openssl computes", () => {
    hash = opensslCaHash(lab.path('cp1', '/etc/kubernetes/pki/ca.crt'));
    token = /--token ([a-z0-9]{6}\.[a-z0-9]{16})/.exec(initOut)![1]!;
    certKey = /--certificate-key ([0-9a-f]{64})/.exec(initOut)![1]!;
    const tail = initOut.slice(initOut.indexOf('Your Kubernetes control-plane'));
    expect(tail).toBe(`Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

You can now join any number of control-plane nodes running the following command on each as root:

  kubeadm join k8s-api.lab:6443 --token ${token} \\
\t--discovery-token-ca-cert-hash ${hash} \\
\t--control-plane --certificate-key ${certKey}

Please note that the certificate-key gives access to cluster sensitive data, keep it secret!
As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use
"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.

Then you can join any number of worker nodes by running the following on each as root:

kubeadm join k8s-api.lab:6443 --token ${token} \\
\t--discovery-token-ca-cert-hash ${hash} 
`);
    expect(initOut).toContain('[upload-certs] Using certificate key:\n' + certKey + '\n');
  });

  it('writes a PKI that openssl verifies: chains, apiserver SANs (certSANs, endpoint, service IP), validity', () => {
    const pki = (f: string) => lab.path('cp1', `/etc/kubernetes/pki/${f}`);
    for (const [leaf, ca] of [
      ['apiserver', 'ca'],
      ['apiserver-kubelet-client', 'ca'],
      ['front-proxy-client', 'front-proxy-ca'],
      ['etcd/server', 'etcd/ca'],
      ['etcd/peer', 'etcd/ca'],
      ['etcd/healthcheck-client', 'etcd/ca'],
      ['apiserver-etcd-client', 'etcd/ca'],
    ]) {
      expect(openssl(['verify', '-CAfile', pki(`${ca}.crt`), pki(`${leaf}.crt`)])).toContain(': OK');
    }
    expect(() => openssl(['verify', '-CAfile', pki('ca.crt'), pki('etcd/server.crt')])).toThrow();
    const san = openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', pki('apiserver.crt')]);
    for (const s of [
      'DNS:cp1',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'DNS:k8s-api.lab',
      'DNS:api.extra.example',
      'IP Address:10.96.0.1',
      'IP Address:10.199.0.10',
      'IP Address:10.199.0.100',
    ])
      expect(san).toContain(s);
    const end = (f: string) =>
      Date.parse(
        openssl(['x509', '-noout', '-enddate', '-in', pki(f)])
          .trim()
          .split('=')[1]!,
      );
    expect(Math.abs(end('apiserver.crt') - Date.now() - 365 * DAY)).toBeLessThan(DAY);
    expect(Math.abs(end('ca.crt') - Date.now() - 3650 * DAY)).toBeLessThan(DAY);
    expect(openssl(['x509', '-noout', '-subject', '-in', pki('apiserver-kubelet-client.crt')])).toContain('O = kubeadm:cluster-admins');
    expect(openssl(['pkey', '-pubin', '-in', pki('sa.pub'), '-noout'])).toBe('');
  });

  it('writes kubeconfigs with embedded certificates signed by the CA and the right groups and servers', () => {
    const ca = lab.path('cp1', '/etc/kubernetes/pki/ca.crt');
    for (const [file, org, server] of [
      ['admin.conf', 'kubeadm:cluster-admins', 'https://k8s-api.lab:6443'],
      ['super-admin.conf', 'system:masters', 'https://k8s-api.lab:6443'],
      ['controller-manager.conf', '', 'https://10.199.0.10:6443'],
      ['scheduler.conf', '', 'https://10.199.0.10:6443'],
    ]) {
      const kc = YAML.parse(lab.read('cp1', `/etc/kubernetes/${file}`));
      expect(kc.clusters[0].cluster.server).toBe(server);
      expect(Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(
        lab.read('cp1', '/etc/kubernetes/pki/ca.crt'),
      );
      const cert = Buffer.from(kc.users[0].user['client-certificate-data'], 'base64').toString();
      const tmp = lab.path('cp1', `/tmp-${file}.crt`);
      writeFileSync(tmp, cert);
      expect(openssl(['verify', '-CAfile', ca, tmp])).toContain(': OK');
      if (org) expect(openssl(['x509', '-noout', '-subject', '-in', tmp])).toContain(`O = ${org}`);
    }
    expect(lab.read('cp1', '/etc/kubernetes/kubelet.conf')).toContain(
      'client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem',
    );
    expect(lab.read('cp1', '/var/lib/kubelet/kubeadm-flags.env')).toContain('--node-ip=10.199.0.10');
    expect(lab.read('cp1', '/etc/kubernetes/manifests/kube-controller-manager.yaml')).toContain('--cluster-cidr=10.244.0.0/16');
  });

  it('refuses a join with a wrong CA hash, an unknown or expired token', () => {
    const bad = lab.run('w1', 'kubeadm', [
      'join',
      'k8s-api.lab:6443',
      '--token',
      token,
      '--discovery-token-ca-cert-hash',
      'sha256:' + '0'.repeat(64),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `error: error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${hash}" are pinned\nTo see the stack trace of this error execute with --v=5 or higher`,
    );
    const expired = lab.run('w1', 'kubeadm', ['join', 'k8s-api.lab:6443', '--token', token, '--discovery-token-ca-cert-hash', hash], {
      LAB_NOW: String(Date.now() + 25 * 3600e3),
    });
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${token.split('.')[0]}"`);
    expect(lab.exists('w1', '/etc/kubernetes/kubelet.conf')).toBe(false);
  });

  it('joins a worker with the right hash and registers it', () => {
    const r = lab.run('w1', 'kubeadm', ['join', 'k8s-api.lab:6443', '--token', token, '--discovery-token-ca-cert-hash', hash]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('This node has joined the cluster:');
    expect(lab.read('w1', '/etc/kubernetes/pki/ca.crt')).toBe(lab.read('cp1', '/etc/kubernetes/pki/ca.crt'));
    expect(lab.exists('w1', '/etc/kubernetes/pki/ca.key')).toBe(false);
    const nodes = lab.run('cp1', 'kubectl', [
      '--kubeconfig',
      '/etc/kubernetes/admin.conf',
      'get',
      'nodes',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    expect(nodes.stdout).toBe('cp1 w1');
  });

  it('refuses a control-plane join once the uploaded certs expired, accepts it within two hours', () => {
    const later = { LAB_NOW: String(Date.now() + 3 * 3600e3) };
    const t2 = lab.run('cp1', 'kubeadm', ['token', 'create', '--ttl', '0']).stdout.trim();
    const late = lab.run(
      'cp2',
      'kubeadm',
      ['join', 'k8s-api.lab:6443', '--token', t2, '--discovery-token-ca-cert-hash', hash, '--control-plane', '--certificate-key', certKey],
      later,
    );
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(
      'error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired.',
    );
    const wrongKey = lab.run('cp2', 'kubeadm', [
      'join',
      'k8s-api.lab:6443',
      '--token',
      t2,
      '--discovery-token-ca-cert-hash',
      hash,
      '--control-plane',
      '--certificate-key',
      '1'.repeat(64),
    ]);
    expect(wrongKey.stderr).toContain('cipher: message authentication failed');
    const ok = lab.run('cp2', 'kubeadm', [
      'join',
      'k8s-api.lab:6443',
      '--token',
      t2,
      '--discovery-token-ca-cert-hash',
      hash,
      '--control-plane',
      '--certificate-key',
      certKey,
      '--apiserver-advertise-address',
      '10.199.0.12',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('This node has joined the cluster and a new control plane instance was created:');
    for (const f of ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key']) {
      expect(lab.read('cp2', `/etc/kubernetes/pki/${f}`)).toBe(lab.read('cp1', `/etc/kubernetes/pki/${f}`));
    }
    expect(lab.read('cp2', '/etc/kubernetes/pki/apiserver.crt')).not.toBe(lab.read('cp1', '/etc/kubernetes/pki/apiserver.crt'));
    const san = openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', lab.path('cp2', '/etc/kubernetes/pki/apiserver.crt')]);
    expect(san).toContain('DNS:cp2');
    expect(san).toContain('IP Address:10.199.0.12');
    expect(san).not.toContain('IP Address:10.199.0.10,');
    expect(lab.exists('cp2', '/etc/kubernetes/super-admin.conf')).toBe(false);
    expect(lab.read('cp2', '/etc/kubernetes/manifests/etcd.yaml')).toContain(
      '--initial-cluster=cp1=https://10.199.0.10:2380,cp2=https://10.199.0.12:2380',
    );
  });

  it("lists tokens in kubeadm's table and deletes them", () => {
    const list = lab.run('cp1', 'kubeadm', ['token', 'list']).stdout.split('\n');
    expect(list[0]).toMatch(/^TOKEN {21}TTL {9}EXPIRES {16}USAGES {19}DESCRIPTION {3,}EXTRA GROUPS$/);
    expect(list[1]).toMatch(
      new RegExp(
        `^${token.replace('.', '\\.')} {3}2[34]h {9}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ {3}authentication,signing {3}The default bootstrap token generated by 'kubeadm init'\\. {3}system:bootstrappers:kubeadm:default-node-token$`,
      ),
    );
    expect(list.some((l) => /<forever> +<never>/.test(l))).toBe(true);
    const del = lab.run('cp1', 'kubeadm', ['token', 'delete', token]);
    expect(del.stdout).toBe(`bootstrap token "${token.split('.')[0]}" deleted\n`);
  });

  it('prints check-expiration tables computed from the files', () => {
    const r = lab.run('cp1', 'kubeadm', ['certs', 'check-expiration']);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('CERTIFICATE '));
    expect(lines[head]).toBe(
      'CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED',
    );
    const names = lines.slice(head + 1, head + 12).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([
      'admin.conf',
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'controller-manager.conf',
      'etcd-healthcheck-client',
      'etcd-peer',
      'etcd-server',
      'front-proxy-client',
      'scheduler.conf',
      'super-admin.conf',
    ]);
    expect(lines[head + 2]).toMatch(/^apiserver {18}[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC {3}364d {12}ca {22}no$/);
    const caHead = lines.findIndex((l) => l.startsWith('CERTIFICATE AUTHORITY'));
    expect(lines[caHead]).toBe('CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED');
    expect(lines[caHead + 1]).toMatch(/^ca {22}[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC {3}9y {14}no$/);
    expect(lines.slice(caHead + 1, caHead + 4).map((l) => l.split(' ')[0])).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
    expect(lines.slice(0, head)).toEqual([
      '[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
      "[check-expiration] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.",
      '',
    ]);
    const expected = new Date(
      Date.parse(openssl(['x509', '-noout', '-enddate', '-in', lab.path('cp1', '/etc/kubernetes/pki/apiserver.crt')]).split('=')[1]!),
    );
    expect(lines[head + 2]).toContain(
      `${expected.toUTCString().slice(8, 11)} ${String(expected.getUTCDate()).padStart(2, '0')}, ${expected.getUTCFullYear()}`,
    );
  });

  it('renews certificates with the same CA and SANs and a later expiry', () => {
    const apiserver = lab.path('cp1', '/etc/kubernetes/pki/apiserver.crt');
    const sansBefore = openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', apiserver]);
    const endBefore = Date.parse(openssl(['x509', '-noout', '-enddate', '-in', apiserver]).split('=')[1]!);
    const at = Date.now() + 30 * DAY;
    const r = lab.run('cp1', 'kubeadm', ['certs', 'renew', 'all'], { LAB_NOW: String(at) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('certificate for serving the Kubernetes API renewed\n');
    expect(r.stdout).toContain('certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed\n');
    expect(r.stdout).toContain(
      'Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.',
    );
    expect(openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', apiserver])).toBe(sansBefore);
    expect(openssl(['x509', '-noout', '-ext', 'extendedKeyUsage', '-in', apiserver])).toContain('TLS Web Server Authentication');
    const peer = lab.path('cp1', '/etc/kubernetes/pki/etcd/peer.crt');
    expect(openssl(['x509', '-noout', '-ext', 'extendedKeyUsage', '-in', peer])).toMatch(
      /TLS Web Server Authentication, TLS Web Client Authentication/,
    );
    expect(Date.parse(openssl(['x509', '-noout', '-enddate', '-in', apiserver]).split('=')[1]!) - endBefore).toBeGreaterThan(29 * DAY);
    const attime = String(Math.trunc(at / 1000) + 60);
    expect(openssl(['verify', '-attime', attime, '-CAfile', lab.path('cp1', '/etc/kubernetes/pki/ca.crt'), apiserver])).toContain(': OK');
  });

  it('resets a control plane: removes what kubeadm wrote, leaves CNI config and ~/.kube, prints the note', () => {
    lab.write('cp2', '/etc/cni/net.d/10-flannel.conflist', '{}');
    lab.write('cp2', '/root/.kube/config', lab.read('cp2', '/etc/kubernetes/admin.conf'));
    lab.write('cp2', '/var/lib/etcd/member/snap/db', 'x');
    const r = lab.run('cp2', 'kubeadm', ['reset', '-f']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '[reset] Deleted contents of the etcd data directory: /var/lib/etcd\n[reset] Stopping the kubelet service\n',
    );
    expect(r.stdout).toContain(
      '[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]\n',
    );
    expect(r.stdout).toContain(
      '[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]\n',
    );
    expect(r.stdout).toContain(
      '\nThe reset process does not perform cleanup of CNI plugin configuration,\nnetwork filtering rules and kubeconfig files.\n\nFor information on how to perform this cleanup manually, please see:\n    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/\n',
    );
    for (const gone of [
      '/etc/kubernetes/pki/ca.crt',
      '/etc/kubernetes/manifests/etcd.yaml',
      '/etc/kubernetes/admin.conf',
      '/etc/kubernetes/kubelet.conf',
      '/var/lib/kubelet/config.yaml',
      '/var/lib/etcd/member',
    ])
      expect(lab.exists('cp2', gone), gone).toBe(false);
    for (const kept of ['/etc/cni/net.d/10-flannel.conflist', '/root/.kube/config', '/etc/kubernetes/pki', '/var/lib/etcd'])
      expect(lab.exists('cp2', kept), kept).toBe(true);
    const state = JSON.parse(lab.read('cp1', '../cluster/state.json'));
    const cluster = Object.values(state.clusters)[0] as { etcdMembers: Record<string, unknown>; controlPlane: Record<string, unknown> };
    expect(Object.keys(cluster.etcdMembers)).toEqual(['cp1']);
    expect(Object.keys(cluster.controlPlane)).toEqual(['cp1']);
  });
});
