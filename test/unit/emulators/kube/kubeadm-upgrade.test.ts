// kubeadm upgrade plan/apply/node on an emulated 1.33 cluster (cp1 + w1): the version refusals kubeadm 1.34 prints,
// the health checks, then a real upgrade to 1.34 (manifests, kubeadm-config, certificates, addons, kubelet config).
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { INIT_CONFIG, Lab, REPO, ensureBuilt, flannelDaemonSet, openssl, workerJoinArgs } from './harness.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const lab = new Lab();
const KC = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const FLANNEL = ['ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3', 'ghcr.io/flannel-io/flannel:v0.28.9'];
const CNI = flannelDaemonSet(FLANNEL[1]!);
const kubectl = (args: string[]) => lab.run('cp1', 'kubectl', [...KC, ...args]);
/** kubeadm of a given package version on a host (the package DB the package-manager emulators keep). */
const withKubeadm = (host: string, v: string) =>
  lab.write(host, '/var/lib/lab/pkgdb.json', JSON.stringify({ packages: { kubeadm: { version: `${v}-1.1` } } }));
const manifests = () =>
  ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) =>
    lab.read('cp1', `/etc/kubernetes/manifests/${c}.yaml`),
  );
const image = (c: string) => /image: (\S+)/.exec(lab.read('cp1', `/etc/kubernetes/manifests/${c}.yaml`))![1];
const real = (file: string) => readFileSync(join(REPO, 'test/fixtures/real', file), 'utf8');
/** The order of a kubeadm output's parts: "[phase]" prefixes, table headers and titles; table rows collapsed to one "row". */
const shape = (text: string) =>
  text
    .split('\n')
    .map(
      (l) =>
        /^\[[^\]]+\]/.exec(l)?.[0] ??
        /^(COMPONENT|API GROUP|You can now|Components that|Upgrade to the|_{20}|\tkubeadm)/.exec(l)?.[0] ??
        (l.trim() ? 'row' : ''),
    )
    .filter((x, i, all) => x !== '' && !(x === 'row' && all[i - 1] === 'row'));
const endDate = (file: string) => openssl(['x509', '-noout', '-enddate', '-in', lab.path('cp1', file)]).trim();

describe.sequential('kubeadm upgrade emulator', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.seedKeys();
    lab.env.LAB_KUBE_VERSION = 'v1.33.5';
    lab.host('cp1', '10.199.0.10');
    lab.host('w1', '10.199.0.11');
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG.replace('kubernetesVersion: v1.34.1', 'kubernetesVersion: v1.33.5'));
    const init = lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    expect(init.code).toBe(0);
    expect(lab.run('w1', 'kubeadm', workerJoinArgs(init.stdout)).code).toBe(0);
    expect(lab.run('cp1', 'kubectl', [...KC, 'apply', '-f', '-'], {}, CNI).code).toBe(0);
    for (const h of ['cp1', 'w1']) {
      lab.write(
        h,
        '/run/fake-images',
        (lab.exists(h, '/run/fake-images') ? lab.read(h, '/run/fake-images') : '') + FLANNEL.join('\n') + '\n',
      );
      lab.run(h, 'lab-node-sync', []);
    }
    expect(kubectl(['get', 'nodes']).stdout).toMatch(/cp1 +Ready .*v1\.33\.5\nw1 +Ready .*v1\.33\.5/);
  }, 180_000);

  it('plans the route to the kubeadm version and changes nothing', () => {
    withKubeadm('cp1', '1.34.2');
    const before = manifests();
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'plan']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[upgrade/versions] Cluster version: 1.33.5\n[upgrade/versions] kubeadm version: v1.34.2\n');
    expect(r.stdout).toContain('[upgrade/versions] Target version: v1.34.2\n');
    expect(r.stdout).toMatch(/^kubelet +w1 +v1\.33\.5 +v1\.34\.2$/m);
    expect(r.stdout).toMatch(/^kube-apiserver +cp1 +v1\.33\.5 +v1\.34\.2$/m);
    expect(r.stdout).toMatch(/^etcd +cp1 +3\.5\.21-0 +3\.6\.5-0$/m);
    expect(r.stdout).toContain('\tkubeadm upgrade apply v1.34.2\n');
    expect(r.stderr).toContain('falling back to the local client version: v1.34.2');
    expect(shape(r.stdout)).toEqual(shape(real('kubeadm/upgrade-plan-1.33.txt')));
    expect(manifests()).toEqual(before);
  });

  it('refuses a target above kubeadm, a skipped minor and a downgrade with the real messages, changing nothing', () => {
    const before = manifests();
    const apply = (kubeadmVersion: string, target: string, extra: string[] = []) => {
      withKubeadm('cp1', kubeadmVersion);
      return lab.run('cp1', 'kubeadm', ['upgrade', 'apply', target, '-y', ...extra]);
    };
    const newerMinor = apply('1.33.5', 'v1.34.2');
    expect(newerMinor.code).toBe(1);
    expect(newerMinor.stderr).toContain(
      'error: error execution phase preflight: the version argument is invalid due to these fatal errors:\n\n\t- Specified version to upgrade to "v1.34.2" is at least one minor release higher than the kubeadm minor release (34 > 33). Such an upgrade is not supported\n\nPlease fix the misalignments highlighted above and try upgrading again',
    );
    const newerPatch = apply('1.34.1', 'v1.34.2');
    expect(newerPatch.stderr).toContain(
      '\t- Specified version to upgrade to "v1.34.2" is higher than the kubeadm version "v1.34.1". Upgrade kubeadm first using the tool you used to install kubeadm\n\nCan be bypassed if you pass the --force flag',
    );
    const skipped = apply('1.35.0', 'v1.35.0');
    expect(skipped.stderr).toContain(
      'error: [upgrade/init config] FATAL: this version of kubeadm only supports deploying clusters with the control plane version >= 1.34.0. Current version: v1.33.5',
    );
    const tooHigh = apply('1.34.2', 'v1.35.1');
    expect(tooHigh.stderr).toContain('is at least one minor release higher than the kubeadm minor release (35 > 34)');
    const down = apply('1.34.2', 'v1.32.3');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      '\t- Specified version to upgrade to "v1.32.3" is equal to or lower than the minimum supported version "v1.33.5". Please specify a higher version to upgrade to',
    );
    for (const r of [newerMinor, newerPatch, skipped, tooHigh, down]) expect(r.stdout).not.toContain('[upgrade/staticpods]');
    expect(manifests()).toEqual(before);
  });

  it('stops at the cluster health checks while a control plane is NotReady', () => {
    withKubeadm('cp1', '1.34.2');
    const images = lab.read('cp1', '/run/fake-images');
    lab.write('cp1', '/run/fake-images', images.replace(FLANNEL[1]!, ''));
    lab.run('cp1', 'lab-node-sync', []);
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '-y']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: error execution phase preflight: [upgrade/health] FATAL: [preflight] Some fatal errors occurred:\n\t[ERROR ControlPlaneNodesReady]: there are NotReady control-planes in the cluster: [cp1]\n',
    );
    const ignored = lab.run('cp1', 'kubeadm', ['upgrade', 'plan', '--ignore-preflight-errors=ControlPlaneNodesReady']);
    expect(ignored.code).toBe(0);
    lab.write('cp1', '/run/fake-images', images);
    lab.run('cp1', 'lab-node-sync', []);
  });

  it('asks for confirmation without --yes', () => {
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2'], {}, 'n\n');
    expect(r.stdout).toContain('[upgrade] Are you sure you want to proceed? [y/N]: ');
    expect(r.stderr).toContain("won't proceed; the user didn't answer (Y|y) in order to continue");
    expect(image('kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.33.5');
  });

  it('dies after its upload-config phase when told to (a kill): the addons are still at the old version', () => {
    // kubeadm's apply phases: preflight, control-plane, upload-config, kubeconfig, kubelet-config, bootstrap-token,
    // addon (coredns, kube-proxy), post-upgrade (cmd/kubeadm/app/cmd/upgrade/apply.go)
    lab.write('cp1', '/var/lib/lab/faults/kubeadm.after-upload-config', '1 fail\n');
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config"');
    expect(r.stdout).not.toContain('[upgrade/kubeconfig]');
    expect(image('kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    expect(kubectl(['-n', 'kube-system', 'get', 'cm', 'kubeadm-config', '-o', 'yaml']).stdout).toContain('kubernetesVersion: v1.34.2');
    const proxy = kubectl(['-n', 'kube-system', 'get', 'ds', 'kube-proxy', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    expect(proxy.stdout).toBe('registry.k8s.io/kube-proxy:v1.33.5');
  });

  it('upgrades the first control plane (again after the kill): manifests, kubeadm-config, certificates, addons', () => {
    const certBefore = lab.read('cp1', '/etc/kubernetes/pki/apiserver.crt');
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '--yes']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[upgrade/staticpods] Renewing apiserver certificate\n');
    expect(r.stdout).toContain('[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "v1.34.2".');
    expect(image('kube-apiserver')).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    expect(image('kube-scheduler')).toBe('registry.k8s.io/kube-scheduler:v1.34.2');
    expect(image('etcd')).toBe('registry.k8s.io/etcd:3.6.5-0');
    const tmp = readdirSync(lab.path('cp1', '/etc/kubernetes/tmp'));
    const backup = tmp.find((d) => d.startsWith('kubeadm-backup-manifests-'))!;
    expect(lab.read('cp1', `/etc/kubernetes/tmp/${backup}/kube-apiserver.yaml`)).toContain('kube-apiserver:v1.33.5');
    expect(lab.read('cp1', '/etc/kubernetes/pki/apiserver.crt')).not.toBe(certBefore);
    expect(kubectl(['-n', 'kube-system', 'get', 'cm', 'kubeadm-config', '-o', 'yaml']).stdout).toContain('kubernetesVersion: v1.34.2');
    expect(kubectl(['version']).stdout).toContain('Server Version: v1.34.2');
    const pod = kubectl(['-n', 'kube-system', 'get', 'pod', 'kube-apiserver-cp1', '-o', 'jsonpath={.spec.containers[0].image}']);
    expect(pod.stdout).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    const dns = kubectl(['-n', 'kube-system', 'get', 'deploy', 'coredns', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    expect(dns.stdout).toBe('registry.k8s.io/coredns/coredns:v1.12.1');
    const proxy = kubectl(['-n', 'kube-system', 'get', 'ds', 'kube-proxy', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    expect(proxy.stdout).toBe('registry.k8s.io/kube-proxy:v1.34.2');
    // the kubelet still runs 1.33 until its package is upgraded and it restarts
    expect(kubectl(['get', 'nodes']).stdout).toMatch(/cp1 +Ready +control-plane +\S+ +v1\.33\.5/);
    lab.write('cp1', '/run/lab/kubelet.version', 'v1.34.2\n'); // what the unit's start hook records after the restart
    lab.run('cp1', 'lab-node-sync', []);
    expect(kubectl(['get', 'nodes']).stdout).toMatch(/cp1 +Ready +control-plane +\S+ +v1\.34\.2/);
  });

  it('re-runs apply at the same version without certificate renewal: equal manifests are left alone', () => {
    const cert = lab.read('cp1', '/etc/kubernetes/pki/apiserver.crt');
    const end = endDate('/etc/kubernetes/pki/apiserver.crt');
    const r = lab.run('cp1', 'kubeadm', ['upgrade', 'apply', 'v1.34.2', '-y', '--certificate-renewal=false']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[upgrade/staticpods] Current and new manifests of kube-apiserver are equal, skipping upgrade');
    expect(r.stdout).not.toContain('Renewing');
    expect(lab.read('cp1', '/etc/kubernetes/pki/apiserver.crt')).toBe(cert);
    expect(endDate('/etc/kubernetes/pki/apiserver.crt')).toBe(end);
  });

  it('upgrades a worker: only its kubelet configuration, backed up first', () => {
    withKubeadm('w1', '1.34.2');
    const r = lab.run('w1', 'kubeadm', ['upgrade', 'node']);
    expect(r.code).toBe(0);
    // the real 1.33 worker transcript line by line (1.34 names the upload-config subcommand; folder names vary)
    const norm = (t: string) =>
      t
        .replace(/kubeadm-kubelet-config[-\d]+/g, 'kubeadm-kubelet-config-X')
        .replace('upload-config kubeadm --config', 'upload-config --config')
        .split('\n')
        .filter((l) => l && !/^W\d{4} /.test(l));
    expect(norm(r.stdout)).toEqual(norm(real('kubeadm/upgrade-node-worker-1.33.txt')));
    expect(r.stderr).toMatch(
      /^W\d{4} [\d:.]+ +\d+ postupgrade\.go:117\] Using temporary directory \/etc\/kubernetes\/tmp\/kubeadm-kubelet-config/,
    );
    expect(r.stdout).toContain('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!\n');
    const dir = readdirSync(lab.path('w1', '/etc/kubernetes/tmp')).find((d) => d.startsWith('kubeadm-kubelet-config-'))!;
    expect(lab.read('w1', `/etc/kubernetes/tmp/${dir}/config.yaml`)).toBe(lab.read('w1', '/var/lib/kubelet/config.yaml'));
    expect(lab.exists('w1', '/etc/kubernetes/manifests/kube-apiserver.yaml')).toBe(false);
  });
});
