/**
 * The node files a bundle carries for each platform: kubeadm/kubelet/kubectl binaries at the exact version,
 * crictl, the CNI plugins and containerd release archives and, per distro family asked for, the OS packages.
 * Data in, list out: URLs are the upstream ones; `--files-url` rewrites https://HOST/PATH to FILES_URL/HOST/PATH
 * (the layout of a plain HTTP mirror, like kubespray's files_repo), which is also how tests serve fixtures.
 */
import { byMinor, minorTag, nodeArtifactVersionsByMinor, parseKubeVersion, runtimePackages } from '../data/versions.js';

export type Family = 'debian' | 'rhel';

export interface Artifact {
  /** Path inside the bundle. */
  path: string;
  url: string;
  kind: 'binary' | 'archive' | 'package';
  platform: string;
  name: string;
  version: string;
  family?: Family;
}

export interface ArtifactOptions {
  kubernetesVersion: string;
  platforms: string[];
  /** Distro families to fetch OS packages for (empty: binaries only). */
  packages: Family[];
  runtime: 'containerd' | 'docker';
  /** Base URL of the Kubernetes package repositories (default pkgs.k8s.io). */
  packageRepository?: string;
  /** Rewrite every URL to this HTTP mirror: https://HOST/PATH → FILES_URL/HOST/PATH. */
  filesUrl?: string;
}

/** Docker Engine and cri-dockerd package versions for runtime docker bundles (packages only: no static path). */
export const DOCKER_PACKAGES = { docker: '27.3.1', criDockerd: '0.3.15' } as const;

const DEB_ARCH: Record<string, string> = { amd64: 'amd64', arm64: 'arm64' };
const RPM_ARCH: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };

export function mirrored(url: string, filesUrl: string | undefined): string {
  if (!filesUrl) return url;
  return `${filesUrl.replace(/\/+$/, '')}/${url.replace(/^https?:\/\//, '')}`;
}

export function artifactsFor(o: ArtifactOptions): Artifact[] {
  const k = parseKubeVersion(o.kubernetesVersion).text;
  const v = byMinor(nodeArtifactVersionsByMinor, k, 'node artifact versions');
  const repo = (o.packageRepository ?? 'https://pkgs.k8s.io/core:/stable:').replace(/\/+$/, '');
  const out: Artifact[] = [];
  for (const platform of o.platforms) {
    const arch = platform.split('/')[1]!;
    const dir = `files/linux-${arch}`;
    for (const bin of ['kubeadm', 'kubelet', 'kubectl']) {
      out.push({ path: `${dir}/${bin}`, url: `https://dl.k8s.io/release/v${k}/bin/linux/${arch}/${bin}`, kind: 'binary', platform, name: bin, version: k });
    }
    out.push({
      path: `${dir}/crictl-v${v.crictl}-linux-${arch}.tar.gz`,
      url: `https://github.com/kubernetes-sigs/cri-tools/releases/download/v${v.crictl}/crictl-v${v.crictl}-linux-${arch}.tar.gz`,
      kind: 'archive', platform, name: 'crictl', version: v.crictl,
    });
    out.push({
      path: `${dir}/cni-plugins-linux-${arch}-v${v.cniPlugins}.tgz`,
      url: `https://github.com/containernetworking/plugins/releases/download/v${v.cniPlugins}/cni-plugins-linux-${arch}-v${v.cniPlugins}.tgz`,
      kind: 'archive', platform, name: 'cni-plugins', version: v.cniPlugins,
    });
    if (o.runtime === 'containerd') {
      out.push({
        path: `${dir}/containerd-${v.containerd}-linux-${arch}.tar.gz`,
        url: `https://github.com/containerd/containerd/releases/download/v${v.containerd}/containerd-${v.containerd}-linux-${arch}.tar.gz`,
        kind: 'archive', platform, name: 'containerd', version: v.containerd,
      });
      out.push({
        path: `${dir}/runc`,
        url: `https://github.com/opencontainers/runc/releases/download/v${v.runc}/runc.${arch}`,
        kind: 'binary', platform, name: 'runc', version: v.runc,
      });
    }
    for (const family of o.packages) {
      const pkgs: [string, string][] = [
        ['kubeadm', k], ['kubelet', k], ['kubectl', k], ['cri-tools', v.criToolsPkg], ['kubernetes-cni', v.kubernetesCniPkg],
      ];
      for (const [name, version] of pkgs) {
        const file = family === 'debian' ? `${name}_${version}-1.1_${DEB_ARCH[arch]}.deb` : `${name}-${version}-150500.1.1.${RPM_ARCH[arch]}.rpm`;
        const sub = family === 'debian' ? `deb/${DEB_ARCH[arch]}` : `rpm/${RPM_ARCH[arch]}`;
        out.push({ path: `packages/${family}/${arch}/${file}`, url: `${repo}/${minorTag(k)}/${sub}/${file}`, kind: 'package', platform, name, version, family });
      }
      if (o.runtime === 'docker') {
        const names = runtimePackages[family];
        for (const [name, version, base] of [
          [names.docker, DOCKER_PACKAGES.docker, `https://download.docker.com/linux/${family}`],
          ['docker-ce-cli', DOCKER_PACKAGES.docker, `https://download.docker.com/linux/${family}`],
          [names.containerd, v.containerd, `https://download.docker.com/linux/${family}`],
          [names.criDockerd, DOCKER_PACKAGES.criDockerd, `https://github.com/Mirantis/cri-dockerd/releases/download/v${DOCKER_PACKAGES.criDockerd}`],
        ] as const) {
          const file = family === 'debian' ? `${name}_${version}-1_${DEB_ARCH[arch]}.deb` : `${name}-${version}-1.el9.${RPM_ARCH[arch]}.rpm`;
          out.push({ path: `packages/${family}/${arch}/${file}`, url: `${base}/${file}`, kind: 'package', platform, name, version, family });
        }
      }
      if (o.runtime === 'containerd') {
        const name = runtimePackages[family].containerd;
        const file = family === 'debian' ? `${name}_${v.containerd}-1_${DEB_ARCH[arch]}.deb` : `${name}-${v.containerd}-3.1.el9.${RPM_ARCH[arch]}.rpm`;
        const os = family === 'debian' ? 'debian' : 'rhel';
        out.push({ path: `packages/${family}/${arch}/${file}`, url: `https://download.docker.com/linux/${os}/${file}`, kind: 'package', platform, name, version: v.containerd, family });
      }
    }
  }
  return out.map((a) => ({ ...a, url: mirrored(a.url, o.filesUrl) }));
}
