#!/usr/bin/env bash
# Installs the Debian packages the lab and the contract tests use, when missing (Debian/Ubuntu, as root).
# One list, used by .ci/run, `npm run test:all` and `npm run demo`. Starts and stops no service of the machine:
# the lab runs its own sshd, containerd and etcd inside each simulated host.
set -euo pipefail
packages=(
  openssh-server openssh-client    # real sshd in every lab host and in the contract tests
  iproute2 util-linux procps kmod  # namespaces, veths, mounts, process inspection
  sudo                             # the non-root SSH user with sudo
  openssl ca-certificates gnupg    # real PKI made by the emulated kubeadm; repository keys
  curl                             # the lab's curl front passes unknown URLs to the real one
  iptables nftables ipvsadm        # per-namespace firewall state inside lab hosts
  containerd                       # real containerd inside lab hosts (image import)
  etcd-server etcd-client          # real etcd: the lab etcd pod and image programs (real-bin only, never a host PATH)
  docker-registry skopeo           # a local registry on loopback for offline-bundle tests
)
if [ "$(id -u)" != 0 ]; then
  echo "install-packages: run as root (the lab needs namespaces and mounts anyway)" >&2
  exit 2
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-packages: needs a Debian or Ubuntu machine (apt-get)" >&2
  exit 2
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
