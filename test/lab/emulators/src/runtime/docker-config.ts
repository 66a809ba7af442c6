// /etc/docker/daemon.json as dockerd reads it: bad JSON or unknown directives stop the daemon.
const KNOWN = new Set([
  'exec-opts',
  'log-driver',
  'log-opts',
  'log-level',
  'storage-driver',
  'storage-opts',
  'registry-mirrors',
  'insecure-registries',
  'data-root',
  'live-restore',
  'bip',
  'default-address-pools',
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'features',
  'dns',
  'dns-opts',
  'dns-search',
  'iptables',
  'ip6tables',
  'ip-forward',
  'ip-masq',
  'hosts',
  'debug',
  'experimental',
  'cgroup-parent',
  'default-ulimits',
  'mtu',
  'userland-proxy',
  'containerd',
  'runtimes',
  'default-runtime',
  'ipv6',
  'fixed-cidr',
  'fixed-cidr-v6',
  'group',
  'labels',
  'metrics-addr',
  'tls',
  'tlsverify',
  'tlscacert',
  'tlscert',
  'tlskey',
  'proxies',
  'shutdown-timeout',
  'selinux-enabled',
  'userns-remap',
  'default-cgroupns-mode',
  'exec-root',
  'oom-score-adjust',
  'icc',
  'allow-nondistributable-artifacts',
  'builder',
]);

export interface DockerDaemonConfig {
  cgroupDriver: 'systemd' | 'cgroupfs';
  storageDriver: string;
  dataRoot: string;
  registryMirrors: string[];
  insecureRegistries: string[];
}

const PREFIX = 'unable to configure the Docker daemon with file /etc/docker/daemon.json: ';

export function dockerDaemonConfig(text: string | undefined): DockerDaemonConfig {
  let doc: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      const m = /Unexpected token '?(.)'?/.exec((error as Error).message);
      throw new Error(`${PREFIX}invalid character '${m?.[1] ?? '?'}' looking for beginning of value`);
    }
  }
  const unknown = Object.keys(doc).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`${PREFIX}the following directives don't match any configuration option: ${unknown.join(', ')}`);
  let cgroupDriver: DockerDaemonConfig['cgroupDriver'] = 'cgroupfs';
  for (const opt of (doc['exec-opts'] as string[] | undefined) ?? []) {
    const m = /^native\.cgroupdriver=(.*)$/.exec(opt);
    if (!m) continue;
    if (m[1] !== 'systemd' && m[1] !== 'cgroupfs')
      throw new Error(`failed to start daemon: native.cgroupdriver option ${m[1]} not supported`);
    cgroupDriver = m[1];
  }
  return {
    cgroupDriver,
    storageDriver: (doc['storage-driver'] as string | undefined) ?? 'overlay2',
    dataRoot: (doc['data-root'] as string | undefined) ?? '/var/lib/docker',
    registryMirrors: (doc['registry-mirrors'] as string[] | undefined) ?? [],
    insecureRegistries: (doc['insecure-registries'] as string[] | undefined) ?? [],
  };
}
