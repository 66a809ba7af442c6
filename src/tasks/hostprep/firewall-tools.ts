/** The two firewall front-ends kubesmith manages, as small strategy objects (chosen by host.distro.firewall). */
import type { ExecResult } from '../../transport/types.js';
import type { PortRule } from '../../data/ports.js';

/** Read-only commands first (the task sends them in one round trip), then what they mean. */
export interface FirewallTool {
  unit: string;
  /** Commands that turn the firewall off now and at boot. */
  disable: string[][];
  /** The command whose result isActive() reads. */
  activeQuery: string[];
  /** Whether rules are enforced right now. */
  isActive(r: ExecResult): boolean;
  /** The command whose result openRules() reads. */
  rulesQuery: string[];
  /** Open rules as "port/proto". */
  openRules(r: ExecResult): Set<string>;
  open(rules: readonly PortRule[]): string[][];
}

const key = (r: PortRule) => `${r.port}/${r.proto}`;

export const firewalld: FirewallTool = {
  unit: 'firewalld',
  disable: [['systemctl', 'disable', '--now', 'firewalld']],
  activeQuery: ['systemctl', 'is-active', 'firewalld'],
  isActive: (r) => r.stdout.trim() === 'active',
  rulesQuery: ['firewall-cmd', '--list-ports'],
  openRules: (r) => new Set(r.stdout.split(/\s+/).filter(Boolean)),
  open(rules) {
    return [...rules.map((r) => ['firewall-cmd', '--permanent', `--add-port=${key(r)}`]), ['firewall-cmd', '--reload']];
  },
};

export const ufw: FirewallTool = {
  unit: 'ufw',
  disable: [
    ['ufw', 'disable'],
    ['systemctl', 'disable', '--now', 'ufw'],
  ],
  activeQuery: ['ufw', 'status'],
  isActive: (r) => r.code === 0 && /Status:\s*active/.test(r.stdout),
  rulesQuery: ['ufw', 'status'],
  openRules(r) {
    const open = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\d+(?::\d+)?)\/(tcp|udp)\s+ALLOW/.exec(line.trim());
      if (m) open.add(`${m[1]!.replace(':', '-')}/${m[2]}`);
    }
    return open;
  },
  open(rules) {
    return rules.map((r) => ['ufw', 'allow', `${r.port.replace('-', ':')}/${r.proto}`]);
  },
};

export const firewallTools: Record<'firewalld' | 'ufw', FirewallTool> = { firewalld, ufw };
