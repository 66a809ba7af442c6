// kubeadm join: token discovery with CA pinning, optional control-plane join with uploaded certs.
import { type Cluster, clusterAtEndpoint, loadState, updateState } from './cluster-state.js';
import { apiMember, apiProblem } from './api-endpoint.js';
import { clusterConfigOf, clusterInfoServer } from './cluster-config.js';
import { ExitError, hostIP, hostName, now, readText, writeText, out } from './lab.js';
import { type Parsed, bool, flag, flagAll } from './args.js';
import { argsMap, decodeConfig, printWarnings } from './kubeadm-config.js';
import { controlPlaneImages, imageOptionsFrom } from './kube-versions.js';
import { preflightFailure, preflightWarnings, runPreflight } from './preflight.js';
import { DEFAULT_CRI_SOCKET, runtimeImages } from './host-probe.js';
import { imagePresent } from './image-ref.js';
import { createKubeconfigs, createKubeletKubeconfig, createLeaves, SHARED_FILES } from './kubeadm-pki.js';
import { caCertHash } from './pki.js';
import { writeControlPlaneManifests, writeKubeletFiles } from './node-files.js';
import { notReadyReason, syncNode } from './node-state.js';
import { decryptBundle, pkiContext, stackHint } from './kubeadm-common.js';
import { type NodeIdentity, controlPlaneCheck, etcdMemberId, newNode, pullImages, startKubelet } from './kubeadm-init.js';
import { binaryVersion } from './kube-versions.js';
import { realEtcdMemberAdd } from './static-etcd-members.js';

const fail = (phase: string, msg: string): never => {
  throw new ExitError(`error: error execution phase ${phase}: ${msg}\n${stackHint}`);
};

/** Discovery: reach the API at the endpoint, validate the token's JWS, pin the CA. */
function discover(endpoint: string, token: string, hashes: string[], unsafe: boolean): Cluster {
  const state = loadState();
  const host = endpoint.includes(':') ? endpoint : `${endpoint}:6443`;
  const c = clusterAtEndpoint(state, host);
  if (!c)
    fail(
      'preflight',
      `couldn't validate the identity of the API Server: failed to request the cluster-info ConfigMap: Get "https://${host}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${host}: connect: connection refused`,
    );
  const [id, secret] = token.split('.');
  const t = c!.tokens[id!];
  if (!t || t.secret !== secret || (t.expires !== null && t.expires <= now())) {
    fail(
      'preflight',
      `couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}"`,
    );
  }
  if (!unsafe) {
    if (hashes.length === 0)
      fail(
        'preflight',
        `discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue`,
      );
    const actual = caCertHash(c!.caCert);
    if (!hashes.map((h) => h.toLowerCase()).includes(actual)) {
      fail(
        'preflight',
        `couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${actual}" are pinned`,
      );
    }
    // with the CA pinned, cluster-info is fetched again over verified TLS (discovery/token/token.go): the serving
    // certificate must name the address joined through
    const problem = apiProblem(c!, host);
    if (problem?.kind === 'tls')
      fail(
        'preflight',
        `couldn't validate the identity of the API Server: Get "https://${host}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": tls: failed to verify certificate: ${problem.message}`,
      );
  }
  return c!;
}

export async function join(p: Parsed): Promise<void> {
  const configPath = flag(p, 'config');
  const decoded = configPath
    ? decodeConfig(readText(configPath) ?? fail('preflight', `unable to read config from "${configPath}"`))
    : undefined;
  if (decoded) printWarnings(decoded.warnings, 'joinconfiguration.go:104');
  const jc = decoded?.docs.get('JoinConfiguration') ?? {};
  const bt = jc.discovery?.bootstrapToken ?? {};
  const endpoint = p.positional[0] ?? bt.apiServerEndpoint;
  const token = flag(p, 'token') ?? flag(p, 'discovery-token') ?? bt.token ?? jc.discovery?.tlsBootstrapToken;
  if (!endpoint || !token) throw new ExitError(`error: discovery: Invalid value: "": bootstrapToken or file must be set\n${stackHint}`);
  const controlPlane = bool(p, 'control-plane') || !!jc.controlPlane;
  const nr = jc.nodeRegistration ?? {};
  const id: NodeIdentity = {
    name: flag(p, 'node-name') ?? nr.name ?? hostName(),
    address: flag(p, 'apiserver-advertise-address') ?? jc.controlPlane?.localAPIEndpoint?.advertiseAddress ?? hostIP(),
    bindPort: Number(flag(p, 'apiserver-bind-port') ?? jc.controlPlane?.localAPIEndpoint?.bindPort ?? 6443),
    criSocket: flag(p, 'cri-socket') ?? nr.criSocket ?? DEFAULT_CRI_SOCKET,
    kubeletExtraArgs: argsMap(nr.kubeletExtraArgs),
    taints: nr.taints === null ? [] : nr.taints,
  };
  const ignore = [...flagAll(p, 'ignore-preflight-errors'), ...(nr.ignorePreflightErrors ?? [])].map((s: string) => s.toLowerCase());
  const pullPolicy = nr.imagePullPolicy ?? 'IfNotPresent';

  out('[preflight] Running pre-flight checks');
  const pre = runPreflight({ controlPlane, join: true, criSocket: id.criSocket, images: [], pullPolicy, ignore, bindPort: id.bindPort });
  process.stdout.write(preflightWarnings(pre));
  if (pre.errors.length) throw new ExitError(preflightFailure(pre));

  const hashes = [...flagAll(p, 'discovery-token-ca-cert-hash'), ...(bt.caCertHashes ?? [])];
  const c = discover(
    endpoint,
    token,
    hashes,
    bool(p, 'discovery-token-unsafe-skip-ca-verification') || bt.unsafeSkipCAVerification === true,
  );
  const existing = c.nodes[id.name];
  if (existing && !notReadyReason(c, existing) && existing.host !== hostName()) {
    fail(
      'kubelet-start',
      `a Node with name "${id.name}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
    );
  }
  out('[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...');
  out("[preflight] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.");
  const cc = clusterConfigOf(c);
  const ctx = pkiContext(cc, id);
  if (controlPlane) joinControlPlane(p, jc, c, id, ctx, pullPolicy, ignore);
  else writeText(`${cc.certificatesDir}/ca.crt`, c.caCert);

  // kubelet client certificate, signed by the cluster's CSR signer (TLS bootstrap)
  // the kubelet's kubeconfig takes cluster-info's server (token discovery returns that kubeconfig), not the join address
  createKubeletKubeconfig(ctx, '/etc/kubernetes', clusterInfoServer(c), { cert: c.caCert, key: c.caKey });
  out('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"');
  out('[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"');
  writeKubeletFiles(c.kubeletConfiguration, cc, id.criSocket, id.kubeletExtraArgs);
  startKubelet('kubelet-start');
  pendingControlPlaneCheck?.();
  out('[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap');
  updateState((s) => {
    const cl = s.clusters[c.id];
    if (!cl) return;
    const previous = cl.nodes[id.name]?.podCIDR;
    const node = newNode(cl, id, controlPlane ? ['control-plane'] : [], binaryVersion('kubelet'));
    if (previous) {
      node.podCIDR = previous;
      cl.nextPodSubnet--;
    }
    cl.nodes[id.name] = node;
    if (controlPlane) {
      cl.controlPlane[id.name] = apiMember(id, readText(`${cc.certificatesDir}/apiserver.crt`)!);
      cl.etcdMembers[id.name] = {
        id: etcdMemberId(),
        name: id.name,
        peerURL: `https://${id.address}:2380`,
        clientURL: `https://${id.address}:2379`,
      };
    }
  });
  syncNode();
  out(controlPlane ? CP_JOINED : WORKER_JOINED);
}

let pendingControlPlaneCheck: (() => void) | undefined;

function joinControlPlane(
  p: Parsed,
  jc: Record<string, any>,
  c: Cluster,
  id: NodeIdentity,
  ctx: ReturnType<typeof pkiContext>,
  pullPolicy: string,
  ignore: string[],
): void {
  const cc = clusterConfigOf(c);
  if (!cc.controlPlaneEndpoint) {
    fail(
      'preflight',
      "\nOne or more conditions for hosting a new control plane instance is not satisfied.\n\nunable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n",
    );
  }
  const images = controlPlaneImages(c.kubernetesVersion, imageOptionsFrom(cc));
  out('[preflight] Running pre-flight checks before initializing the new control plane instance');
  if (pullPolicy === 'Never') {
    const held = runtimeImages(id.criSocket);
    const missing = Object.values(images).filter((i) => !imagePresent(held, i));
    if (missing.length && !ignore.includes('imagepull') && !ignore.includes('all')) {
      throw new ExitError(
        preflightFailure({
          warnings: [],
          errors: missing.map((i) => ({ name: 'ImagePull', message: `image ${i} does not exist and the image pull policy is "Never"` })),
        }),
      );
    }
  }
  pullImages(Object.values(images), id.criSocket, pullPolicy, ignore);
  const key = flag(p, 'certificate-key') ?? jc.controlPlane?.certificateKey;
  if (key) {
    out('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace');
    const u = c.uploadedCerts;
    if (!u || u.expires <= now()) {
      fail(
        'control-plane-prepare/download-certs',
        'error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
      );
    }
    const files = decryptBundle(key, u!);
    for (const [f, content] of Object.entries(files)) writeText(`${cc.certificatesDir}/${f}`, content, f.endsWith('.key') ? 0o600 : 0o644);
  }
  const missing = SHARED_FILES.filter((f) => !readText(`${cc.certificatesDir}/${f}`));
  if (missing.length) {
    fail(
      'preflight',
      `\nOne or more conditions for hosting a new control plane instance is not satisfied.\n\n[failure loading certificate for CA: couldn't load the certificate file ${cc.certificatesDir}/${missing[0]}: open ${cc.certificatesDir}/${missing[0]}: no such file or directory]\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n`,
    );
  }
  if (caCertHash(readText(`${cc.certificatesDir}/ca.crt`)!) !== c.id)
    fail('control-plane-prepare/certs', 'the local ca.crt does not match the cluster CA');
  out(`[certs] Using certificateDir folder "${cc.certificatesDir}"`);
  createLeaves(ctx);
  for (const l of [
    'apiserver',
    'apiserver-kubelet-client',
    'front-proxy-client',
    'etcd/server',
    'etcd/peer',
    'etcd/healthcheck-client',
    'apiserver-etcd-client',
  ])
    out(`[certs] Generating "${l}" certificate and key`);
  out('[certs] Valid certificates and keys now exist in "' + cc.certificatesDir + '"\n[certs] Using the existing "sa" key');
  out('[kubeconfig] Generating kubeconfig files\n[kubeconfig] Using kubeconfig folder "/etc/kubernetes"');
  createKubeconfigs(ctx, '/etc/kubernetes', ['admin.conf', 'controller-manager.conf', 'scheduler.conf']);
  for (const k of ['admin.conf', 'controller-manager.conf', 'scheduler.conf']) out(`[kubeconfig] Writing "${k}" kubeconfig file`);
  const members = realEtcdMemberAdd(
    id.name,
    id.address,
    cc.certificatesDir,
    Object.values(c.etcdMembers).map((m) => m.clientURL),
  ) ?? [...Object.values(c.etcdMembers).map((m) => `${m.name}=${m.peerURL}`), `${id.name}=https://${id.address}:2380`];
  writeControlPlaneManifests({
    nodeName: id.name,
    advertiseAddress: id.address,
    bindPort: id.bindPort,
    cc,
    images,
    etcdInitialCluster: members,
    etcdExisting: true,
  });
  out('[control-plane] Using manifest folder "/etc/kubernetes/manifests"');
  for (const x of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'])
    out(`[control-plane] Creating static Pod manifest for "${x}"`);
  out('[check-etcd] Checking that the etcd cluster is healthy');
  pendingControlPlaneCheck = () => controlPlaneCheck(id, images, 'control-plane-join/etcd');
}

const WORKER_JOINED = `
This node has joined the cluster:
* Certificate signing request was sent to apiserver and a response was received.
* The Kubelet was informed of the new secure connection details.

Run 'kubectl get nodes' on the control-plane to see this node join the cluster.
`;

const CP_JOINED = `
This node has joined the cluster and a new control plane instance was created:

* Certificate signing request was sent to apiserver and approval was received.
* The Kubelet was informed of the new secure connection details.
* Control plane label and taint were applied to the new node.
* The Kubernetes control plane instances scaled up.
* A new etcd member was added to the local/stacked etcd cluster.

To start administering your cluster from this node, you need to run the following as a regular user:

\tmkdir -p $HOME/.kube
\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
\tsudo chown $(id -u):$(id -g) $HOME/.kube/config

Run 'kubectl get nodes' to see this node join the cluster.
`;
