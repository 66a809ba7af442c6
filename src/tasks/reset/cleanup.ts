/**
 * What `kubeadm reset` leaves behind, and the commands that remove it (pure: text in, commands out).
 * iptables: only the chains Kubernetes components create (KUBE-*, FLANNEL*, CILIUM*) in filter/nat/mangle/raw:
 * the rules that jump into them are deleted, then those chains are flushed and deleted, in one
 * `iptables-restore --noflush` transaction per table, decided on the admin machine from `iptables-save`. Built-in chains are never flushed and policies never change,
 * so a rule that keeps the SSH session open survives.
 */
import { raw, sh, type ShellScript } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';

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

/** One word of an iptables-save rule line; `quoted` when iptables-save wrote it in double quotes (a string value). */
interface RuleWord {
  text: string;
  quoted: boolean;
}

/** Split a rule line as iptables-save writes it: words separated by spaces, strings in "…" with \" and \\ escaped. */
export function ruleWords(line: string): RuleWord[] {
  const words: RuleWord[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (line[i] === '"') {
      let text = '';
      for (i++; i < line.length && line[i] !== '"'; i++) text += line[i] === '\\' && i + 1 < line.length ? line[++i] : line[i];
      words.push({ text, quoted: true });
      i++;
      continue;
    }
    const end = line.indexOf(' ', i);
    words.push({ text: line.slice(i, end < 0 ? line.length : end), quoted: false });
    i = end < 0 ? line.length : end;
  }
  return words;
}

/** Options whose value is free text: iptables-save leaves such a value unquoted when it has no special characters. */
const STRING_OPTIONS = new Set(['--comment', '--log-prefix', '--nflog-prefix', '--string', '--hex-string', '--helper']);

/**
 * The chain a rule line (`-A CHAIN …`) jumps or goes to, or undefined. The target is the first unquoted `-j`/`-g`
 * word that is not the value of a string option, so `--comment "keep before -j KUBE-FIREWALL" -j ACCEPT` is ACCEPT
 * and `-j LOG --log-prefix "to -j KUBE-X"` is LOG.
 */
export function ruleTarget(line: string): string | undefined {
  const words = ruleWords(line);
  for (let i = 2; i < words.length - 1; i++) {
    const w = words[i]!;
    if (w.quoted) continue;
    if (STRING_OPTIONS.has(w.text)) i++;
    else if (w.text === '-j' || w.text === '-g' || w.text === '--jump' || w.text === '--goto') return words[i + 1]!.text;
  }
  return undefined;
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
    const chain = /^-A (\S+) /.exec(l)?.[1];
    const target = chain === undefined ? undefined : ruleTarget(l);
    return chain !== undefined && target !== undefined && !KUBE_CHAIN.test(chain) && KUBE_CHAIN.test(target);
  });
  if (chains.length === 0 && jumps.length === 0) return undefined;
  return [
    `*${table}`,
    ...jumps.map((l) => l.replace(/^-A /, '-D ')),
    ...chains.map((c) => `-F ${c}`),
    ...chains.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
}

const SAVE_MARKER = '@@KS-IPTABLES-SAVE';

/** Read-only: `iptables-save -t TABLE` of every table for iptables and ip6tables, each after a marker line. */
export function iptablesSaveScript(): ShellScript {
  return sh`for tool in ${raw(IPTABLES.join(' '))}; do
  command -v "$tool-save" >/dev/null 2>&1 || continue
  for table in ${raw(TABLES.join(' '))}; do
    save=$("$tool-save" -t "$table" 2>/dev/null) || continue
    printf '%s %s %s\n%s\n' ${SAVE_MARKER} "$tool" "$table" "$save"
  done
done
true`;
}

/** The restore inputs to run, per tool and table, from the output of iptablesSaveScript. */
export function iptablesCleanups(out: string): { tool: (typeof IPTABLES)[number]; table: string; input: string }[] {
  const result: { tool: (typeof IPTABLES)[number]; table: string; input: string }[] = [];
  for (const section of out.split(`${SAVE_MARKER} `).slice(1)) {
    const nl = section.indexOf('\n');
    const [tool, table] = section.slice(0, nl < 0 ? section.length : nl).split(' ') as [string, string];
    if (!(IPTABLES as readonly string[]).includes(tool) || !(TABLES as readonly string[]).includes(table)) continue;
    const input = chainCleanup(table, nl < 0 ? '' : section.slice(nl + 1));
    if (input) result.push({ tool: tool as (typeof IPTABLES)[number], table, input });
  }
  return result;
}

/**
 * Remove the Kubernetes chains on a host: its rules are read (iptables-save), the decision is made here by
 * chainCleanup — the code the tests test, not a shell re-implementation of it — and exactly the resulting
 * `-D`/`-F`/`-X` lines are fed to `<tool>-restore --noflush` on stdin, one transaction per table.
 */
export async function cleanIptables(t: Transport): Promise<void> {
  const saved = await t.exec(iptablesSaveScript(), { timeoutMs: 60_000 });
  for (const c of iptablesCleanups(saved.stdout)) {
    await t.exec([`${c.tool}-restore`, '--noflush'], { stdin: c.input, timeoutMs: 60_000 });
  }
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
