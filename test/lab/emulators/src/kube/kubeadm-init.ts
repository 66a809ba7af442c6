// kubeadm init: config → preflight → PKI → kubeconfigs → manifests → kubelet → cluster state → closing text.
import { type Cluster, type KubeNode, allocatePodCIDR, objectKey, updateState } from './cluster-state.js';
import { ExitError, hostIP, hostName, now, readText, out } from './lab.js';
import { type Parsed, bool, flag, flagAll, parseDuration } from './args.js';
import { argsMap, decodeConfig, printWarnings } from './kubeadm-config.js';
import { binaryVersion, controlPlaneImages, imageOptionsFrom, normalizeVersion } from './kube-versions.js';
import { preflightFailure, preflightWarnings, runPreflight } from './preflight.js';
import { DEFAULT_CRI_SOCKET, runtimeImages, runEmulatorSafe, systemctl } from './host-probe.js';
import { createCAs, createKubeconfigs, createKubeletKubeconfig, createLeaves } from './kubeadm-pki.js';
import { caCertHash, certInfo } from './pki.js';
import { apiMember } from './api-endpoint.js';
import { KUBELET_CONFIG, writeControlPlaneManifests, writeKubeletFiles } from './node-files.js';
import { nodeResources, parseNodeLabels } from './kubelet-node.js';
import { kubeletRunning, syncNode } from './node-state.js';
import {
  HOUR,
  TOKEN_RE,
  defaultClusterConfiguration,
  generateCertificateKey,
  generateToken,
  joinCommandBlock,
  pkiContext,
  stackHint,
  uploadCerts,
} from './kubeadm-common.js';
import { addonObjects } from './addons.js';
import { imagePresent } from './image-ref.js';

export interface NodeIdentity {
  name: string;
  address: string;
  bindPort: number;
  criSocket: string;
  kubeletExtraArgs: Record<string, string>;
  taints?: KubeNode['taints'];
}

export function newNode(c: Cluster, id: NodeIdentity, roles: string[], version: string): KubeNode {
  // the kubelet registers with its --node-labels; kubeadm then marks control planes
  const labels: Record<string, string> = {
    ...parseNodeLabels(id.kubeletExtraArgs['node-labels']),
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
  };
  if (roles.includes('control-plane'))
    Object.assign(labels, { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' });
  return {
    ...nodeResources(readText(KUBELET_CONFIG) ?? ''),
    name: id.name,
    host: hostName(),
    roles,
    labels,
    taints: id.taints ?? (roles.includes('control-plane') ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : []),
    kubeletVersion: version,
    internalIP: id.kubeletExtraArgs['node-ip'] ?? id.address,
    podCIDR: allocatePodCIDR(c),
    unschedulable: false,
    created: now(),
    criSocket: id.criSocket,
    osImage: /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readText('/etc/os-release') ?? '')?.[1],
    status: { kubeletActive: false, cniConfigured: false, images: [], updatedAt: 0 },
  };
}

/** Start the kubelet and wait for it like kubeadm's kubelet-check (at once: the emulator needs no 4 minutes). */
export function startKubelet(phase: string): void {
  out('[kubelet-start] Starting the kubelet');
  systemctl('restart', 'kubelet');
  out(`[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s`);
  if (!kubeletRunning()) {
    out(
      "[kubelet-check] The kubelet is not healthy after 4m0.000000000s\n\nUnfortunately, an error has occurred, likely caused by:\n\t- The kubelet is not running\n\t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)\n\nIf you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:\n\t- 'systemctl status kubelet'\n\t- 'journalctl -xeu kubelet'\n",
    );
    throw new ExitError(
      `error: error execution phase ${phase}: failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error: Get "http://127.0.0.1:10248/healthz": dial tcp 127.0.0.1:10248: connect: connection refused\n\n${stackHint}`,
    );
  }
  out('[kubelet-check] The kubelet is healthy after 1.001234567s');
}

export function pullImages(images: string[], criSocket: string, policy: string, ignore: string[], tag = '[preflight]'): void {
  if (policy === 'Never') return;
  out(
    `${tag} Pulling images required for setting up a Kubernetes cluster\n${tag} This might take a minute or two, depending on the speed of your internet connection\n${tag} You can also perform this action beforehand using 'kubeadm config images pull'`,
  );
  const held = runtimeImages(criSocket);
  const failed: string[] = [];
  for (const image of images) {
    if (imagePresent(held, image)) continue;
    const r = runEmulatorSafe('crictl', ['--runtime-endpoint', criSocket, 'pull', image]);
    if (r && r.code !== 0) {
      const last =
        r.stderr
          .trim()
          .split('\n')
          .at(-1)
          ?.replace(/^FATA\[\d+\] (pulling image: )?/, '') || 'exit status 1';
      failed.push(`\t[ERROR ImagePull]: failed to pull image ${image}: failed to pull image ${image}: ${last}`);
    }
  }
  if (failed.length && (ignore.includes('imagepull') || ignore.includes('all'))) {
    for (const f of failed) out(f.replace('[ERROR ImagePull]', '[WARNING ImagePull]'));
  } else if (failed.length) {
    throw new ExitError(
      [
        '[preflight] Some fatal errors occurred:',
        ...failed,
        '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`',
        'error: error execution phase preflight: preflight checks failed',
        stackHint,
      ].join('\n'),
    );
  }
}

export async function init(p: Parsed): Promise<void> {
  const configPath = flag(p, 'config');
  const decoded = configPath
    ? decodeConfig(
        readText(configPath) ?? fail(`unable to read config from "${configPath}" : open ${configPath}: no such file or directory`),
      )
    : undefined;
  if (decoded) printWarnings(decoded.warnings);
  const ic = decoded?.docs.get('InitConfiguration') ?? {};
  const version = normalizeVersion(
    flag(p, 'kubernetes-version') ?? decoded?.docs.get('ClusterConfiguration')?.kubernetesVersion ?? binaryVersion('kubeadm'),
  );
  const ccIn = { ...(decoded?.docs.get('ClusterConfiguration') ?? {}) };
  if (flag(p, 'control-plane-endpoint')) ccIn.controlPlaneEndpoint = flag(p, 'control-plane-endpoint');
  if (flag(p, 'image-repository')) ccIn.imageRepository = flag(p, 'image-repository');
  const cc = defaultClusterConfiguration(ccIn, version);
  if (flag(p, 'pod-network-cidr')) cc.networking.podSubnet = flag(p, 'pod-network-cidr');
  if (flag(p, 'service-cidr')) cc.networking.serviceSubnet = flag(p, 'service-cidr');
  if (flag(p, 'service-dns-domain')) cc.networking.dnsDomain = flag(p, 'service-dns-domain');
  if (flagAll(p, 'apiserver-cert-extra-sans').length) cc.apiServer = { ...cc.apiServer, certSANs: flagAll(p, 'apiserver-cert-extra-sans') };
  const nr = ic.nodeRegistration ?? {};
  const id: NodeIdentity = {
    name: flag(p, 'node-name') ?? nr.name ?? hostName(),
    address: flag(p, 'apiserver-advertise-address') ?? ic.localAPIEndpoint?.advertiseAddress ?? hostIP(),
    bindPort: Number(flag(p, 'apiserver-bind-port') ?? ic.localAPIEndpoint?.bindPort ?? 6443),
    criSocket: flag(p, 'cri-socket') ?? nr.criSocket ?? DEFAULT_CRI_SOCKET,
    kubeletExtraArgs: argsMap(nr.kubeletExtraArgs),
    taints: nr.taints === null ? [] : nr.taints,
  };
  if (!cc.controlPlaneEndpoint) cc.controlPlaneEndpoint = '';
  const endpoint = cc.controlPlaneEndpoint
    ? cc.controlPlaneEndpoint.includes(':')
      ? cc.controlPlaneEndpoint
      : `${cc.controlPlaneEndpoint}:${id.bindPort}`
    : `${id.address}:${id.bindPort}`;
  const skip = [...flagAll(p, 'skip-phases'), ...(ic.skipPhases ?? [])];
  const pullPolicy = nr.imagePullPolicy ?? 'IfNotPresent';
  const images = controlPlaneImages(version, imageOptionsFrom(cc));
  const needed = Object.entries(images)
    .filter(
      ([k]) =>
        !(k === 'kube-proxy' && (skip.includes('addon/kube-proxy') || cc.proxy?.disabled)) &&
        !(k === 'coredns' && (skip.includes('addon/coredns') || cc.dns?.disabled)),
    )
    .map(([, v]) => v);

  out(`[init] Using Kubernetes version: ${version}`);
  out('[preflight] Running pre-flight checks');
  const ignore = [...flagAll(p, 'ignore-preflight-errors'), ...(nr.ignorePreflightErrors ?? [])].map((s: string) => s.toLowerCase());
  const pre = runPreflight({
    controlPlane: true,
    join: false,
    criSocket: id.criSocket,
    images: needed,
    pullPolicy,
    ignore,
    bindPort: id.bindPort,
  });
  process.stdout.write(preflightWarnings(pre));
  if (pre.errors.length) throw new ExitError(preflightFailure(pre));
  pullImages(needed, id.criSocket, pullPolicy, ignore);

  const ctx = pkiContext(cc, id);
  out(`[certs] Using certificateDir folder "${cc.certificatesDir}"`);
  createCAs(ctx);
  createLeaves(ctx);
  const api = certInfo(readText(`${cc.certificatesDir}/apiserver.crt`)!);
  const etcdSans = certInfo(readText(`${cc.certificatesDir}/etcd/server.crt`)!);
  const signedFor = (what: string, i: { dnsNames: string[]; ips: string[] }) =>
    out(`[certs] ${what} serving cert is signed for DNS names [${i.dnsNames.join(' ')}] and IPs [${i.ips.join(' ')}]`);
  for (const name of [
    'ca',
    'apiserver',
    'apiserver-kubelet-client',
    'front-proxy-ca',
    'front-proxy-client',
    'etcd/ca',
    'etcd/server',
    'etcd/peer',
    'etcd/healthcheck-client',
    'apiserver-etcd-client',
  ]) {
    out(`[certs] Generating "${name}" certificate and key`);
    if (name === 'apiserver') signedFor('apiserver', api);
    if (name === 'etcd/server' || name === 'etcd/peer') signedFor(name, etcdSans);
  }
  out('[certs] Generating "sa" key and public key');
  out('[kubeconfig] Using kubeconfig folder "/etc/kubernetes"');
  createKubeconfigs(ctx, '/etc/kubernetes', ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf']);
  createKubeletKubeconfig(ctx, '/etc/kubernetes', `https://${endpoint}`);
  for (const k of ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'controller-manager.conf', 'scheduler.conf'])
    out(`[kubeconfig] Writing "${k}" kubeconfig file`);
  out('[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"');
  writeControlPlaneManifests({
    nodeName: id.name,
    advertiseAddress: id.address,
    bindPort: id.bindPort,
    cc,
    images,
    etcdInitialCluster: [`${id.name}=https://${id.address}:2380`],
    etcdExisting: false,
  });
  out('[control-plane] Using manifest folder "/etc/kubernetes/manifests"');
  for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'])
    out(`[control-plane] Creating static Pod manifest for "${c}"`);
  out('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"');
  out('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"');
  const kubeletConfig = decoded?.docs.get('KubeletConfiguration') ?? {};
  writeKubeletFiles(kubeletConfig, cc, id.criSocket, id.kubeletExtraArgs);
  out(
    '[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"',
  );
  startKubelet('wait-control-plane');
  controlPlaneCheck(id, images, 'wait-control-plane');

  const caCert = readText(`${cc.certificatesDir}/ca.crt`)!;
  const hash = caCertHash(caCert);
  const bt = ic.bootstrapTokens?.[0] ?? {};
  const token = flag(p, 'token') ?? bt.token ?? generateToken();
  if (!TOKEN_RE.test(token))
    throw new ExitError(`error: the bootstrap token "${token}" was not of the form "[a-z0-9]{6}.[a-z0-9]{16}"\n${stackHint}`);
  const ttl = parseDuration(flag(p, 'token-ttl') ?? bt.ttl ?? '24h0m0s');
  const upload = bool(p, 'upload-certs') && !skip.includes('upload-certs');
  const certKey = upload ? (flag(p, 'certificate-key') ?? ic.certificateKey ?? generateCertificateKey()) : undefined;
  const addons = addonObjects(cc, images, skip, {
    kubelet: readText(KUBELET_CONFIG),
    proxy: decoded?.docs.get('KubeProxyConfiguration'),
    api: { server: `https://${endpoint}`, caCert },
  });
  updateState((s) => {
    const c: Cluster = {
      id: hash,
      name: cc.clusterName,
      created: now(),
      endpoint,
      kubernetesVersion: version,
      caCert,
      caKey: readText(`${cc.certificatesDir}/ca.key`)!,
      clusterConfiguration: cc,
      kubeletConfiguration: kubeletConfig,
      tokens: {},
      controlPlane: {},
      etcdMembers: {},
      nodes: {},
      objects: {},
      nextPodSubnet: 0,
      resourceVersion: 1,
    };
    s.clusters[hash] = c;
    const [tid, secret] = token.split('.');
    c.tokens[tid!] = {
      id: tid!,
      secret: secret!,
      description: bt.description ?? "The default bootstrap token generated by 'kubeadm init'.",
      usages: bt.usages ?? ['authentication', 'signing'],
      groups: bt.groups ?? ['system:bootstrappers:kubeadm:default-node-token'],
      created: now(),
      expires: ttl === 0 ? null : now() + ttl,
    };
    c.controlPlane[id.name] = apiMember(id, readText(`${cc.certificatesDir}/apiserver.crt`)!);
    c.etcdMembers[id.name] = {
      id: etcdMemberId(),
      name: id.name,
      peerURL: `https://${id.address}:2380`,
      clientURL: `https://${id.address}:2379`,
    };
    c.nodes[id.name] = newNode(c, id, ['control-plane'], binaryVersion('kubelet'));
    for (const o of addons) c.objects[objectKey(String(o.kind), o.metadata?.namespace, o.metadata!.name!)] = o;
    if (certKey) uploadCerts(c, certKey, cc.certificatesDir);
  });
  out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace');
  out('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster');
  if (certKey)
    out(
      `[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${certKey}`,
    );
  else out('[upload-certs] Skipping phase. Please see --upload-certs');
  out(
    `[mark-control-plane] Marking the node ${id.name} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
  );
  out(
    `[mark-control-plane] Marking the node ${id.name} as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]`,
  );
  out(`[bootstrap-token] Using token: ${token}`);
  out(
    '[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles\n[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes\n[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials\n[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token\n[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster\n[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace',
  );
  out('[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key');
  for (const o of addons) if (o.kind === 'Deployment') out('[addons] Applied essential addon: CoreDNS');
  for (const o of addons) if (o.kind === 'DaemonSet') out('[addons] Applied essential addon: kube-proxy');
  syncNode();
  out(closingText({ endpoint, token, hash, certKey, controlPlaneEndpoint: cc.controlPlaneEndpoint }));
}

/** The static pods start only when the runtime holds their images (the kubelet cannot pull in the lab either). */
export function controlPlaneCheck(id: NodeIdentity, images: Record<string, string>, phase: string): void {
  const checks: [string, string][] = [
    ['kube-apiserver', `https://${id.address}:${id.bindPort}/livez`],
    ['kube-controller-manager', 'https://127.0.0.1:10257/healthz'],
    ['kube-scheduler', 'https://127.0.0.1:10259/livez'],
  ];
  out('[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s');
  for (const [c, url] of checks) out(`[control-plane-check] Checking ${c} at ${url}`);
  const held = runtimeImages(id.criSocket);
  const sandboxOk = imagePresent(held, images.pause!);
  const down = checks.filter(
    ([c]) => !sandboxOk || !imagePresent(held, images[c]!) || (c === 'kube-apiserver' && !imagePresent(held, images.etcd!)),
  );
  for (const [c] of checks) {
    out(
      down.some(([d]) => d === c)
        ? `[control-plane-check] ${c} is not healthy after 4m0.000000000s`
        : `[control-plane-check] ${c} is healthy after 2.501234567s`,
    );
  }
  if (!down.length) return;
  const host = (u: string) => u.replace(/^https:\/\//, '').replace(/\/.*$/, '');
  const why = down
    .map(([c, u]) => `${c} check failed at ${u}: Get "${u}?timeout=10s": dial tcp ${host(u)}: connect: connection refused`)
    .join(', ');
  out(
    "\nA control plane component may have crashed or exited when started by the container runtime.\nTo troubleshoot, list all containers using your preferred container runtimes CLI.\nHere is one example how you may list all running Kubernetes containers by using crictl:\n\t- 'crictl --runtime-endpoint " +
      id.criSocket +
      " ps -a | grep kube | grep -v pause'\n\tOnce you have found the failing container, you can inspect its logs with:\n\t- 'crictl --runtime-endpoint " +
      id.criSocket +
      " logs CONTAINERID'\n",
  );
  throw new ExitError(`error: error execution phase ${phase}: failed while waiting for the control plane to start: [${why}]\n${stackHint}`);
}

export const etcdMemberId = (): string => [...Array(16)].map(() => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

export function closingText(o: { endpoint: string; token: string; hash: string; certKey?: string; controlPlaneEndpoint: string }): string {
  let s = `
Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

`;
  const j = { endpoint: o.endpoint, token: o.token, hash: o.hash };
  if (o.controlPlaneEndpoint) {
    if (o.certKey) {
      s += `You can now join any number of control-plane nodes running the following command on each as root:\n\n  ${joinCommandBlock({ ...j, controlPlane: true, certificateKey: o.certKey })}\n\nPlease note that the certificate-key gives access to cluster sensitive data, keep it secret!\nAs a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use\n"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.\n\n`;
    } else {
      s += `You can now join any number of control-plane nodes by copying certificate authorities\nand service account keys on each node and then running the following as root:\n\n  ${joinCommandBlock({ ...j, controlPlane: true })}\n\n`;
    }
  }
  s += `Then you can join any number of worker nodes by running the following on each as root:\n\n${joinCommandBlock(j)}\n`;
  return s;
}

function fail(msg: string): never {
  throw new ExitError(`error: ${msg}\n${stackHint}`);
}

export const TWO_HOURS = 2 * HOUR;
