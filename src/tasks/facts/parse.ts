/** Parse the facts script's output into Facts. Defensive: a missing or odd section gives a safe default. */
import { osFamily } from '../../distro/index.js';
import type { Facts } from '../../model/facts.js';
import { SECTION_MARK } from './script.js';
import { caCertHash } from '../common/cluster.js';

export function splitSections(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split(/\r?\n/)) {
    if (line.startsWith(SECTION_MARK)) {
      current = [];
      sections.set(line.slice(SECTION_MARK.length).trim(), current);
    } else if (current && line.trim() !== '') {
      current.push(line);
    }
  }
  return sections;
}

/** KEY=value lines of /etc/os-release; values may be "double" or 'single' quoted. */
export function parseOsRelease(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1).replace(/\\(["'`$\\])/g, '$1');
    }
    out[m[1]!] = value;
  }
  return out;
}

export function mapArch(machine: string): string {
  const m = machine.trim();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64' || m === 'armv8l') return 'arm64';
  return m;
}

/** The first x.y.z in a tool's version output: "Kubernetes v1.34.1" → "1.34.1". */
export function versionIn(text: string): string {
  return /(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? '';
}

/** Is any swap active? Prefer `swapon --show` when it ran (rc=0), else /proc/swaps. */
export function parseSwap(swapon: readonly string[] | undefined, procSwaps: readonly string[] | undefined): boolean {
  const ran = swapon && swapon[0] !== 'absent' && swapon.some((l) => l.trim() === 'rc=0');
  const rows = ran
    ? swapon.filter((l) => !/^rc=\d+$/.test(l.trim()) && !/^NAME\s/.test(l.trim()))
    : (procSwaps ?? []).filter((l) => !/^Filename\s/.test(l.trim()));
  return rows.some((l) => l.trim() !== '');
}

export function parseSelinux(lines: readonly string[] | undefined): Facts['selinux'] {
  const value = (lines?.[0] ?? 'absent').trim().toLowerCase();
  return value === 'enforcing' || value === 'permissive' || value === 'disabled' ? value : 'absent';
}

/** Ports in LISTEN state from `ss -Htln` (first line "ss") or /proc/net/tcp{,6} (first line "proc"). */
export function parsePorts(lines: readonly string[] | undefined): number[] {
  if (!lines || lines.length === 0) return [];
  const ports = new Set<number>();
  const [source, ...rows] = lines;
  for (const row of rows) {
    const cols = row.trim().split(/\s+/);
    if (source === 'ss') {
      // State Recv-Q Send-Q Local:Port Peer:Port  (State may be absent with some ss versions: then Local is 3rd)
      const local = cols[0] === 'LISTEN' ? cols[3] : cols[2];
      const port = Number(local?.slice(local.lastIndexOf(':') + 1));
      if (Number.isInteger(port) && port > 0) ports.add(port);
    } else {
      // sl local_address rem_address st ...: 0A is LISTEN
      if (cols[3] !== '0A') continue;
      const port = Number.parseInt(cols[1]?.split(':')[1] ?? '', 16);
      if (Number.isInteger(port) && port > 0) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export function parseFacts(output: string): Facts {
  const s = splitSections(output);
  const first = (name: string) => (s.get(name)?.[0] ?? '').trim();
  const osr = parseOsRelease(s.get('os-release') ?? []);
  const id = (osr.ID ?? '').toLowerCase();
  const idLike = (osr.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const versions: Facts['versions'] = { kubeadm: '', kubelet: '', kubectl: '', containerd: '', docker: '' };
  for (const line of s.get('versions') ?? []) {
    const [tool, ...rest] = line.trim().split(/\s+/);
    if (tool && tool in versions) {
      // "containerd github.com/containerd/containerd/v2 v2.1.4 abc": skip the tool's own name in the text
      versions[tool as keyof Facts['versions']] = versionIn(rest.join(' ').replace(/\/v\d+\b/g, ''));
    }
  }
  const clusterLines = s.get('cluster') ?? [];
  const cluster: Facts['cluster'] = { member: clusterLines.includes('kubelet.conf') };
  for (const line of clusterLines) {
    if (line.startsWith('endpoint ')) cluster.endpoint = line.slice('endpoint '.length).trim();
    if (line.startsWith('ca-hash ')) cluster.caHash = line.slice('ca-hash '.length).trim(); // older scripts
  }
  // The CA hash is computed here from the certificate (no openssl pipeline on the host): kubeadm's discovery hash.
  const caPem = (s.get('ca-crt') ?? []).join('\n');
  if (caPem.includes('BEGIN CERTIFICATE')) {
    try {
      cluster.caHash = caCertHash(caPem);
    } catch {
      // an unreadable ca.crt: no hash (preflight reports the identity it can check)
    }
  }
  const memKb = Number(/(\d+)/.exec(first('meminfo'))?.[1] ?? 0);
  const cpus = Number.parseInt(first('cpus'), 10);
  const epoch = Number.parseInt(first('epoch'), 10);
  const uuid = first('product-uuid').toLowerCase();
  return {
    os: {
      id,
      idLike,
      versionId: osr.VERSION_ID ?? '',
      prettyName: osr.PRETTY_NAME ?? osr.NAME ?? '',
      family: osFamily(id, idLike),
    },
    arch: mapArch(first('arch')),
    hostname: first('hostname'),
    kernel: first('kernel'),
    cpus: Number.isFinite(cpus) && cpus > 0 ? cpus : 0,
    memoryMiB: Math.floor(memKb / 1024),
    cgroupVersion: first('cgroup') === 'tmpfs' ? 1 : 2,
    swapOn: parseSwap(s.get('swapon'), s.get('proc-swaps')),
    selinux: parseSelinux(s.get('selinux')),
    machineId: first('machine-id'),
    productUuid: /^[0-9a-f-]{8,}$/.test(uuid) ? uuid : '',
    macs: (s.get('macs') ?? [])
      .map((l) => l.trim().split(/\s+/)[1]?.toLowerCase() ?? '')
      .filter((mac) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && mac !== '00:00:00:00:00:00'),
    epochSeconds: Number.isFinite(epoch) ? epoch : 0,
    versions,
    cluster,
    listeningPorts: parsePorts(s.get('ports')),
    isRoot: first('uid') === '0',
  };
}
