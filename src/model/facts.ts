/** What kubesmith learns about a host at run time (never written back to the inventory). */
export interface Facts {
  os: { id: string; idLike: string[]; versionId: string; prettyName: string; family: 'debian' | 'rhel' | 'unknown' };
  arch: 'amd64' | 'arm64' | string;
  hostname: string;
  kernel: string;
  cpus: number;
  memoryMiB: number;
  cgroupVersion: 1 | 2;
  swapOn: boolean;
  /** 'enforcing' | 'permissive' | 'disabled' | 'absent' (no SELinux on this host). */
  selinux: 'enforcing' | 'permissive' | 'disabled' | 'absent';
  machineId: string;
  productUuid: string;
  macs: string[];
  /** Unix time (seconds) on the host when facts were gathered, for clock-skew checks. */
  epochSeconds: number;
  /** The admin machine's Unix time when epochSeconds was read (middle of the round trip); set by facts.gather. */
  adminEpochSeconds?: number;
  /** Installed versions ('' when absent). */
  versions: { kubeadm: string; kubelet: string; kubectl: string; containerd: string; docker: string };
  /** Set when /etc/kubernetes/kubelet.conf or admin.conf exists: the cluster this node belongs to. */
  cluster: { member: boolean; caHash?: string; endpoint?: string };
  /** TCP ports in LISTEN state. */
  listeningPorts: number[];
  isRoot: boolean;
}
