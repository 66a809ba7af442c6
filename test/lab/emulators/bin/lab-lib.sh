# lab-lib.sh: sourced by every bash emulator of the lab (and by the launchers of the TypeScript ones).
# Gives: R (the LAB_FS_ROOT prefix for every path), LAB_REPO, lab_env, lab_journal, lab_fault, lab_enter.
# Keep it fast: emulators run thousands of times, so no forks on the common path.
R=${LAB_FS_ROOT:-}
LAB_BIN=${BASH_SOURCE[0]%/*}
[[ $LAB_BIN == /* ]] || LAB_BIN=$PWD/$LAB_BIN
LAB_BIN=${LAB_BIN%/.}

# lab_env: exports the KEY=value lines of /etc/lab/env; variables already set in the environment win.
lab_env() {
  local k v
  if [[ -r $R/etc/lab/env ]]; then
    while IFS='=' read -r k v; do
      [[ $k =~ ^[A-Z_][A-Z0-9_]*$ && -z ${!k+x} ]] && export "$k=$v"
    done < "$R/etc/lab/env"
  fi
  # Inside a host the emulators are reached through symlinks (/usr/bin/x -> repo): find the repo's bin dir.
  if [[ -n ${LAB_REPO:-} && -d $LAB_REPO/test/lab/emulators/bin ]]; then LAB_BIN=$LAB_REPO/test/lab/emulators/bin; fi
  if [[ -z ${LAB_REPO:-} ]]; then
    if [[ $LAB_BIN == */test/lab/emulators/bin ]]; then LAB_REPO=${LAB_BIN%/test/lab/emulators/bin}; else LAB_REPO=; fi
  fi
  export LAB_REPO
}

# lab_journal CMD ARGS...: appends "<epoch-ms> <command> <args printf %q>" to the host's journal.
# LAB_JOURNAL_OFF=1 silences it (used by lab-boot so boot-time starts are not mistaken for calls by a tool).
lab_journal() {
  [[ -n ${LAB_JOURNAL_OFF:-} ]] && return 0
  local t=${EPOCHREALTIME/[.,]/} args=
  (($# > 1)) && printf -v args ' %q' "${@:2}"
  [[ -d $R/var/log/lab ]] || mkdir -p "$R/var/log/lab"
  printf '%s %s%s\n' "${t:0:${#t}-3}" "$1" "$args" >> "$R/var/log/lab/journal.log"
}

# lab_fault CMD: the fault hook. $R/var/lib/lab/faults/CMD holds "N fail|hang" on its first line.
# While N > 0 each call decrements it, then fails (stderr "lab: injected failure", exit 1) or hangs forever.
lab_fault() {
  local f=$R/var/lib/lab/faults/$1 n mode rest
  [[ -f $f ]] || return 0
  exec 9<>"$f"
  flock 9 2>/dev/null
  read -r n mode rest <&9 || true
  [[ $n =~ ^[0-9]+$ ]] && ((n > 0)) || { exec 9>&-; return 0; }
  printf '%s %s\n' "$((n - 1))" "$mode" > "$f"
  exec 9>&-
  case $mode in
    hang) exec sleep infinity ;;
    *) echo "lab: injected failure" >&2; exit 1 ;;
  esac
}

# lab_enter CMD ARGS...: what every emulator does first.
# Outside a lab host an emulator works only on a LAB_FS_ROOT sandbox: run on the machine itself it refuses (exit 2),
# so a stray PATH can never make it write the machine's /etc, /run or /var.
lab_enter() {
  lab_env
  [[ -n $R ]] || lab_in_host || lab_die 2 "lab: $1 emulator outside a lab host: refusing (set LAB_FS_ROOT to a sandbox)"
  lab_journal "$@"
  lab_fault "$1"
}

# lab_in_host: true only inside a lab host (no LAB_FS_ROOT, /etc/lab/env present). Guards the few real actions
# that are safe only in the host's own namespaces (hostname in its UTS namespace, net.* sysctls in its netns).
lab_in_host() { [[ -z $R && -r /etc/lab/env && -n ${LAB_HOST:-} && ! -w / ]]; }

lab_die() { printf '%s\n' "$2" >&2; exit "$1"; }
