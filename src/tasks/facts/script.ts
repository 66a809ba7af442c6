/**
 * The facts script: ONE round trip that prints every fact in named sections ("@@ks:<name>" lines).
 * Written here as a constant (no inventory value reaches it), read-only, tolerant of missing tools.
 */
import { raw, sh, type ShellScript } from '../../transport/command.js';

export const SECTION_MARK = '@@ks:';

const SCRIPT = String.raw`s() { printf '\n@@ks:%s\n' "$1"; }
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s arch; uname -m
s kernel; uname -r
s hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname 2>/dev/null
s cpus; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null
s meminfo; grep '^MemTotal:' /proc/meminfo 2>/dev/null
s cgroup; stat -fc %T /sys/fs/cgroup 2>/dev/null
s proc-swaps; cat /proc/swaps 2>/dev/null
s swapon; if command -v swapon >/dev/null 2>&1; then swapon --show 2>/dev/null; echo "rc=$?"; else echo absent; fi
s selinux; if command -v getenforce >/dev/null 2>&1; then getenforce 2>/dev/null; else echo absent; fi
s machine-id; cat /etc/machine-id 2>/dev/null
s product-uuid; cat /sys/class/dmi/id/product_uuid 2>/dev/null
s macs; for f in /sys/class/net/*/address; do n=${'$'}{f#/sys/class/net/}; n=${'$'}{n%/address}; [ "$n" = lo ] && continue; [ -r "$f" ] && printf '%s %s\n' "$n" "$(cat "$f" 2>/dev/null)"; done
s epoch; date +%s
s versions
command -v kubeadm >/dev/null 2>&1 && printf 'kubeadm %s\n' "$(kubeadm version -o short 2>/dev/null)"
command -v kubelet >/dev/null 2>&1 && printf 'kubelet %s\n' "$(kubelet --version 2>/dev/null)"
command -v kubectl >/dev/null 2>&1 && printf 'kubectl %s\n' "$(kubectl version --client 2>/dev/null | head -n1)"
command -v containerd >/dev/null 2>&1 && printf 'containerd %s\n' "$(containerd --version 2>/dev/null)"
command -v docker >/dev/null 2>&1 && printf 'docker %s\n' "$(docker --version 2>/dev/null)"
s cluster
[ -f /etc/kubernetes/kubelet.conf ] && echo kubelet.conf
[ -f /etc/kubernetes/admin.conf ] && echo admin.conf
for c in /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf; do [ -f "$c" ] && sed -n 's/^ *server: *//p' "$c" 2>/dev/null | head -n1 | sed 's/^/endpoint /' && break; done
s ca-crt; cat /etc/kubernetes/pki/ca.crt 2>/dev/null
s ports; if command -v ss >/dev/null 2>&1; then echo ss; ss -Htln 2>/dev/null; else echo proc; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; fi
s uid; id -u
s end
true`;

/** The command facts.gather runs (exec with allowFailure: partial output is still parsed). */
export const FACTS_SCRIPT: ShellScript = sh`${raw(SCRIPT)}`;
