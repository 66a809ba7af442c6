/**
 * A cluster built on lab hosts the way the operators' runbook (shared/seed, "kubernetes的安装") builds one, by hand and
 * not with `kubesmith apply`, on the lab's current Kubernetes: swap off and commented out of fstab, a bridge sysctl
 * file, /etc/hosts lines, the runtime and kubelet/kubeadm/kubectl installed with apt and held, `containerd config
 * default` edited with sed, a hand-written kubeadm config WITHOUT controlPlaneEndpoint, workers joined with the printed
 * join command, flannel applied (its images pulled by hand, as the runbook `docker load`s them), and the runbook's
 * anonymous cluster-admin binding. `copyCertificates` is the runbook's `scp /etc/kubernetes/pki/* k8s-master02:`.
 *
 * Differences from the 1.17-era text, each forced by today's Kubernetes: containerd (dockershim is gone; the runbook's
 * docker-ce 18.06 cannot serve 1.34), pkgs.k8s.io instead of the removed Google/Aliyun repositories, kubeadm config
 * v1beta4. The registry mirror (certs.d hosts.toml) stands in for the runbook's "镜像拉不下来 … docker load".
 */
import { renderFlannel } from '../../src/render/index.js';
import { parseInventory } from '../../src/inventory/index.js';
import { quote } from '../../src/transport/command.js';
import type { Lab } from './lab.js';

export interface RunbookOptions {
  controlPlane: string;
  workers: string[];
  /** Kubernetes version (default 1.34.1) and the containerd.io package version (default 2.1.4-1). */
  version?: string;
  containerdVersion?: string;
  podSubnet?: string;
  /** Registry mirror for registry.k8s.io and ghcr.io (the lab registry's URL). */
  mirror: string;
  /** kube-proxy mode; the runbook switches it to ipvs ("将其中的mode定义为ipvs"), here in the kubeadm config (default iptables). */
  proxyMode?: 'iptables' | 'ipvs';
  /** The runbook's `kubectl create clusterrolebinding test:anonymous --clusterrole=cluster-admin --user=system:anonymous` (default true). */
  anonymousAdmin?: boolean;
}

export interface RunbookCluster {
  /** Every command run, per host, in order (what an operator typed). */
  typed: Record<string, string[]>;
}

const KUBECONFIG = '/etc/kubernetes/admin.conf';

async function type(lab: Lab, typed: Record<string, string[]>, host: string, script: string): Promise<string> {
  (typed[host] ??= []).push(script);
  const r = await lab.exec(host, script, { timeoutMs: 300_000 });
  if (r.code !== 0)
    throw new Error(`runbook step on ${host} failed (exit ${r.code}):\n${script}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** 前置任务 + 安装 containerd/kubernetes: what the runbook does on every machine. */
function prepareScript(lab: Lab, o: Required<Omit<RunbookOptions, 'workers' | 'controlPlane' | 'anonymousAdmin' | 'proxyMode'>>): string {
  const minor = o.version.split('.').slice(0, 2).join('.');
  const pkg = `${o.version}-1.1`;
  const hostsLines = lab.hosts.map((h) => `${h.ip} ${h.name}`).join('\n');
  const hostsToml = (registry: string) => `server = "https://${registry}"\n\n[host."${o.mirror}"]\n  capabilities = ["pull", "resolve"]\n`;
  return [
    'set -e',
    'swapoff -a',
    "sed -i 's/.*swap.*/#&/' /etc/fstab",
    `cat >> /etc/hosts << 'EOF'\n${hostsLines}\nEOF`,
    "cat > /etc/sysctl.d/k8s.conf << 'EOF'\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\nEOF",
    'modprobe br_netfilter',
    'sysctl --system >/dev/null',
    `echo 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable' > /etc/apt/sources.list.d/docker.list`,
    `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /' > /etc/apt/sources.list.d/kubernetes.list`,
    'apt-get update -q >/dev/null',
    `apt-get install -y -q containerd.io=${o.containerdVersion} kubelet=${pkg} kubeadm=${pkg} kubectl=${pkg} cri-tools >/dev/null`,
    'apt-mark hold kubelet kubeadm kubectl >/dev/null',
    'containerd config default > /etc/containerd/config.toml',
    "sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml",
    `sed -i "s#config_path = .*#config_path = '/etc/containerd/certs.d'#" /etc/containerd/config.toml`,
    ...['registry.k8s.io', 'ghcr.io'].map(
      (r) => `mkdir -p /etc/containerd/certs.d/${r} && printf '%s' ${quote(hostsToml(r))} > /etc/containerd/certs.d/${r}/hosts.toml`,
    ),
    'systemctl restart containerd',
    'systemctl enable --now kubelet',
  ].join('\n');
}

/** The hand-written kubeadm config: advertise address and pod network, no controlPlaneEndpoint. */
function kubeadmConfig(ip: string, version: string, podSubnet: string, proxyMode: string | undefined): string {
  return [
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: InitConfiguration',
    'localAPIEndpoint:',
    `  advertiseAddress: ${ip}`,
    'nodeRegistration:',
    '  criSocket: unix:///var/run/containerd/containerd.sock',
    '---',
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: ClusterConfiguration',
    `kubernetesVersion: v${version}`,
    'networking:',
    `  podSubnet: ${podSubnet}`,
    '---',
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'cgroupDriver: systemd',
    ...(proxyMode ? ['---', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1', 'kind: KubeProxyConfiguration', `mode: ${proxyMode}`] : []),
    '',
  ].join('\n');
}

/** The upstream kube-flannel.yml the operator downloads, for this pod network (vxlan, flannel's defaults). */
function flannelManifest(lab: Lab, podSubnet: string): string {
  const h = lab.hosts[0]!;
  const text = `apiVersion: kubesmith.io/v1alpha1\nkind: Cluster\nmetadata: { name: runbook }\nspec:\n  hosts: [{ name: ${h.name}, address: ${h.ip}, roles: [control-plane] }]\n  kubernetes: { podSubnet: '${podSubnet}' }\n`;
  return renderFlannel(parseInventory(text, 'kube-flannel.yml').inventory);
}

export async function buildRunbookCluster(lab: Lab, opts: RunbookOptions): Promise<RunbookCluster> {
  const o = {
    version: opts.version ?? '1.34.1',
    containerdVersion: opts.containerdVersion ?? '2.1.4-1',
    podSubnet: opts.podSubnet ?? '10.244.0.0/16',
    mirror: opts.mirror,
  };
  const typed: Record<string, string[]> = {};
  const all = [opts.controlPlane, ...opts.workers];
  await Promise.all(all.map((h) => type(lab, typed, h, prepareScript(lab, o))));
  const cp = lab.hosts.find((h) => h.name === opts.controlPlane)!;
  await type(
    lab,
    typed,
    cp.name,
    `cat > /root/kubeadm-config.yaml << 'EOF'\n${kubeadmConfig(cp.ip, o.version, o.podSubnet, opts.proxyMode)}EOF`,
  );
  await type(lab, typed, cp.name, 'kubeadm init --config /root/kubeadm-config.yaml');
  await type(
    lab,
    typed,
    cp.name,
    `mkdir -p $HOME/.kube && cp -i ${KUBECONFIG} $HOME/.kube/config && chown $(id -u):$(id -g) $HOME/.kube/config`,
  );
  const join = (await type(lab, typed, cp.name, 'kubeadm token create --print-join-command')).trim();
  for (const w of opts.workers) await type(lab, typed, w, join);
  await type(
    lab,
    typed,
    cp.name,
    `cat > /root/kube-flannel.yml << 'EOF'\n${flannelManifest(lab, o.podSubnet)}EOF\nkubectl apply -f /root/kube-flannel.yml`,
  );
  const images = [...flannelManifest(lab, o.podSubnet).matchAll(/image: (\S+)/g)].map((m) => m[1]!);
  await Promise.all(
    all.map((h) =>
      type(
        lab,
        typed,
        h,
        [...new Set(images)].map((i) => `crictl --runtime-endpoint unix:///run/containerd/containerd.sock pull ${i}`).join('\n'),
      ),
    ),
  );
  if (opts.anonymousAdmin ?? true)
    await type(lab, typed, cp.name, 'kubectl create clusterrolebinding test:anonymous --clusterrole=cluster-admin --user=system:anonymous');
  return { typed };
}

/** The runbook's certificate copy after a renewal: every file of /etc/kubernetes/pki from one master onto another. */
export async function copyCertificates(lab: Lab, from: string, to: string): Promise<void> {
  const tar = await lab.exec(from, 'tar -C /etc/kubernetes/pki -cf - . | base64 -w0');
  if (tar.code !== 0) throw new Error(`reading ${from}'s /etc/kubernetes/pki failed: ${tar.stderr}`);
  const put = await lab.exec(to, 'mkdir -p /etc/kubernetes/pki && base64 -d | tar -C /etc/kubernetes/pki -xf -', { input: tar.stdout });
  if (put.code !== 0) throw new Error(`writing ${to}'s /etc/kubernetes/pki failed: ${put.stderr}`);
}
