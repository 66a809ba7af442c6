# lab-pkgdb.sh: read-only package queries answered in bash, sourced by the package launcher (bin/apt-get) after
# lab_enter. `dpkg-query -W [-f FORMAT] NAME...` and `apt-mark showhold [NAME...]` run on every provisioning, and a
# Node start costs more than the answer: these read pkgdb.json (written by src/pkg/pkgdb.ts with JSON.stringify(db,
# null, 1)) and print exactly what src/pkg/apt-tools.ts would. pkgdb_fast returns 1 (and prints nothing) for anything
# it is not sure about: other options, globs, a file in another layout, escapes in a string; the Node emulator
# then answers.

declare -gA PKG_VERSION PKG_ARCH PKG_HOLD PKG_DESC

# pkgdb_read: PKG_NAMES (file order), PKG_VERSION/PKG_ARCH/PKG_HOLD/PKG_DESC[name] from $R/var/lib/lab/pkgdb.json.
pkgdb_read() {
  PKG_NAMES=() PKG_VERSION=() PKG_ARCH=() PKG_HOLD=() PKG_DESC=()
  local f=$R/var/lib/lab/pkgdb.json line name= seen=
  [[ -f $f ]] || return 1
  local -a lines
  mapfile -t lines < "$f" || return 1
  [[ ${lines[0]-} == '{' ]] || return 1
  for line in "${lines[@]:1}"; do
    [[ $line == *\\* ]] && return 1
    if [[ $line == ' "packages": {' || $line == ' "packages": {},' || $line == ' "packages": {}' ]]; then seen=1
    elif [[ $line =~ ^\ \ \"([^\"]+)\":\ \{$ ]]; then
      name=${BASH_REMATCH[1]}
      [[ $name =~ ^[0-9]+$ || -n ${PKG_VERSION[$name]+x} ]] && return 1 # integer keys / duplicates: JSON.parse order differs
      PKG_NAMES+=("$name")
    elif [[ $line =~ ^\ \ \ \"(version|arch|description)\":\ (.*)$ ]]; then
      [[ -n $name && ${BASH_REMATCH[2]} =~ ^\"([^\"]*)\",?$ ]] || return 1
      case ${line:4:1} in v) PKG_VERSION[$name]=${BASH_REMATCH[1]} ;; a) PKG_ARCH[$name]=${BASH_REMATCH[1]} ;; d) PKG_DESC[$name]=${BASH_REMATCH[1]} ;; esac
    elif [[ $line =~ ^\ \ \ \"hold\":\ (.*)$ ]]; then
      [[ -n $name && ${BASH_REMATCH[1]} =~ ^(true|false),?$ ]] || return 1
      [[ ${BASH_REMATCH[1]} == true* ]] && PKG_HOLD[$name]=1
    fi
  done
  [[ -n $seen ]] || return 1
  for name in "${PKG_NAMES[@]}"; do [[ -n ${PKG_VERSION[$name]+x} && -n ${PKG_ARCH[$name]+x} ]] || return 1; done
}

# pkgdb_field NAME KEY: FIELD = what apt-tools.ts field() gives; false when the key needs the Node emulator.
pkgdb_field() {
  local key=${2%%;*} hold=${PKG_HOLD[$1]-}
  case $key in
    Package|binary:Package) FIELD=$1 ;;
    Version) FIELD=${PKG_VERSION[$1]} ;;
    Status) if [[ -n $hold ]]; then FIELD='hold ok installed'; else FIELD='install ok installed'; fi ;;
    db:Status-Abbrev) if [[ -n $hold ]]; then FIELD='hi '; else FIELD='ii '; fi ;;
    db:Status-Want) if [[ -n $hold ]]; then FIELD=hold; else FIELD=install; fi ;;
    db:Status-Status) FIELD=installed ;;
    Architecture) FIELD=${PKG_ARCH[$1]} ;;
    Description|binary:Summary) return 1 ;;
    Maintainer) FIELD='Kubernetes Authors <dev@kubernetes.io>' ;;
    *) FIELD= ;;
  esac
}

# pkgdb_fast TOOL ARGS...: answers and exits, or returns 1.
pkgdb_fast() {
  local tool=$1 a out= err= name rest fmt line
  shift
  local -a names=()
  if [[ $tool == apt-mark ]]; then
    [[ ${1-} == showhold || ${1-} == showholds ]] || return 1
    shift
    for a in "$@"; do [[ $a != -* ]] || return 1; names+=("$a"); done
    pkgdb_read || return 1
    for name in "${PKG_NAMES[@]}"; do
      [[ -n ${PKG_HOLD[$name]-} ]] || continue
      if ((${#names[@]})); then
        for a in "${names[@]}"; do [[ $a == "$name" ]] && break; done
        [[ $a == "$name" ]] || continue
      fi
      out+=$name$'\n'
    done
    printf '%s' "$out"
    exit 0
  fi
  [[ $tool == dpkg-query ]] || return 1
  local mode= format='${binary:Package}\t${Version}\n'
  while (($#)); do
    case $1 in
      -W|--show) mode=W ;;
      -f|--showformat|-Wf) [[ $1 == -Wf ]] && mode=W; (($# > 1)) || return 1; format=$2; shift ;;
      --showformat=*) format=${1#--showformat=} ;;
      -f*) format=${1#-f}; format=${format#=} ;;
      -*) return 1 ;;
      *) [[ $1 =~ ^[A-Za-z0-9.+_~:-]+$ ]] || return 1; names+=("$1") ;;
    esac
    shift
  done
  [[ $mode == W ]] && ((${#names[@]})) || return 1
  pkgdb_read || return 1
  format=${format//\\n/$'\n'}; format=${format//\\t/$'\t'}
  local missing= found=
  for name in "${names[@]}"; do
    if [[ -z ${PKG_VERSION[$name]+x} ]]; then err+="dpkg-query: no packages found matching $name"$'\n'; missing=1; continue; fi
    found=1
    rest=$format line=
    while [[ -n $rest ]]; do
      # a ${key} at the head of rest is substituted, anything else copied up to the next $
      if [[ $rest =~ ^\$\{([^}]+)\}(.*)$ ]]; then
        pkgdb_field "$name" "${BASH_REMATCH[1]}" || return 1
        line+=$FIELD rest=${BASH_REMATCH[2]}
      else
        [[ $rest =~ ^(\$?[^$]*)(.*)$ ]]
        line+=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
      fi
    done
    out+=$line
  done
  printf '%s' "$out"
  printf '%s' "$err" >&2
  [[ -n $missing ]] && exit 1
  exit 0
}
