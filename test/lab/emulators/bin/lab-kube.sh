# lab-kube.sh: bash fast paths of the kube launchers (kubeadm, kubectl, kubelet, lab-node-sync), sourced after
# lab-lib.sh and lab_env. Each answers only what is a plain read of state, exactly as the Node emulator would print
# it, and returns 1 on anything else (or any doubt) so the launcher runs Node. A fast path journals and passes the
# fault hook like main() in src/kube/lab.ts. Keep it fork-free on the common path.

# kube_enter CMD ARGS...: journal + fault hook, as the Node emulators do first.
kube_enter() {
  lab_journal "$@"
  lab_fault "$1"
}

# kube_pkg_version PKG: sets KUBE_VERSION (vX.Y.Z) from /var/lib/lab/pkgdb.json when it is in the exact shape the
# package emulators write (saveDb: JSON.stringify(db, null, 1), "version" first in each entry); else returns 1.
# Same answer as packageVersion() in src/kube/kube-versions.ts for that shape.
kube_pkg_version() {
  local db=$R/var/lib/lab/pkgdb.json text head num='([0123456789]+)' nl=$'\n' re
  [[ -f $db && -r $db ]] || return 1
  IFS= read -r -d '' text < "$db"
  head="^[{]${nl} \"format\": \"[a-z]*\",${nl} \"packages\": [{]${nl}"
  [[ $text =~ $head && $text == *"$nl }$nl}$nl" ]] || return 1
  re="${nl}  \"$1\": [{]${nl}   \"version\": \"([0123456789]+:)?v?$num[.]$num[.]$num"
  [[ $text =~ $re ]] || return 1
  KUBE_VERSION="v${BASH_REMATCH[2]}.${BASH_REMATCH[3]}.${BASH_REMATCH[4]}"
}

# kube_version_fast CMD ARGS...: `kubeadm version -o short`, `kubectl version --client`, `kubelet --version`.
kube_version_fast() {
  local cmd=$1
  shift
  case "$cmd $*" in
    "kubeadm version -o short" | "kubectl version --client" | "kubelet --version") ;;
    *) return 1 ;;
  esac
  # the package name is the binary's name for all three
  kube_pkg_version "$cmd" || return 1
  kube_enter "$cmd" "$@"
  case $cmd in
    kubeadm) printf '%s\n' "$KUBE_VERSION" ;;
    kubectl) printf 'Client Version: %s\nKustomize Version: v5.7.1\n' "$KUBE_VERSION" ;;
    kubelet) printf 'Kubernetes %s\n' "$KUBE_VERSION" ;;
  esac
  exit 0
}

# kube_cluster_dir ENV_VALUE: KUBE_CLUSTER_DIR as clusterDir() in src/kube/lab.ts computes it. ENV_VALUE is
# LAB_CLUSTER_DIR as the process got it (before lab_env), which wins as a machine path; /etc/lab/env's is a host path.
kube_cluster_dir() {
  if [[ -n $1 ]]; then KUBE_CLUSTER_DIR=$1; return 0; fi
  [[ ${LAB_CLUSTER_DIR-} != *'"'* ]] || return 1 # quoted in /etc/lab/env: Node strips the quotes, leave it to Node
  KUBE_CLUSTER_DIR=$R${LAB_CLUSTER_DIR-/run/lab/cluster}
}

# kube_sync_noop ENV_CLUSTER_DIR: true when lab-node-sync would do nothing: the host has not joined (no kubelet.conf)
# or no node of any cluster is on this host yet (kubeadm's own kubelet restart before it registered the node).
kube_sync_noop() {
  local kc=$R/etc/kubernetes/kubelet.conf state
  [[ -e $kc ]] || return 0
  [[ -f $kc && ${LAB_HOST-} =~ ^[A-Za-z0-9._-]+$ ]] || return 1
  kube_cluster_dir "$1" || return 1
  state=$KUBE_CLUSTER_DIR/state.json
  [[ -e $state ]] || return 0
  [[ -f $state ]] || return 1
  # state.json is JSON.stringify(state): a node on this host has "host":"<LAB_HOST>"; no such text, no such node
  grep -qF "\"host\":\"$LAB_HOST\"" "$state" 2>/dev/null
  (($? == 1)) # 0: maybe a node here (Node decides), 2: unreadable (Node reports it)
}
