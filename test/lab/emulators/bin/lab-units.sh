# lab-units.sh: the emulated systemd unit model, sourced by systemctl and lab-boot (after lab-lib.sh).
UNIT_ETC=$R/etc/systemd/system
UNIT_LIB=$R/usr/lib/systemd/system
UNIT_RUN=$R/run/lab/systemd
UNIT_HOOKS=${LAB_UNIT_HOOKS:-$LAB_REPO/test/lab/emulators/units}
. "$LAB_BIN/lab-swap.sh"

# unit_norm NAME: U = the full unit name (foo -> foo.service), aliases (sshd -> ssh on Debian) resolved.
unit_norm() {
  case $1 in
    *.service|*.socket|*.swap|*.target|*.mount|*.timer|*.path|*.slice|*.scope|*.device|*.automount) U=$1 ;;
    /*) swap_escape "$1"; U=$SWAP_UNIT ;;
    *) U=$1.service ;;
  esac
  local f=$UNIT_ETC/$U t
  if [[ -L $f && ! $f -ef /dev/null ]]; then t=$(readlink "$f"); U=${t##*/}; fi
}

unit_masked() { [[ -L $UNIT_ETC/$1 && $UNIT_ETC/$1 -ef /dev/null ]]; }

# unit_fragment UNIT: FRAG = its unit file ($R-prefixed; "generated" for fstab swap units), SWAP_PATH for those.
unit_fragment() {
  FRAG= SWAP_PATH=
  unit_masked "$1" && return 1
  local f
  for f in "$UNIT_ETC/$1" "$UNIT_LIB/$1"; do [[ -f $f ]] && { FRAG=$f; return 0; }; done
  if [[ $1 == *.swap ]]; then
    swap_fstab
    for f in "${FSTAB_SWAPS[@]}"; do swap_escape "$f"; [[ $SWAP_UNIT == "$1" ]] && { FRAG=generated SWAP_PATH=$f; return 0; }; done
    swap_read
    for f in "${SWAP_NAMES[@]}"; do swap_escape "$f"; [[ $SWAP_UNIT == "$1" ]] && { FRAG=transient SWAP_PATH=$f; return 0; }; done
  fi
  return 1
}
unit_exists() { unit_fragment "$1"; }

# unit_key UNIT KEY: KEYVAL = values of KEY= in the unit file (space separated), false when absent.
unit_key() {
  KEYVAL=
  [[ -f $FRAG ]] || return 1
  local line found=1
  while IFS= read -r line; do
    [[ $line == "$2="* ]] && { KEYVAL+="${KEYVAL:+ }${line#*=}"; found=0; }
  done < "$FRAG"
  return $found
}
unit_has_key() { unit_fragment "$1" && unit_key "$1" "$2"; }

# unit_targets UNIT: TARGETS = "<target>.wants" / "<target>.requires" dirs from [Install].
unit_targets() {
  TARGETS=()
  local t
  unit_key "$1" WantedBy && for t in $KEYVAL; do TARGETS+=("$t.wants"); done
  unit_key "$1" RequiredBy && for t in $KEYVAL; do TARGETS+=("$t.requires"); done
}

# unit_active_state UNIT: UNIT_STATE (active|activating|failed|inactive), UNIT_SINCE (epoch), UNIT_PID.
unit_active_state() {
  UNIT_STATE=inactive UNIT_SINCE= UNIT_PID=0
  if [[ $1 == *.swap ]]; then
    unit_fragment "$1"
    [[ -n $SWAP_PATH ]] && swap_read && swap_index "$SWAP_PATH" && UNIT_STATE=active
    return 0
  fi
  if [[ -f $UNIT_RUN/active/$1 ]]; then
    read -r UNIT_STATE UNIT_SINCE UNIT_PID < "$UNIT_RUN/active/$1"
  elif [[ -f $UNIT_RUN/failed/$1 ]]; then
    UNIT_STATE=failed; read -r UNIT_SINCE < "$UNIT_RUN/failed/$1"
  fi
  : "${UNIT_PID:=0}"
}

# unit_file_state UNIT: UNIT_FILE_STATE (enabled|disabled|static|masked|generated|transient|"").
unit_file_state() {
  UNIT_FILE_STATE=
  if unit_masked "$1"; then UNIT_FILE_STATE=masked; return; fi
  if [[ -L $UNIT_ETC/$1 ]] && unit_fragment "$1"; then UNIT_FILE_STATE=alias; return; fi
  unit_fragment "$1" || return
  case $FRAG in generated|transient) UNIT_FILE_STATE=$FRAG; return ;; esac
  local f
  for f in "$UNIT_ETC"/*.wants/"$1" "$UNIT_ETC"/*.requires/"$1"; do
    [[ -L $f || -e $f ]] && { UNIT_FILE_STATE=enabled; return; }
  done
  unit_targets "$1"
  if ((${#TARGETS[@]})); then UNIT_FILE_STATE=disabled; else UNIT_FILE_STATE=static; fi
}

# unit_hook UNIT KIND: runs $UNIT_HOOKS/UNIT.KIND when executable; returns its status (0 without a hook).
unit_hook() {
  local h=$UNIT_HOOKS/$1.$2
  [[ -x $h ]] || return 0
  mkdir -p "$UNIT_RUN/pid"
  LAB_UNIT=$1 LAB_UNIT_PIDFILE=$UNIT_RUN/pid/$1 LAB_UNIT_PID=${UNIT_PID:-0} "$h"
}

unit_mark() { # unit_mark UNIT STATE [PID]
  mkdir -p "$UNIT_RUN/active" "$UNIT_RUN/failed"
  printf -v now '%(%s)T' -1
  if [[ $2 == failed ]]; then rm -f "$UNIT_RUN/active/$1"; echo "$now" > "$UNIT_RUN/failed/$1"
  elif [[ $2 == inactive ]]; then rm -f "$UNIT_RUN/active/$1"
  else rm -f "$UNIT_RUN/failed/$1"; echo "$2 $now ${3:-0}" > "$UNIT_RUN/active/$1"; fi
}

# daemon-reload bookkeeping: $UNIT_RUN/daemon-reload is touched by daemon-reload, enable/disable/mask (which reload
# implicitly) and lab-boot. A unit file or drop-in newer than it gets systemd's warning on start/restart/status.
unit_reloaded() { mkdir -p "$UNIT_RUN" && : > "$UNIT_RUN/daemon-reload"; }
unit_stale() { # unit_stale UNIT: true when its files changed after the last reload
  local stamp=$UNIT_RUN/daemon-reload f
  [[ -e $stamp && -f $FRAG ]] || return 1
  for f in "$FRAG" "$UNIT_LIB/$1.d"/*.conf "$UNIT_ETC/$1.d"/*.conf; do [[ -f $f && $f -nt $stamp ]] && return 0; done
  return 1
}
UNIT_STALE_MSG="changed on disk. Run 'systemctl daemon-reload' to reload units."
unit_warn_stale() { unit_stale "$1" && echo "Warning: The unit file, source configuration file or drop-ins of $1 $UNIT_STALE_MSG" >&2; return 0; }

# unit_pre_modprobe: runs the unit's "ExecStartPre=-/sbin/modprobe X" lines (containerd.service has one) on the
# emulated kernel, as systemd would.
unit_pre_modprobe() {
  unit_key "$u" ExecStartPre || return 0
  local m
  for m in $(printf '%s\n' "$KEYVAL" | sed -n 's|.*modprobe \([A-Za-z0-9_-]*\).*|\1|p'); do LAB_JOURNAL_OFF=1 "$LAB_BIN/modprobe" "$m" 2>/dev/null; done
  return 0
}

# unit_start UNIT [VERB]: start it (VERB only changes the error texts).
unit_start() {
  local u=$1 verb=${2:-start} rc pid=0
  if unit_masked "$u"; then echo "Failed to $verb $u: Unit $u is masked." >&2; return 1; fi
  unit_fragment "$u" || { echo "Failed to $verb $u: Unit $u not found." >&2; return 5; }
  if [[ -n $SWAP_PATH ]]; then
    swap_read; swap_index "$SWAP_PATH" && return 0
    swap_activate "$SWAP_PATH" 2>/dev/null && return 0
    echo "Job for $u failed." >&2; return 1
  fi
  unit_warn_stale "$u"
  unit_active_state "$u"
  [[ $UNIT_STATE == active || $UNIT_STATE == activating ]] && return 0
  rm -f "$UNIT_RUN/pid/$u"
  unit_pre_modprobe
  unit_hook "$u" start; rc=$?
  [[ -f $UNIT_RUN/pid/$u ]] && read -r pid < "$UNIT_RUN/pid/$u"
  case $rc in
    0) unit_mark "$u" active "$pid" ;;
    3) unit_mark "$u" activating "$pid" ;;
    *) unit_mark "$u" failed
       printf 'Job for %s failed because the control process exited with error code.\nSee "systemctl status %s" and "journalctl -xeu %s" for details.\n' "$u" "$u" "$u" >&2
       return 1 ;;
  esac
}

unit_stop() {
  local u=$1
  if ! unit_masked "$u" && ! unit_fragment "$u"; then echo "Failed to stop $u: Unit $u not loaded." >&2; return 5; fi
  if [[ -n $SWAP_PATH ]]; then swap_deactivate "$SWAP_PATH" 2>/dev/null; return 0; fi
  unit_active_state "$u"
  [[ $UNIT_STATE == active || $UNIT_STATE == activating ]] || return 0
  unit_hook "$u" stop
  unit_mark "$u" inactive
  rm -f "$UNIT_RUN/pid/$u"
}

unit_restart() {
  local u=$1
  if unit_masked "$u"; then echo "Failed to restart $u: Unit $u is masked." >&2; return 1; fi
  unit_fragment "$u" || { echo "Failed to restart $u: Unit $u not found." >&2; return 5; }
  unit_stop "$u"
  unit_start "$u" restart
}

unit_reload() {
  local u=$1
  unit_fragment "$u" || { echo "Failed to reload $u: Unit $u not found." >&2; return 5; }
  unit_key "$u" ExecReload || { echo "Failed to reload $u: Job type reload is not applicable for unit $u." >&2; return 1; }
  unit_active_state "$u"
  [[ $UNIT_STATE == active ]] || { echo "$u is not active, cannot reload." >&2; return 1; }
  unit_hook "$u" reload
}

unit_removed_msg() {
  if [[ ${LAB_OS:-} == ubuntu2204 ]]; then echo "Removed $1." >&2; else echo "Removed \"$1\"." >&2; fi
}

unit_enable() {
  local u=$1 t link
  if unit_masked "$u"; then echo "Failed to enable unit, unit ${UNIT_ETC#$R}/$u is masked." >&2; return 1; fi
  unit_fragment "$u" || { echo "Failed to enable unit, unit $u does not exist." >&2; return 1; }
  case $FRAG in generated|transient) echo "Failed to enable unit, unit /run/systemd/generator/$u is transient or generated." >&2; return 1 ;; esac
  unit_targets "$u"
  if ((${#TARGETS[@]} == 0)); then
    cat >&2 <<'EOF'
The unit files have no installation config (WantedBy=, RequiredBy=, Also=,
Alias= settings in the [Install] section, and DefaultInstance= for template
units). This means they are not meant to be enabled or disabled using systemctl.
 
Possible reasons for having this kind of units are:
• A unit may be statically enabled by being symlinked from another unit's
  .wants/ or .requires/ directory.
• A unit's purpose may be to act as a helper for some other unit which has
  a requirement dependency on it.
• A unit may be started when needed via activation (socket, path, timer,
  D-Bus, udev, scripted systemctl call, ...).
• In case of template units, the unit is meant to be enabled with some
  instance name specified.
EOF
    return 0
  fi
  for t in "${TARGETS[@]}"; do
    link=$UNIT_ETC/$t/$u
    [[ -L $link ]] && continue
    mkdir -p "$UNIT_ETC/$t"
    ln -s "${FRAG#$R}" "$link"
    echo "Created symlink ${link#$R} → ${FRAG#$R}." >&2
  done
}

unit_disable() {
  local u=$1 f
  if ! unit_masked "$u" && ! unit_fragment "$u"; then echo "Failed to disable unit, unit $u does not exist." >&2; return 1; fi
  for f in "$UNIT_ETC"/*.wants/"$u" "$UNIT_ETC"/*.requires/"$u"; do
    [[ -L $f || -e $f ]] || continue
    rm -f "$f"; unit_removed_msg "${f#$R}"
  done
}

unit_mask() {
  local u=$1 f=$UNIT_ETC/$1
  unit_masked "$u" && return 0
  if [[ -e $f || -L $f ]]; then
    if [[ -L $f ]]; then rm -f "$f"; else echo "Failed to mask unit: File ${f#$R} already exists." >&2; return 1; fi
  fi
  mkdir -p "$UNIT_ETC"
  ln -s /dev/null "$f"
  echo "Created symlink ${f#$R} → /dev/null." >&2
}

unit_unmask() {
  unit_masked "$1" || return 0
  rm -f "$UNIT_ETC/$1"; unit_removed_msg "${UNIT_ETC#$R}/$1"
}

. "$LAB_BIN/lab-units-view.sh"
