# lab-modules.sh: emulated kernel modules (sourced by modprobe, lsmod, rmmod, sysctl, lab-boot after lab-lib.sh).
# Loaded modules: $R/run/lab/modules, one name per line in load order (lost at reboot, like the kernel's).
MOD_STATE=$R/run/lab/modules
read -r KERNEL_RELEASE < /proc/sys/kernel/osrelease
# Modules this emulated kernel ships: name -> "size dep,dep" (sizes as lsmod shows on a 6.x amd64 kernel).
declare -A MOD_TABLE=(
  [overlay]="151552 -" [br_netfilter]="32768 bridge" [bridge]="311296 stp,llc" [stp]="16384 llc" [llc]="16384 -"
  [ip_vs]="192512 nf_conntrack,nf_defrag_ipv6,libcrc32c" [ip_vs_rr]="16384 ip_vs" [ip_vs_wrr]="16384 ip_vs"
  [ip_vs_sh]="16384 ip_vs" [ip_vs_lc]="16384 ip_vs" [ip_vs_wlc]="16384 ip_vs"
  [nf_conntrack]="180224 nf_defrag_ipv6,nf_defrag_ipv4,libcrc32c" [nf_defrag_ipv4]="16384 -" [nf_defrag_ipv6]="24576 -"
  [libcrc32c]="16384 -" [nf_nat]="57344 nf_conntrack,libcrc32c" [nf_tables]="303104 libcrc32c,nfnetlink"
  [nfnetlink]="20480 -" [x_tables]="57344 -" [ip_tables]="32768 x_tables" [ip6_tables]="32768 x_tables"
  [iptable_filter]="16384 ip_tables" [iptable_nat]="16384 ip_tables,nf_nat" [iptable_mangle]="16384 ip_tables"
  [ip6table_filter]="16384 ip6_tables" [ip6table_nat]="16384 ip6_tables,nf_nat" [xt_conntrack]="16384 nf_conntrack,x_tables"
  [xt_MASQUERADE]="20480 nf_nat,x_tables" [xt_addrtype]="16384 x_tables" [xt_comment]="16384 x_tables"
  [xt_mark]="16384 x_tables" [xt_set]="20480 ip_set,x_tables" [ip_set]="61440 nfnetlink" [nft_compat]="20480 nf_tables,nfnetlink,x_tables"
  [vxlan]="135168 ip6_udp_tunnel,udp_tunnel" [ip6_udp_tunnel]="16384 -" [udp_tunnel]="32768 -"
  [wireguard]="110592 curve25519_x86_64,libchacha20poly1305,ip6_udp_tunnel,udp_tunnel" [curve25519_x86_64]="36864 -"
  [libchacha20poly1305]="16384 -" [ipip]="20480 tunnel4,ip_tunnel" [tunnel4]="16384 -" [ip_tunnel]="32768 -"
  [veth]="40960 -" [dummy]="16384 -" [nf_conntrack_netlink]="57344 nf_conntrack,nfnetlink" [rbd]="131072 libceph"
  [libceph]="557056 libcrc32c" [nbd]="57344 -" [iscsi_tcp]="24576 -" [dm_thin_pool]="90112 -" [sctp]="425984 libcrc32c"
  [autofs4]="53248 -" [configs]="45056 -" [tcp_bbr]="20480 -" [ipvlan]="45056 -" [macvlan]="32768 -"
)

mod_name() { MOD=${1//-/_}; MOD=${MOD%.ko}; }
mod_known() { [[ -n ${MOD_TABLE[$1]:-} ]]; }

mod_read() { # MODS = loaded modules in load order
  MODS=()
  [[ -f $MOD_STATE ]] && mapfile -t MODS < "$MOD_STATE"
}
mod_loaded() { local m; for m in "${MODS[@]}"; do [[ $m == "$1" ]] && return 0; done; return 1; }
# mod_write: saves MODS, and $R/run/lab/proc-modules in the format of /proc/modules (lab-boot binds it there).
mod_write() {
  mkdir -p "${MOD_STATE%/*}"
  if ((${#MODS[@]})); then printf '%s\n' "${MODS[@]}" > "$MOD_STATE"; else : > "$MOD_STATE"; fi
  local i m out= u
  for ((i = ${#MODS[@]} - 1; i >= 0; i--)); do
    m=${MODS[i]}; mod_users "$m"
    if ((${#USERS[@]})); then u=$(IFS=,; echo "${USERS[*]},"); else u=-; fi
    out+="$m ${MOD_TABLE[$m]%% *} ${#USERS[@]} $u Live 0x0000000000000000"$'\n'
  done
  printf '%s' "$out" > "$R/run/lab/proc-modules"
}
mod_deps() { local e=${MOD_TABLE[$1]#* }; [[ $e == - ]] && DEPS=() || IFS=, read -ra DEPS <<< "$e"; }

# mod_users NAME: USERS = loaded modules that depend on NAME.
mod_users() {
  USERS=()
  local m d
  for m in "${MODS[@]}"; do mod_deps "$m"; for d in "${DEPS[@]}"; do [[ $d == "$1" ]] && USERS+=("$m"); done; done
}

# mod_load NAME: loads NAME and its dependencies (already loaded: nothing).
mod_load() {
  mod_loaded "$1" && return 0
  local d
  mod_deps "$1"
  for d in "${DEPS[@]}"; do mod_load "$d"; done
  MODS+=("$1")
}

mod_unload() { # removes NAME from MODS
  local m out=()
  for m in "${MODS[@]}"; do [[ $m == "$1" ]] || out+=("$m"); done
  MODS=("${out[@]}")
  # a module's sysctls vanish with it; reloading gives kernel defaults again
  [[ $1 == br_netfilter ]] && rm -f "$R/run/lab/sysctl/net.bridge."* 2>/dev/null
  return 0
}

mod_not_found() { echo "modprobe: FATAL: Module $1 not found in directory /lib/modules/$KERNEL_RELEASE" >&2; }
