// Files kubeadm writes on a node besides the PKI: static pod manifests, kubelet config and flags.
import YAML from './yaml-lazy.js';
import { writeText } from './lab.js';
import { argsMap } from './kubeadm-config.js';
import { firstServiceIP } from './kubeadm-pki.js';

export interface ControlPlaneNode {
  nodeName: string;
  advertiseAddress: string;
  bindPort: number;
  cc: Record<string, any>; // ClusterConfiguration (defaulted)
  images: Record<string, string>;
  etcdInitialCluster: string[]; // "name=https://ip:2380"
  etcdExisting: boolean;
}

function staticPod(name: string, component: string, image: string, flags: Record<string, string>, port: number, mounts: string[]): string {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: { component, tier: 'control-plane' }, name, namespace: 'kube-system' },
    spec: {
      containers: [
        {
          command: [
            component,
            ...Object.entries(flags)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => `--${k}=${v}`),
          ],
          image,
          imagePullPolicy: 'IfNotPresent',
          livenessProbe: {
            failureThreshold: 8,
            httpGet: { path: component === 'etcd' ? '/livez' : '/livez', port, scheme: component === 'etcd' ? 'HTTP' : 'HTTPS' },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 15,
          },
          name: component,
          resources: { requests: { cpu: component === 'etcd' ? '100m' : '250m' } },
          volumeMounts: mounts.map((m, i) => ({ mountPath: m, name: `vol-${i}`, readOnly: !m.includes('etcd') || component !== 'etcd' })),
        },
      ],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: mounts.map((m, i) => ({ hostPath: { path: m, type: 'DirectoryOrCreate' }, name: `vol-${i}` })),
    },
    status: {},
  };
  return YAML.stringify(pod);
}

export function writeControlPlaneManifests(n: ControlPlaneNode): void {
  const cc = n.cc;
  const pki = cc.certificatesDir as string;
  const svc = cc.networking.serviceSubnet as string;
  const dir = '/etc/kubernetes/manifests';
  const apiserver = {
    'advertise-address': n.advertiseAddress,
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': `${pki}/ca.crt`,
    'enable-admission-plugins': 'NodeRestriction',
    'enable-bootstrap-token-auth': 'true',
    'etcd-cafile': `${pki}/etcd/ca.crt`,
    'etcd-certfile': `${pki}/apiserver-etcd-client.crt`,
    'etcd-keyfile': `${pki}/apiserver-etcd-client.key`,
    'etcd-servers': 'https://127.0.0.1:2379',
    'kubelet-client-certificate': `${pki}/apiserver-kubelet-client.crt`,
    'kubelet-client-key': `${pki}/apiserver-kubelet-client.key`,
    'proxy-client-cert-file': `${pki}/front-proxy-client.crt`,
    'proxy-client-key-file': `${pki}/front-proxy-client.key`,
    'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
    'secure-port': String(n.bindPort),
    'service-account-issuer': `https://kubernetes.default.svc.${cc.networking.dnsDomain}`,
    'service-account-key-file': `${pki}/sa.pub`,
    'service-account-signing-key-file': `${pki}/sa.key`,
    'service-cluster-ip-range': svc,
    'tls-cert-file': `${pki}/apiserver.crt`,
    'tls-private-key-file': `${pki}/apiserver.key`,
    ...argsMap(cc.apiServer?.extraArgs),
  };
  writeText(
    `${dir}/kube-apiserver.yaml`,
    staticPod('kube-apiserver', 'kube-apiserver', n.images['kube-apiserver']!, apiserver, n.bindPort, ['/etc/ssl/certs', pki]),
    0o600,
  );
  const cm: Record<string, string> = {
    'authentication-kubeconfig': '/etc/kubernetes/controller-manager.conf',
    'authorization-kubeconfig': '/etc/kubernetes/controller-manager.conf',
    'bind-address': '127.0.0.1',
    'client-ca-file': `${pki}/ca.crt`,
    'cluster-name': cc.clusterName,
    'cluster-signing-cert-file': `${pki}/ca.crt`,
    'cluster-signing-key-file': `${pki}/ca.key`,
    controllers: '*,bootstrapsigner,tokencleaner',
    kubeconfig: '/etc/kubernetes/controller-manager.conf',
    'leader-elect': 'true',
    'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
    'root-ca-file': `${pki}/ca.crt`,
    'service-account-private-key-file': `${pki}/sa.key`,
    'use-service-account-credentials': 'true',
  };
  if (cc.networking.podSubnet)
    Object.assign(cm, { 'allocate-node-cidrs': 'true', 'cluster-cidr': cc.networking.podSubnet, 'service-cluster-ip-range': svc });
  Object.assign(cm, argsMap(cc.controllerManager?.extraArgs));
  writeText(
    `${dir}/kube-controller-manager.yaml`,
    staticPod('kube-controller-manager', 'kube-controller-manager', n.images['kube-controller-manager']!, cm, 10257, [
      pki,
      '/etc/kubernetes/controller-manager.conf',
    ]),
    0o600,
  );
  const sched = {
    'authentication-kubeconfig': '/etc/kubernetes/scheduler.conf',
    'authorization-kubeconfig': '/etc/kubernetes/scheduler.conf',
    'bind-address': '127.0.0.1',
    kubeconfig: '/etc/kubernetes/scheduler.conf',
    'leader-elect': 'true',
    ...argsMap(cc.scheduler?.extraArgs),
  };
  writeText(
    `${dir}/kube-scheduler.yaml`,
    staticPod('kube-scheduler', 'kube-scheduler', n.images['kube-scheduler']!, sched, 10259, ['/etc/kubernetes/scheduler.conf']),
    0o600,
  );
  const ip = n.advertiseAddress;
  const etcdDir = cc.etcd?.local?.dataDir ?? '/var/lib/etcd';
  const etcd = {
    'advertise-client-urls': `https://${ip}:2379`,
    'cert-file': `${pki}/etcd/server.crt`,
    'client-cert-auth': 'true',
    'data-dir': etcdDir,
    'initial-advertise-peer-urls': `https://${ip}:2380`,
    'initial-cluster': n.etcdInitialCluster.join(','),
    ...(n.etcdExisting ? { 'initial-cluster-state': 'existing' } : {}),
    'key-file': `${pki}/etcd/server.key`,
    'listen-client-urls': `https://127.0.0.1:2379,https://${ip}:2379`,
    'listen-metrics-urls': 'http://127.0.0.1:2381',
    'listen-peer-urls': `https://${ip}:2380`,
    name: n.nodeName,
    'peer-cert-file': `${pki}/etcd/peer.crt`,
    'peer-client-cert-auth': 'true',
    'peer-key-file': `${pki}/etcd/peer.key`,
    'peer-trusted-ca-file': `${pki}/etcd/ca.crt`,
    'snapshot-count': '10000',
    'trusted-ca-file': `${pki}/etcd/ca.crt`,
    ...argsMap(cc.etcd?.local?.extraArgs),
  };
  writeText(`${dir}/etcd.yaml`, staticPod('etcd', 'etcd', n.images.etcd!, etcd, 2381, [etcdDir, `${pki}/etcd`]), 0o600);
}

/** /var/lib/kubelet/config.yaml and kubeadm-flags.env. */
export function writeKubeletFiles(
  kubeletConfig: Record<string, any>,
  cc: Record<string, any>,
  criSocket: string,
  extraArgs: Record<string, string>,
): void {
  const svcIP = firstServiceIP(cc.networking.serviceSubnet);
  const tenth = svcIP.replace(/\.1$/, '.10');
  const cfg = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    authentication: {
      anonymous: { enabled: false },
      webhook: { cacheTTL: '0s', enabled: true },
      x509: { clientCAFile: `${cc.certificatesDir}/ca.crt` },
    },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [tenth],
    clusterDomain: cc.networking.dnsDomain,
    containerRuntimeEndpoint: '',
    rotateCertificates: true,
    staticPodPath: '/etc/kubernetes/manifests',
    ...kubeletConfig,
    kind: 'KubeletConfiguration',
  };
  writeText(KUBELET_CONFIG, YAML.stringify(cfg));
  const flags = { 'container-runtime-endpoint': criSocket, ...extraArgs };
  writeText(
    '/var/lib/kubelet/kubeadm-flags.env',
    `KUBELET_KUBEADM_ARGS="${Object.entries(flags)
      .map(([k, v]) => `--${k}=${v}`)
      .join(' ')}"\n`,
  );
}

export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';

export const parseKubeletConfig = (text: string): Record<string, any> | null => YAML.parse(text);
