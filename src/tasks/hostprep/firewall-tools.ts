/** The two firewall front-ends kubesmith manages, as small strategy objects (chosen by host.distro.firewall). */
import type { Transport } from '../../transport/types.js';
import type { PortRule } from '../../data/ports.js';

export interface FirewallTool {
  unit: string;
  /** Commands that turn the firewall off now and at boot. */
  disable: string[][];
  /** Whether rules are enforced right now. */
  isActive(t: Transport): Promise<boolean>;
  /** Open rules as "port/proto". */
  openRules(t: Transport): Promise<Set<string>>;
  open(rules: readonly PortRule[]): string[][];
}

const key = (r: PortRule) => `${r.port}/${r.proto}`;

export const firewalld: FirewallTool = {
  unit: 'firewalld',
  disable: [['systemctl', 'disable', '--now', 'firewalld']],
  async isActive(t) {
    return (await t.exec(['systemctl', 'is-active', 'firewalld'], { allowFailure: true })).stdout.trim() === 'active';
  },
  async openRules(t) {
    const out = await t.exec(['firewall-cmd', '--list-ports'], { allowFailure: true });
    return new Set(out.stdout.split(/\s+/).filter(Boolean));
  },
  open(rules) {
    return [...rules.map((r) => ['firewall-cmd', '--permanent', `--add-port=${key(r)}`]), ['firewall-cmd', '--reload']];
  },
};

export const ufw: FirewallTool = {
  unit: 'ufw',
  disable: [['ufw', 'disable'], ['systemctl', 'disable', '--now', 'ufw']],
  async isActive(t) {
    const out = await t.exec(['ufw', 'status'], { allowFailure: true });
    return out.code === 0 && /Status:\s*active/.test(out.stdout);
  },
  async openRules(t) {
    const out = await t.exec(['ufw', 'status'], { allowFailure: true });
    const open = new Set<string>();
    for (const line of out.stdout.split('\n')) {
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
