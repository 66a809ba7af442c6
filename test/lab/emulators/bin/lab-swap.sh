# lab-swap.sh: emulated swap, sourced after lab-lib.sh by swapon, swapoff, free, systemctl and lab-boot.
# Active swaps: $R/run/lab/swaps, written in the exact format of /proc/swaps (the host part may bind it over /proc/swaps;
#   it is rewritten in place, never replaced, so such a bind keeps working). Lost at reboot like real swap.
# Swap devices: $R/var/lib/lab/swap/devices, "<path> <size-KiB>" lines: the emulated swap areas (e.g. /swap.img,
#   which cannot be a real file since / is read-only). A real regular file under $R also counts as a swap area.
SWAP_PROC=$R/run/lab/swaps
SWAP_DEVICES=$R/var/lib/lab/swap/devices

# swap_read: SWAP_NAMES/SWAP_SIZES/SWAP_USED/SWAP_PRIOS arrays from $SWAP_PROC.
swap_read() {
  SWAP_NAMES=() SWAP_SIZES=() SWAP_USED=() SWAP_PRIOS=()
  [[ -f $SWAP_PROC ]] || return 0
  local name type size used prio
  while read -r name type size used prio; do
    [[ $name == Filename || -z $name ]] && continue
    SWAP_NAMES+=("$name") SWAP_SIZES+=("$size") SWAP_USED+=("$used") SWAP_PRIOS+=("$prio")
  done < "$SWAP_PROC"
}

# swap_write: rewrites $SWAP_PROC from the arrays, formatted like the kernel's /proc/swaps.
swap_write() {
  local i out=$'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' pad
  for i in "${!SWAP_NAMES[@]}"; do
    pad=$((40 - ${#SWAP_NAMES[i]})); ((pad < 1)) && pad=1
    printf -v pad '%*s' "$pad" ''
    out+="${SWAP_NAMES[i]}$pad"$'file\t\t'"${SWAP_SIZES[i]}"$'\t'
    ((SWAP_SIZES[i] < 10000000)) && out+=$'\t'
    out+="${SWAP_USED[i]}"$'\t'
    ((SWAP_USED[i] < 10000000)) && out+=$'\t'
    out+="${SWAP_PRIOS[i]}"$'\n'
  done
  [[ -d ${SWAP_PROC%/*} ]] || mkdir -p "${SWAP_PROC%/*}"
  printf '%s' "$out" > "$SWAP_PROC"
}

swap_index() { local i; for i in "${!SWAP_NAMES[@]}"; do [[ ${SWAP_NAMES[i]} == "$1" ]] && { SWAP_I=$i; return 0; }; done; return 1; }

# swap_device_size PATH: SWAP_SIZE (KiB) of a known swap area; fails when PATH is no swap area.
swap_device_size() {
  local p s
  if [[ -f $SWAP_DEVICES ]]; then
    while read -r p s; do [[ $p == "$1" ]] && { SWAP_SIZE=$s; return 0; }; done < "$SWAP_DEVICES"
  fi
  if [[ $1 == /* && -f $R$1 ]]; then
    s=$(stat -c %s "$R$1" 2>/dev/null) || return 1
    SWAP_SIZE=$((s / 1024 - 4)); ((SWAP_SIZE > 0)) || return 1
    return 0
  fi
  return 1
}

# swap_fstab: FSTAB_SWAPS = device paths of the swap entries of /etc/fstab (not commented, not noauto).
swap_fstab() {
  FSTAB_SWAPS=()
  [[ -f $R/etc/fstab ]] || return 0
  local dev mp type opts rest
  while read -r dev mp type opts rest; do
    [[ $dev == \#* || -z $dev || $type != swap ]] && continue
    [[ ,$opts, == *,noauto,* ]] && continue
    FSTAB_SWAPS+=("$dev")
  done < "$R/etc/fstab"
}

# swap_escape PATH: SWAP_UNIT = the systemd swap unit name for PATH (systemd-escape --path --suffix=swap).
swap_escape() {
  local p=${1#/}
  p=${p//\\/\\x5c}; p=${p//-/\\x2d}; p=${p//\//-}
  SWAP_UNIT=$p.swap
}

# swap_activate PATH [PRIO]: 0 on success, prints util-linux's error otherwise.
swap_activate() {
  swap_read
  if swap_index "$1"; then echo "swapon: $1: swapon failed: Device or resource busy" >&2; return 4; fi
  if ! swap_device_size "$1"; then
    if [[ $1 == /* && -e $R$1 ]]; then echo "swapon: $1: read swap header failed" >&2
    else echo "swapon: cannot open $1: No such file or directory" >&2; fi
    return 4
  fi
  local prio=${2:-} n=-1 p
  if [[ -z $prio ]]; then
    for p in "${SWAP_PRIOS[@]}"; do ((p < n)) && n=$p; done
    prio=$((n - 1))
  fi
  SWAP_NAMES+=("$1") SWAP_SIZES+=("$SWAP_SIZE") SWAP_USED+=(0) SWAP_PRIOS+=("$prio")
  swap_write
}

swap_deactivate() {
  swap_read
  swap_index "$1" || { echo "swapoff: $1: swapoff failed: Invalid argument" >&2; return 4; }
  unset "SWAP_NAMES[SWAP_I]" "SWAP_SIZES[SWAP_I]" "SWAP_USED[SWAP_I]" "SWAP_PRIOS[SWAP_I]"
  swap_write
}

# swap_human KIB: HUMAN = util-linux style size (2G, 1.5G, 512M, 0B).
swap_human() {
  local b=$(($1 * 1024)) u=(B K M G T P) i=0 d=1 q r
  while ((b >= d * 1024 && i < 5)); do d=$((d * 1024)); i=$((i + 1)); done
  q=$((b / d)); r=$(((b % d) * 10 / d))
  if ((((b % d) * 10 % d) * 2 >= d)); then r=$((r + 1)); fi
  ((r >= 10)) && { q=$((q + 1)); r=0; }
  if ((r)); then HUMAN=$q.$r${u[i]}; else HUMAN=$q${u[i]}; fi
}
