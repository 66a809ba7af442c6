# lab-units-view.sh: read-only views of the unit model (status, show, cat, list-unit-files, list-units).

unit_ago() { # unit_ago EPOCH: AGO = "5min ago" style
  local now d; printf -v now '%(%s)T' -1; d=$((now - $1)); ((d < 0)) && d=0
  if ((d < 60)); then AGO="${d}s ago"
  elif ((d < 3600)); then AGO="$((d / 60))min ago"
  elif ((d < 86400)); then AGO="$((d / 3600))h $((d % 3600 / 60))min ago"
  else AGO="$((d / 86400)) day$( ((d / 86400 > 1)) && echo s) ago"; fi
}

unit_description() {
  DESC=$1
  if [[ -n $SWAP_PATH ]]; then DESC=$SWAP_PATH; elif unit_key "$1" Description; then DESC=$KEYVAL; fi
}

unit_status() {
  local u=$1 preset=preset since bullet sub dropins d f
  [[ ${LAB_OS:-} == ubuntu2204 ]] && preset="vendor preset"
  if unit_masked "$u"; then
    printf '○ %s\n     Loaded: masked (Reason: Unit %s is masked.)\n     Active: inactive (dead)\n' "$u" "$u"
    return 3
  fi
  unit_fragment "$u" || { echo "Unit $u could not be found." >&2; return 4; }
  unit_file_state "$u"; unit_fragment "$u"; unit_active_state "$u"; unit_fragment "$u"
  unit_description "$u"
  case $UNIT_STATE in active) bullet=●; [[ -n $SWAP_PATH ]] && sub=active || sub="active (running)" ;;
    activating) bullet=●; sub="activating (auto-restart) (Result: exit-code)" ;;
    failed) bullet=×; sub="failed (Result: exit-code)" ;; *) bullet=○; sub="inactive (dead)" ;; esac
  echo "$bullet $u - $DESC"
  unit_stale "$u" && echo "     Warning: The unit file, source configuration file or drop-ins of $u $UNIT_STALE_MSG"
  if [[ -n $SWAP_PATH ]]; then echo "     Loaded: loaded (/etc/fstab; $UNIT_FILE_STATE)"
  else echo "     Loaded: loaded (${FRAG#$R}; $UNIT_FILE_STATE; $preset: enabled)"; fi
  for d in "$UNIT_LIB/$u.d" "$UNIT_ETC/$u.d"; do
    dropins=()
    for f in "$d"/*.conf; do [[ -f $f ]] && dropins+=("${f##*/}"); done
    ((${#dropins[@]})) || continue
    echo "    Drop-In: ${d#$R}"
    for f in "${dropins[@]}"; do echo "             └─$f"; done
  done
  if [[ -n $UNIT_SINCE ]]; then
    unit_ago "$UNIT_SINCE"; printf -v since '%(%a %Y-%m-%d %H:%M:%S %Z)T' "$UNIT_SINCE"
    echo "     Active: $sub since $since; $AGO"
  else echo "     Active: $sub"; fi
  unit_key "$u" Documentation && echo "       Docs: $KEYVAL"
  [[ -n $SWAP_PATH ]] && echo "       What: $SWAP_PATH"
  if ((UNIT_PID > 0)); then echo "   Main PID: $UNIT_PID (${u%.*})"; fi
  [[ $UNIT_STATE == active ]] || return 3
}

unit_prop() { # unit_prop UNIT NAME: PROP value, false when the property is unknown
  case $2 in
    Id) PROP=$1 ;; Names) PROP=$1 ;;
    Description) unit_fragment "$1"; unit_description "$1"; PROP=$DESC ;;
    LoadState) if unit_masked "$1"; then PROP=masked; elif unit_fragment "$1"; then PROP=loaded; else PROP=not-found; fi ;;
    ActiveState) unit_active_state "$1"; PROP=$UNIT_STATE ;;
    SubState) unit_active_state "$1"
      case $UNIT_STATE in active) PROP=running; [[ $1 == *.swap ]] && PROP=active ;; activating) PROP=auto-restart ;;
        failed) PROP=failed ;; *) PROP=dead ;; esac ;;
    UnitFileState) unit_file_state "$1"; PROP=$UNIT_FILE_STATE ;;
    MainPID|ExecMainPID) unit_active_state "$1"; PROP=$UNIT_PID ;;
    FragmentPath) if unit_fragment "$1" && [[ -f $FRAG ]]; then PROP=${FRAG#$R}; else PROP=; fi ;;
    Result) unit_active_state "$1"; [[ $UNIT_STATE == failed ]] && PROP=exit-code || PROP=success ;;
    ActiveEnterTimestamp) unit_active_state "$1"; PROP=
      [[ -n $UNIT_SINCE && $UNIT_STATE != failed ]] && printf -v PROP '%(%a %Y-%m-%d %H:%M:%S %Z)T' "$UNIT_SINCE" ;;
    NRestarts) PROP=0 ;;
    Version) PROP=252 ;;
    *) return 1 ;;
  esac
  return 0
}

unit_show() {
  local u=$1 p
  local list=("${props[@]}")
  if [[ $u == - ]]; then ((${#list[@]})) || list=(Version); fi
  ((${#list[@]})) || list=(Id Names Description LoadState ActiveState SubState Result UnitFileState MainPID FragmentPath)
  for p in "${list[@]}"; do
    unit_prop "$u" "$p" || continue
    if [[ -n $value ]]; then echo "$PROP"; else echo "$p=$PROP"; fi
  done
}

unit_cat() {
  local u=$1 f
  unit_fragment "$u" && [[ -f $FRAG ]] || { echo "No files found for $u." >&2; return 1; }
  echo "# ${FRAG#$R}"; cat "$FRAG"
  for f in "$UNIT_LIB/$u.d"/*.conf "$UNIT_ETC/$u.d"/*.conf; do
    [[ -f $f ]] || continue
    printf '\n# %s\n' "${f#$R}"; cat "$f"
  done
}

unit_all_names() { # ALL = every known unit name, sorted
  local f n; ALL=()
  declare -A seen=()
  for f in "$UNIT_LIB"/* "$UNIT_ETC"/*; do
    n=${f##*/}
    [[ -f $f || -L $f ]] && [[ $n == *.* && $n != *.d && -z ${seen[$n]:-} ]] || continue
    seen[$n]=1; ALL+=("$n")
  done
  swap_fstab
  for f in "${FSTAB_SWAPS[@]}"; do swap_escape "$f"; [[ -z ${seen[$SWAP_UNIT]:-} ]] && { seen[$SWAP_UNIT]=1; ALL+=("$SWAP_UNIT"); }; done
  mapfile -t ALL < <(printf '%s\n' "${ALL[@]}" | sort)
}

unit_selected() { # unit_selected NAME PATTERNS...: type filter + glob patterns
  local n=$1 p; shift
  if [[ -n $types ]]; then
    local t ok=; for t in ${types//,/ }; do [[ $n == *.$t ]] && ok=1; done; [[ -n $ok ]] || return 1
  fi
  (($#)) || return 0
  for p; do [[ $n == $p ]] && return 0; done
  return 1
}

unit_list_files() {
  local n rows=() w=9 s=5 count=0 preset=PRESET
  [[ ${LAB_OS:-} == ubuntu2204 ]] && preset="VENDOR PRESET"
  unit_all_names
  for n in "${ALL[@]}"; do
    unit_selected "$n" "$@" || continue
    unit_file_state "$n"
    [[ -n $UNIT_FILE_STATE ]] || continue
    rows+=("$n" "$UNIT_FILE_STATE"); count=$((count + 1))
    ((${#n} > w)) && w=${#n}; ((${#UNIT_FILE_STATE} > s)) && s=${#UNIT_FILE_STATE}
  done
  [[ -n $legend ]] && printf "%-${w}s %-${s}s %s\n" "UNIT FILE" STATE "$preset"
  local i p
  for ((i = 0; i < ${#rows[@]}; i += 2)); do
    case ${rows[i+1]} in generated|transient|static|masked|alias) p=- ;; *) p=enabled ;; esac
    printf "%-${w}s %-${s}s %s\n" "${rows[i]}" "${rows[i+1]}" "$p"
  done
  [[ -n $legend ]] && printf '\n%s unit files listed.\n' "$count"
  return 0
}

unit_list_units() {
  local n rows=() w=4 count=0 load
  unit_all_names
  for n in "${ALL[@]}"; do
    unit_selected "$n" "$@" || continue
    unit_masked "$n" && [[ -z $all ]] && continue
    unit_active_state "$n"
    [[ -z $all && $UNIT_STATE == inactive ]] && continue
    unit_prop "$n" SubState; unit_fragment "$n"; unit_description "$n"
    load=loaded; unit_masked "$n" && load=masked
    rows+=("$n" "$load" "$UNIT_STATE" "$PROP" "$DESC"); count=$((count + 1))
    ((${#n} > w)) && w=${#n}
  done
  local i lead='  '
  [[ -n $plain ]] && lead=
  [[ -n $legend ]] && printf "$lead%-${w}s %-6s %-10s %-12s %s\n" UNIT LOAD ACTIVE SUB DESCRIPTION
  for ((i = 0; i < ${#rows[@]}; i += 5)); do
    printf "$lead%-${w}s %-6s %-10s %-12s %s\n" "${rows[@]:i:5}"
  done
  [[ -n $legend ]] && printf '\n%s loaded units listed.\n' "$count"
  return 0
}
