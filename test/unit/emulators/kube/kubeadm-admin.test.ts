// kubeadm version/upload-certs/token join commands, the key pool, and resets of a worker.
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INIT_CONFIG, Lab, ensureBuilt, openssl, opensslCaHash } from './harness.js';

const lab = new Lab();
const pool = () => readdirSync(join(lab.clusterDir, 'keypool/RSA-2048')).filter((f) => f.endsWith('.pem')).length;

describe.sequential('kubeadm emulator: admin commands', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.host('cp1', '10.199.0.10');
    lab.host('w1', '10.199.0.11');
  }, 180_000);

  it("reports the version of the installed package, in kubeadm's formats", () => {
    lab.write('cp1', '/var/lib/lab/pkgdb.json', JSON.stringify({ format: 'deb', packages: { kubeadm: { version: '1.33.4-1.1' } } }));
    expect(lab.run('cp1', 'kubeadm', ['version', '-o', 'short']).stdout).toBe('v1.33.4\n');
    expect(JSON.parse(lab.run('cp1', 'kubeadm', ['version', '-o', 'json']).stdout).clientVersion).toMatchObject({
      major: '1',
      minor: '33',
      gitVersion: 'v1.33.4',
    });
    expect(lab.run('cp1', 'kubeadm', ['version']).stdout).toMatch(
      /^kubeadm version: &version\.Info\{Major:"1", Minor:"33", .*GitVersion:"v1\.33\.4", .*Platform:"linux\/amd64"\}\n$/,
    );
    expect(lab.run('cp1', 'kubelet', ['--version']).stdout).toBe('Kubernetes v1.34.1\n');
    expect(lab.run('cp1', 'kubeadm', ['config', 'images', 'list']).stdout).toContain('registry.k8s.io/etcd:3.5.21-0\n');
  });

  it("takes private keys from the lab's key pool, each key once", () => {
    expect(lab.run('cp1', 'lab-node-sync', ['keypool', 'fill', '20']).stdout).toBe('keypool RSA-2048: 20 keys\n');
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--kubernetes-version', 'v1.34.1']);
    expect(init.code).toBe(0);
    expect(pool()).toBe(20 - 16); // 3 CAs, sa, 7 leaves, 4 kubeconfigs, the kubelet's client certificate
    const mods = ['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'etcd/server', 'etcd/peer'].map((f) =>
      openssl(['x509', '-noout', '-modulus', '-in', lab.path('cp1', `/etc/kubernetes/pki/${f}.crt`)]),
    );
    expect(new Set(mods).size).toBe(mods.length);
  }, 120_000);

  it('re-uploads certs with a new key and prints control-plane join commands with it', () => {
    const up = lab.run('cp1', 'kubeadm', ['init', 'phase', 'upload-certs', '--upload-certs']);
    const m =
      /^\[upload-certs\] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n\[upload-certs\] Using certificate key:\n([0-9a-f]{64})\n$/.exec(
        up.stdout,
      );
    expect(m).not.toBeNull();
    const key = lab.run('cp1', 'kubeadm', ['certs', 'certificate-key']).stdout.trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const hash = opensslCaHash(lab.path('cp1', '/etc/kubernetes/pki/ca.crt'));
    const line = lab.run('cp1', 'kubeadm', ['token', 'create', '--print-join-command', '--certificate-key', m![1]!]).stdout;
    expect(line).toMatch(
      new RegExp(
        `^kubeadm join k8s-api\\.lab:6443 --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash ${hash} --control-plane --certificate-key ${m![1]}\\n$`,
      ),
    );
    const worker = lab.run('cp1', 'kubeadm', ['token', 'create', '--print-join-command', '--ttl', '2h']).stdout;
    expect(worker).toMatch(
      new RegExp(`^kubeadm join k8s-api\\.lab:6443 --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash ${hash} \\n$`),
    );
    expect(lab.run('cp1', 'kubeadm', ['token', 'list']).stdout).toMatch(/ 1h +\S+ +authentication,signing +<none>/);
  });

  it('resets a worker only after confirmation and keeps the Node object', () => {
    const join = lab.run('cp1', 'kubeadm', ['token', 'create', '--print-join-command']).stdout.trim().split(/\s+/).slice(1);
    expect(lab.run('w1', 'kubeadm', join).code).toBe(0);
    const no = lab.run('w1', 'kubeadm', ['reset'], {}, 'n\n');
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('[reset] Are you sure you want to proceed? [y/N]: ');
    expect(no.stderr).toContain("error: won't proceed; the user didn't answer (Y|y) in order to continue");
    expect(lab.exists('w1', '/etc/kubernetes/kubelet.conf')).toBe(true);
    const yes = lab.run('w1', 'kubeadm', ['reset'], {}, 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.stdout).not.toContain('etcd data directory');
    expect(lab.exists('w1', '/etc/kubernetes/kubelet.conf')).toBe(false);
    expect(lab.exists('w1', '/run/fake-systemd/kubelet.active')).toBe(false);
    const nodes = lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '--no-headers']).stdout;
    expect(nodes).toMatch(/w1 +NotReady/);
  });

  it('answers version and cluster-info through kubectl', () => {
    const v = lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'version']).stdout;
    expect(v).toBe('Client Version: v1.34.1\nKustomize Version: v5.7.1\nServer Version: v1.34.1\n');
    expect(lab.run('cp1', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'cluster-info']).stdout).toBe(
      "Kubernetes control plane is running at https://k8s-api.lab:6443\nCoreDNS is running at https://k8s-api.lab:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
    );
  });

  it('honours certificateValidityPeriod and joins from a JoinConfiguration file', () => {
    lab.host('cp9', '10.199.0.30');
    lab.host('w9', '10.199.0.31');
    lab.write(
      'cp9',
      '/root/short.yaml',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.1\ncertificateValidityPeriod: 48h0m0s\ncaCertificateValidityPeriod: 8760h0m0s\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789abcdef\n  ttl: 1h0m0s\n',
    );
    const init = lab.run('cp9', 'kubeadm', ['init', '--config', '/root/short.yaml']);
    expect(init.code).toBe(0);
    const table = lab.run('cp9', 'kubeadm', ['certs', 'check-expiration']).stdout;
    expect(table).toMatch(/\napiserver +\w{3} \d\d, \d{4} \d\d:\d\d UTC +1d +ca +no\n/);
    expect(table).toMatch(/\nca +\w{3} \d\d, \d{4} \d\d:\d\d UTC +364d +no\n/);
    const hash = opensslCaHash(lab.path('cp9', '/etc/kubernetes/pki/ca.crt'));
    lab.write(
      'w9',
      '/root/join.yaml',
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: 10.199.0.30:6443\n    token: abcdef.0123456789abcdef\n    caCertHashes: [${hash}]\nnodeRegistration:\n  name: worker-nine\n  kubeletExtraArgs:\n  - name: node-ip\n    value: 10.199.0.31\n`,
    );
    const j = lab.run('w9', 'kubeadm', ['join', '--config', '/root/join.yaml']);
    expect(j.stderr).toBe('');
    expect(j.code).toBe(0);
    expect(lab.read('w9', '/var/lib/kubelet/kubeadm-flags.env')).toContain('--node-ip=10.199.0.31');
    const names = lab.run('cp9', 'kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '-o', 'name']).stdout;
    expect(names).toBe('node/cp9\nnode/worker-nine\n');
  }, 120_000);

  it('token create and init phase upload-certs take their secrets from an InitConfiguration file (--config), refusing mixed flags', () => {
    const token = 'q1w2e3.r4t5y6u7i8o9p0a1';
    const key = 'c'.repeat(64);
    lab.write(
      'cp1',
      '/root/material.yaml',
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: ${token}\n  ttl: 1h0m0s\n  description: from the file\n  usages: [signing, authentication]\n  groups: ["system:bootstrappers:kubeadm:default-node-token"]\ncertificateKey: ${key}\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.1\n`,
    );
    const created = lab.run('cp1', 'kubeadm', ['token', 'create', '--config', '/root/material.yaml']);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe(`${token}\n`);
    expect(lab.run('cp1', 'kubeadm', ['token', 'list']).stdout).toMatch(
      new RegExp(
        `^${token.replace('.', '\\.')} +59m +\\S+ +authentication,signing +from the file +system:bootstrappers:kubeadm:default-node-token$`,
        'm',
      ),
    );
    const up = lab.run('cp1', 'kubeadm', ['init', 'phase', 'upload-certs', '--upload-certs', '--config', '/root/material.yaml']);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`[upload-certs] Using certificate key:\n${key}\n`);
    const mixed = lab.run('cp1', 'kubeadm', ['token', 'create', '--config', '/root/material.yaml', '--ttl', '2h']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toContain("can not mix '--config' with arguments [ttl]");
    const mixedKey = lab.run('cp1', 'kubeadm', [
      'init',
      'phase',
      'upload-certs',
      '--upload-certs',
      '--config',
      '/root/material.yaml',
      '--certificate-key',
      key,
    ]);
    expect(mixedKey.stderr).toContain("can not mix '--config' with arguments [certificate-key]");
  });
});
