# lab-selinux.sh: emulated SELinux (rocky9 personas only), sourced by getenforce, setenforce, sestatus, lab-boot.
# Runtime mode: $R/run/lab/selinux (Enforcing|Permissive); at boot it is taken from SELINUX= in /etc/selinux/config
# (enforcing/permissive; disabled means SELinux is off until the next config change + reboot).
SEL_RUN=$R/run/lab/selinux
sel_guard() { # the tools exist only on Rocky
  [[ ${LAB_OS:-rocky9} == rocky* ]] || { echo "bash: $1: command not found" >&2; exit 127; }
}
sel_config() { # SEL_CONFIG = enforcing|permissive|disabled from /etc/selinux/config
  SEL_CONFIG=disabled
  local line
  [[ -f $R/etc/selinux/config ]] || return 0
  while IFS= read -r line; do [[ $line == SELINUX=* ]] && SEL_CONFIG=${line#SELINUX=}; done < "$R/etc/selinux/config"
  SEL_CONFIG=${SEL_CONFIG,,}
}
sel_mode() { # SEL_MODE = Enforcing|Permissive|Disabled
  if [[ -f $SEL_RUN ]]; then read -r SEL_MODE < "$SEL_RUN"; return; fi
  sel_config
  case $SEL_CONFIG in enforcing) SEL_MODE=Enforcing ;; permissive) SEL_MODE=Permissive ;; *) SEL_MODE=Disabled ;; esac
}
sel_boot() { sel_config; rm -f "$SEL_RUN"; sel_mode; mkdir -p "${SEL_RUN%/*}"; echo "$SEL_MODE" > "$SEL_RUN"; }
