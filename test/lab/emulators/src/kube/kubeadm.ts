// Emulated kubeadm: entry point and the small subcommands (version, config, certs certificate-key).
import YAML from './yaml-lazy.js';
import { ExitError, main, out, readText } from './lab.js';
import { parseArgs, flag, type Parsed } from './args.js';
import { binaryVersion, controlPlaneImages, imageOptionsFrom, normalizeVersion, versionInfo } from './kube-versions.js';
import { decodeConfig, printWarnings } from './kubeadm-config.js';
import { init } from './kubeadm-init.js';
import { join } from './kubeadm-join.js';
import { reset } from './kubeadm-reset.js';
import { upgrade } from './kubeadm-upgrade.js';
import { checkExpiration, renew, tokenCommand, uploadCertsPhase } from './kubeadm-admin.js';
import { generateCertificateKey, stackHint } from './kubeadm-common.js';
import { hostIP, hostName } from './lab.js';
import { certsApiserverPhase } from './kubeadm-phase-certs.js';

const BOOLEANS = [
  'upload-certs',
  'control-plane',
  'print-join-command',
  'force',
  'f',
  'discovery-token-unsafe-skip-ca-verification',
  'skip-token-print',
  'skip-certificate-key-print',
  'dry-run',
  'allow-experimental-upgrades',
  'cleanup-tmp-dir',
  'yes',
  'certificate-renewal',
  'etcd-upgrade',
  'allow-release-candidate-upgrades',
  'h',
  'help',
];

function version(p: Parsed): void {
  const v = binaryVersion('kubeadm');
  const o = flag(p, 'output');
  if (o === 'short') return out(v);
  const info = versionInfo(v);
  if (o === 'json') return out(JSON.stringify({ clientVersion: info }, null, 2));
  if (o === 'yaml') return out(YAML.stringify({ clientVersion: info }));
  const go = `&version.Info{Major:"${info.major}", Minor:"${info.minor}", EmulationMajor:"", EmulationMinor:"", MinCompatibilityMajor:"", MinCompatibilityMinor:"", GitVersion:"${v}", GitCommit:"${info.gitCommit}", GitTreeState:"clean", BuildDate:"${info.buildDate}", GoVersion:"${info.goVersion}", Compiler:"gc", Platform:"linux/amd64"}`;
  out(`kubeadm version: ${go}`);
}

function configCommand(p: Parsed): void {
  const [, sub, sub2] = p.positional;
  const file = flag(p, 'config');
  const decoded = file
    ? decodeConfig(readText(file) ?? fail(`unable to read config from "${file}" : open ${file}: no such file or directory`))
    : undefined;
  if (sub === 'images' && sub2 === 'list') {
    if (decoded) printWarnings(decoded.warnings);
    const cc = decoded?.docs.get('ClusterConfiguration');
    const v = normalizeVersion(flag(p, 'kubernetes-version') ?? cc?.kubernetesVersion ?? binaryVersion('kubeadm'));
    const images = controlPlaneImages(v, imageOptionsFrom(cc, flag(p, 'image-repository')));
    const list = Object.values(images);
    if (flag(p, 'output') === 'json')
      return out(JSON.stringify({ kind: 'Images', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', images: list }, null, 2));
    return out(list.join('\n'));
  }
  if (sub === 'validate') {
    if (!decoded) fail('the --config flag is mandatory');
    if (decoded!.warnings.some((w) => w.includes('strict decoding error'))) {
      throw new ExitError(`${decoded!.warnings.filter((w) => w.includes('strict decoding error')).join('\n')}\n${stackHint}`);
    }
    return out('ok');
  }
  if (sub === 'print' && sub2 === 'init-defaults') return out(initDefaults());
  if (sub === 'print' && sub2 === 'join-defaults') return out(joinDefaults());
  throw new ExitError(`error: unknown command "${sub ?? ''}" for "kubeadm config"`);
}

function fail(msg: string): never {
  throw new ExitError(`error: ${msg}\n${stackHint}`);
}

const TIMEOUTS = `timeouts:
  controlPlaneComponentHealthCheck: 4m0s
  discovery: 5m0s
  etcdAPICall: 2m0s
  kubeletHealthCheck: 4m0s
  kubernetesAPICall: 1m0s
  tlsBootstrap: 5m0s
  upgradeManifests: 5m0s`;

function initDefaults(): string {
  const v = binaryVersion('kubeadm');
  return `apiVersion: kubeadm.k8s.io/v1beta4
bootstrapTokens:
- groups:
  - system:bootstrappers:kubeadm:default-node-token
  token: abcdef.0123456789abcdef
  ttl: 24h0m0s
  usages:
  - signing
  - authentication
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 1.2.3.4
  bindPort: 6443
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  imagePullPolicy: IfNotPresent
  imagePullSerial: true
  name: node
  taints: null
${TIMEOUTS}
---
apiServer: {}
apiVersion: kubeadm.k8s.io/v1beta4
caCertificateValidityPeriod: 87600h0m0s
certificateValidityPeriod: 8760h0m0s
certificatesDir: /etc/kubernetes/pki
clusterName: kubernetes
controllerManager: {}
dns: {}
encryptionAlgorithm: RSA-2048
etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
kubernetesVersion: ${v.replace(/\.\d+$/, '.0')}
networking:
  dnsDomain: cluster.local
  serviceSubnet: 10.96.0.0/12
proxy: {}
scheduler: {}`;
}

function joinDefaults(): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
caCertPath: /etc/kubernetes/pki/ca.crt
discovery:
  bootstrapToken:
    apiServerEndpoint: kube-apiserver:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
  tlsBootstrapToken: abcdef.0123456789abcdef
kind: JoinConfiguration
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  imagePullPolicy: IfNotPresent
  imagePullSerial: true
  name: ${hostName()}
  taints: null
${TIMEOUTS}
# node address ${hostIP()}`;
}

export async function kubeadm(argv: string[]): Promise<void> {
  const p = parseArgs(argv, BOOLEANS, { o: 'output', f: 'force', y: 'yes' });
  const [cmd, sub] = p.positional;
  const rest = (n: number): Parsed => ({ ...p, positional: p.positional.slice(n) });
  switch (cmd) {
    case 'version':
      return version(p);
    case 'config':
      return configCommand(p);
    case 'init':
      if (sub === 'phase' && p.positional[2] === 'upload-certs') return uploadCertsPhase(rest(3));
      if (sub === 'phase' && p.positional[2] === 'certs' && p.positional[3] === 'apiserver') return certsApiserverPhase(rest(4));
      if (sub === 'phase') fail(`the emulator supports "init phase upload-certs" and "init phase certs apiserver" only`);
      return init(rest(1));
    case 'join':
      return join(rest(1));
    case 'reset':
      return reset(rest(1));
    case 'upgrade':
      return upgrade(rest(1));
    case 'token':
      return tokenCommand(sub, rest(2));
    case 'certs':
      if (sub === 'certificate-key') return out(generateCertificateKey());
      if (sub === 'check-expiration') return checkExpiration(rest(2));
      if (sub === 'renew') return renew(rest(2));
      return fail(`unknown command "${sub ?? ''}" for "kubeadm certs"`);
    default:
      throw new ExitError(`unknown command "${cmd ?? ''}" for "kubeadm"\nRun 'kubeadm --help' for usage.`);
  }
}

await main('kubeadm', kubeadm);
