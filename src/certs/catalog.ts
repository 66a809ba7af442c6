/**
 * Which certificates and keys kubeadm keeps where, and who signs them. The checks, the collector script and
 * the distribution of shared material all read this one list.
 */
export const KUBE_DIR = '/etc/kubernetes';
export const PKI_DIR = `${KUBE_DIR}/pki`;
export const MANIFEST_DIR = `${KUBE_DIR}/manifests`;
export const KUBELET_CLIENT_PEM = '/var/lib/kubelet/pki/kubelet-client-current.pem';
export const KUBELET_SERVING_CRT = '/var/lib/kubelet/pki/kubelet.crt';
export const KUBELET_SERVING_CURRENT = '/var/lib/kubelet/pki/kubelet-server-current.pem';

export type CaName = 'ca' | 'front-proxy-ca' | 'etcd-ca';

export interface CertFile {
  /** Name in kubeadm's words ("apiserver", "etcd-server", "admin.conf", "kubelet-client"). */
  name: string;
  path: string;
  kind: 'ca' | 'leaf' | 'kubeconfig' | 'kubelet';
  /** The CA that signs it; undefined for CAs and the kubelet's self-signed serving cert. */
  ca?: CaName;
  /** Renewed by `kubeadm certs renew all`. */
  renewable: boolean;
  /** May legitimately be absent (super-admin.conf exists only on the first control plane). */
  optional?: boolean;
}

export const CAS: CertFile[] = [
  { name: 'ca', path: `${PKI_DIR}/ca.crt`, kind: 'ca', renewable: false },
  { name: 'front-proxy-ca', path: `${PKI_DIR}/front-proxy-ca.crt`, kind: 'ca', renewable: false },
  { name: 'etcd-ca', path: `${PKI_DIR}/etcd/ca.crt`, kind: 'ca', renewable: false },
];

export const LEAVES: CertFile[] = [
  { name: 'apiserver', path: `${PKI_DIR}/apiserver.crt`, kind: 'leaf', ca: 'ca', renewable: true },
  { name: 'apiserver-etcd-client', path: `${PKI_DIR}/apiserver-etcd-client.crt`, kind: 'leaf', ca: 'etcd-ca', renewable: true },
  { name: 'apiserver-kubelet-client', path: `${PKI_DIR}/apiserver-kubelet-client.crt`, kind: 'leaf', ca: 'ca', renewable: true },
  { name: 'etcd-healthcheck-client', path: `${PKI_DIR}/etcd/healthcheck-client.crt`, kind: 'leaf', ca: 'etcd-ca', renewable: true },
  { name: 'etcd-peer', path: `${PKI_DIR}/etcd/peer.crt`, kind: 'leaf', ca: 'etcd-ca', renewable: true },
  { name: 'etcd-server', path: `${PKI_DIR}/etcd/server.crt`, kind: 'leaf', ca: 'etcd-ca', renewable: true },
  { name: 'front-proxy-client', path: `${PKI_DIR}/front-proxy-client.crt`, kind: 'leaf', ca: 'front-proxy-ca', renewable: true },
];

export const KUBECONFIGS: CertFile[] = [
  { name: 'admin.conf', path: `${KUBE_DIR}/admin.conf`, kind: 'kubeconfig', ca: 'ca', renewable: true },
  { name: 'super-admin.conf', path: `${KUBE_DIR}/super-admin.conf`, kind: 'kubeconfig', ca: 'ca', renewable: true, optional: true },
  { name: 'controller-manager.conf', path: `${KUBE_DIR}/controller-manager.conf`, kind: 'kubeconfig', ca: 'ca', renewable: true },
  { name: 'scheduler.conf', path: `${KUBE_DIR}/scheduler.conf`, kind: 'kubeconfig', ca: 'ca', renewable: true },
];

/** On every node: kubelet.conf (embedded cert, or a path to the rotating client cert) and the serving cert. */
export const KUBELET_CONF: CertFile = {
  name: 'kubelet.conf',
  path: `${KUBE_DIR}/kubelet.conf`,
  kind: 'kubeconfig',
  ca: 'ca',
  renewable: false,
};

/** Files every control plane must hold identically (the `--upload-certs` bundle). Keys are mode 0600. */
export interface SharedFile {
  name: string;
  path: string;
  /** A private key: compared by its public key's fingerprint (computed on the node), written 0600. */
  key: boolean;
}

export const SHARED_FILES: SharedFile[] = [
  { name: 'ca.crt', path: `${PKI_DIR}/ca.crt`, key: false },
  { name: 'ca.key', path: `${PKI_DIR}/ca.key`, key: true },
  { name: 'sa.key', path: `${PKI_DIR}/sa.key`, key: true },
  { name: 'sa.pub', path: `${PKI_DIR}/sa.pub`, key: false },
  { name: 'front-proxy-ca.crt', path: `${PKI_DIR}/front-proxy-ca.crt`, key: false },
  { name: 'front-proxy-ca.key', path: `${PKI_DIR}/front-proxy-ca.key`, key: true },
  { name: 'etcd/ca.crt', path: `${PKI_DIR}/etcd/ca.crt`, key: false },
  { name: 'etcd/ca.key', path: `${PKI_DIR}/etcd/ca.key`, key: true },
];

/** The control-plane static pods, in the order kubeadm writes them. */
export const STATIC_PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
