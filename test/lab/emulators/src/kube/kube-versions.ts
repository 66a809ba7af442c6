// Versions and images: what the installed package says, and the exact image set kubeadm pins.
import { readText } from './lab.js';

export const LAB_DEFAULT_VERSION = 'v1.34.1';

/** Per minor: coredns, pause, etcd tags as pinned by kubeadm (1.33–1.36 from the reference sheet). */
const PINS: Record<number, [string, string, string]> = {
  30: ['v1.11.1', '3.9', '3.5.15-0'],
  31: ['v1.11.3', '3.10', '3.5.15-0'],
  32: ['v1.11.3', '3.10', '3.5.16-0'],
  33: ['v1.12.0', '3.10', '3.5.21-0'],
  34: ['v1.12.1', '3.10.1', '3.6.5-0'],
  35: ['v1.13.1', '3.10.1', '3.6.6-0'],
  36: ['v1.13.1', '3.10.2', '3.6.8-0'],
};

export function normalizeVersion(v: string): string {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m ? `v${m[1]}.${m[2]}.${m[3]}` : v;
}

export const minorOf = (v: string): number => Number(/^v?\d+\.(\d+)/.exec(v)?.[1] ?? 0);

/** Installed version of a package from the package DB the package-manager emulators keep. */
export function packageVersion(pkg: string): string | undefined {
  const text = readText('/var/lib/lab/pkgdb.json');
  if (!text) return undefined;
  try {
    const db = JSON.parse(text) as Record<string, any>;
    for (const table of [db, db.packages, db.installed]) {
      const entry = table?.[pkg];
      const v = typeof entry === 'string' ? entry : entry?.version;
      if (typeof v === 'string' && /\d+\.\d+\.\d+/.test(v)) return normalizeVersion(v.replace(/^\d+:/, ''));
    }
  } catch {
    /* unreadable DB: fall back to the default */
  }
  return undefined;
}

export const binaryVersion = (pkg: string): string =>
  packageVersion(pkg) ?? normalizeVersion(process.env.LAB_KUBE_VERSION ?? LAB_DEFAULT_VERSION);

export interface ImageOptions {
  imageRepository?: string;
  dnsRepository?: string;
  dnsTag?: string;
  etcdRepository?: string;
  etcdTag?: string;
}

export const DEFAULT_REPOSITORY = 'registry.k8s.io';

export function controlPlaneImages(version: string, o: ImageOptions = {}): Record<string, string> {
  const repo = o.imageRepository || DEFAULT_REPOSITORY;
  const pins = PINS[minorOf(version)] ?? PINS[36]!;
  const [coredns, pause, etcd] = pins;
  const dnsRepo = o.dnsRepository || (repo === DEFAULT_REPOSITORY ? `${repo}/coredns` : repo);
  return {
    'kube-apiserver': `${repo}/kube-apiserver:${version}`,
    'kube-controller-manager': `${repo}/kube-controller-manager:${version}`,
    'kube-scheduler': `${repo}/kube-scheduler:${version}`,
    'kube-proxy': `${repo}/kube-proxy:${version}`,
    coredns: `${dnsRepo}/coredns:${o.dnsTag || coredns}`,
    pause: `${repo}/pause:${pause}`,
    etcd: `${o.etcdRepository || repo}/etcd:${o.etcdTag || etcd}`,
  };
}

export function imageOptionsFrom(cc: Record<string, any> | undefined, repoFlag?: string): ImageOptions {
  return {
    imageRepository: repoFlag ?? cc?.imageRepository,
    dnsRepository: cc?.dns?.imageRepository,
    dnsTag: cc?.dns?.imageTag,
    etcdRepository: cc?.etcd?.local?.imageRepository,
    etcdTag: cc?.etcd?.local?.imageTag,
  };
}

/** `kubeadm version` style info. */
export function versionInfo(v: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(v);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '0',
    gitVersion: v,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.24.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
