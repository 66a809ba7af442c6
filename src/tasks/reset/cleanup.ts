/**
 * What `kubeadm reset` leaves behind, and the commands that remove it (pure: text in, commands out).
 * iptables: only the chains Kubernetes components create (KUBE-*, FLANNEL*, CILIUM*) in filter/nat/mangle/raw:
 * the rules that jump into them are deleted, then those chains are flushed and deleted, in one
 * `iptables-restore --noflush` transaction per table. Built-in chains are never flushed and policies never change,
 * so a rule that keeps the SSH session open survives.
 */
import { raw, sh, type ShellScript } from '../../transport/command.js';

export const CNI_PATHS = ['/etc/cni/net.d', '/var/lib/cni', '/run/flannel'];
/** Interface names CNIs and kube-proxy create (exact names, or prefixes ending in *). */
export const CNI_INTERFACES = ['cni0', 'flannel.1', 'kube-ipvs0', 'cilium_*'];
export const KUBE_CHAIN = /^(KUBE-|FLANNEL|CILIUM)/;
const CHAIN_ERE = '(KUBE-|FLANNEL|CILIUM)';
export const TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;
export const IPTABLES = ['iptables', 'ip6tables'] as const;

export function isCniInterface(name: string): boolean {
  return CNI_INTERFACES.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * The restore input that removes Kubernetes chains from one table's `iptables-save -t TABLE` output:
 * `-D` for each rule of another chain that jumps (-j/-g) into a Kubernetes chain, then `-F` and `-X` for each
 * Kubernetes chain. Undefined when the table holds none. Lines never name a built-in chain except in `-D`.
 */
export function chainCleanup(table: string, save: string): string | undefined {
  const lines = save.split('\n');
  const chains = lines.map((l) => /^:(\S+) /.exec(l)?.[1]).filter((c): c is string => !!c && KUBE_CHAIN.test(c));
  const jumps = lines.filter((l) => {
    const m = /^-A (\S+) .*-[jg] (\S+)/.exec(l);
    return !!m && !KUBE_CHAIN.test(m[1]!) && KUBE_CHAIN.test(m[2]!);
  });
  if (chains.length === 0 && jumps.length === 0) return undefined;
  return [`*${table}`, ...jumps.map((l) => l.replace(/^-A /, '-D ')), ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
}

/**
 * The same on the host, as one script: for each of iptables/ip6tables and each table, build the restore input
 * with awk (same rules as chainCleanup) and feed it to `<tool>-restore --noflush`.
 */
export function iptablesCleanupScript(): ShellScript {
  const tables = TABLES.join(' ');
  const tools = IPTABLES.join(' ');
  return sh`set -e
for tool in ${raw(tools)}; do
  command -v "$tool-save" >/dev/null 2>&1 || continue
  for table in ${raw(tables)}; do
    save=$("$tool-save" -t "$table" 2>/dev/null) || continue
    input=$(printf '%s\\n' "$save" | awk -v t="$table" '
      /^:/ { c = substr($1, 2); if (c ~ /^${raw(CHAIN_ERE)}/) chains[++n] = c; next }
      /^-A / { for (i = 3; i < NF; i++) if (($i == "-j" || $i == "-g") && $(i+1) ~ /^${raw(CHAIN_ERE)}/ && $2 !~ /^${raw(CHAIN_ERE)}/) { sub(/^-A /, "-D "); jumps[++m] = $0; break } }
      END {
        if (n + m == 0) exit
        print "*" t
        for (i = 1; i <= m; i++) print jumps[i]
        for (i = 1; i <= n; i++) print "-F " chains[i]
        for (i = 1; i <= n; i++) print "-X " chains[i]
        print "COMMIT"
      }')
    [ -n "$input" ] && printf '%s\\n' "$input" | "$tool-restore" --noflush
  done
done
true`;
}

/**
 * A read-only probe: what of the above exists on the host (ipvsadm only when ip_vs is loaded: it would modprobe it). Lines: `kubeadm <path>`,
 * `etcd /var/lib/etcd/member` (etcd data, kept, never deleted: keep-etcd.ts), `path <path>`,
 * `link <name>`, `ipvs`, `chain <tool> <table> <chain>`, `kubeconfig <path>`.
 */
export function leftoversProbe(homes: readonly string[]): ShellScript {
  return sh`for f in /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf /var/lib/kubelet/config.yaml /etc/kubernetes/pki/ca.crt; do [ -e "$f" ] && echo "kubeadm $f"; done
for f in /etc/kubernetes/manifests/*.yaml; do [ -e "$f" ] && echo "kubeadm $f"; done
[ -n "$(ls -A /var/lib/etcd 2>/dev/null)" ] && echo "kubeadm /var/lib/etcd"
[ -e /var/lib/etcd/member ] && echo "etcd /var/lib/etcd/member"
for p in ${CNI_PATHS}; do [ -e "$p" ] && echo "path $p"; done
ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "link " $2 }'
[ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1 && [ -n "$(ipvsadm -Sn 2>/dev/null)" ] && echo ipvs
for tool in ${raw(IPTABLES.join(' '))}; do
  command -v "$tool-save" >/dev/null 2>&1 || continue
  for table in ${raw(TABLES.join(' '))}; do "$tool-save" -t "$table" 2>/dev/null | sed -n -E "s/^:(${raw(CHAIN_ERE)}[^ ]*) .*/chain $tool $table \\1/p"; done
done
for h in ${homes}; do [ -e "$h/.kube/config" ] && echo "kubeconfig $h/.kube/config"; done
true`;
}

export interface Leftovers {
  kubeadm: string[];
  /** /var/lib/etcd/member exists: kept in /var/lib/etcd-kept before kubeadm reset. */
  etcdMember: boolean;
  paths: string[];
  links: string[];
  ipvs: boolean;
  chains: { tool: string; table: string; chain: string }[];
  kubeconfigs: string[];
}

export function parseLeftovers(out: string): Leftovers {
  const l: Leftovers = { kubeadm: [], etcdMember: false, paths: [], links: [], ipvs: false, chains: [], kubeconfigs: [] };
  for (const line of out.split('\n')) {
    const [kind, ...rest] = line.trim().split(/\s+/);
    if (kind === 'kubeadm' && rest[0]) l.kubeadm.push(rest[0]);
    else if (kind === 'etcd' && rest[0] === '/var/lib/etcd/member') l.etcdMember = true;
    else if (kind === 'path' && rest[0]) l.paths.push(rest[0]);
    else if (kind === 'link' && rest[0] && isCniInterface(rest[0])) l.links.push(rest[0]);
    else if (kind === 'ipvs') l.ipvs = true;
    else if (kind === 'chain' && rest.length === 3) l.chains.push({ tool: rest[0]!, table: rest[1]!, chain: rest[2]! });
    else if (kind === 'kubeconfig' && rest[0]) l.kubeconfigs.push(rest[0]);
  }
  return l;
}
