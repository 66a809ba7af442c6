/**
 * doctor's host-level network checks, pure: the seed runbook's incident notes turned into rules — flannel on the
 * wrong NIC of a multi-NIC host (its `--iface` note), the vxlan MTU against the NIC under it, the bridge and
 * forwarding sysctls, and flannel's hairpinMode (pods reaching their own Service).
 */
import type { ApiNode } from '../audit/api.js';
import type { CheckOutcome, Finding } from '../checks/report.js';
import type { Expected } from './cluster-rules.js';
import { flannelHairpin, parseEnvFile, type HostNet } from './host.js';

export const FLANNEL_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
/** VXLAN over IPv4 adds 50 bytes (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14): flannel sets MTU = NIC - 50. */
export const VXLAN_OVERHEAD = 50;

export type HostRead = { ok: true; value: HostNet } | { ok: false; error: string };

const devOf = (net: HostNet | undefined, ip: string) => net?.addresses.find((a) => a.address === ip)?.dev;

export function flannelInterface(hosts: Expected[], nodes: ApiNode[], nets: Map<string, HostRead>): CheckOutcome {
  const id = 'flannel.iface';
  const title = "flannel: each node's overlay on its inventory address";
  const annotated = nodes.filter((n) => n.annotations[FLANNEL_PUBLIC_IP]);
  if (!annotated.length) return { id, title, skipped: `no node carries ${FLANNEL_PUBLIC_IP} (flannel not in use)`, findings: [] };
  const findings: Finding[] = [];
  for (const h of hosts) {
    const publicIp = nodes.find((n) => n.name === h.name)?.annotations[FLANNEL_PUBLIC_IP];
    if (!publicIp || publicIp === h.address) continue;
    const r = nets.get(h.name);
    const net = r?.ok ? r.value : undefined;
    findings.push({
      check: id,
      severity: 'critical',
      node: h.name,
      message: `flannel uses ${publicIp}${devOf(net, publicIp) ? ` (${devOf(net, publicIp)})` : ''}, not the inventory address ${h.address}${devOf(net, h.address) ? ` (${devOf(net, h.address)})` : ''}: other nodes send this node's pod traffic to an address they may not reach`,
      evidence: [`node annotation ${FLANNEL_PUBLIC_IP}: ${publicIp}`, `inventory internalAddress: ${h.address}`],
      fix: `set network.flannel.iface to the interface holding ${h.address}${devOf(net, h.address) ? ` (${devOf(net, h.address)})` : ''} and run \`kubesmith apply\` (flanneld gets --iface)`,
    });
  }
  return { id, title, findings };
}

export function overlayMtu(hosts: Expected[], nodes: ApiNode[], nets: Map<string, HostRead>): CheckOutcome {
  const id = 'flannel.mtu';
  const title = 'flannel: overlay MTU fits the node NIC';
  const findings: Finding[] = [];
  let checked = 0;
  for (const h of hosts) {
    const r = nets.get(h.name);
    if (!r?.ok) continue; // the sysctl check reports the unreadable host
    const vxlan = r.value.links.find((l) => l.name === 'flannel.1');
    const underIp = nodes.find((n) => n.name === h.name)?.annotations[FLANNEL_PUBLIC_IP] ?? h.address;
    const nic = r.value.links.find((l) => l.name === devOf(r.value, underIp));
    if (!vxlan || !nic) continue;
    checked++;
    const env = r.value.flannelSubnetEnv ? parseEnvFile(r.value.flannelSubnetEnv) : {};
    const evidence = [
      `ip link: ${nic.name} mtu ${nic.mtu}, flannel.1 mtu ${vxlan.mtu}`,
      ...(env.FLANNEL_MTU ? [`${'/run/flannel/subnet.env'}: FLANNEL_MTU=${env.FLANNEL_MTU}`] : []),
    ];
    if (vxlan.mtu > nic.mtu - VXLAN_OVERHEAD)
      findings.push({
        check: id,
        severity: 'critical',
        node: h.name,
        message: `flannel.1 mtu ${vxlan.mtu} leaves no room for VXLAN on ${nic.name} (mtu ${nic.mtu}; at most ${nic.mtu - VXLAN_OVERHEAD}): large cross-node packets are dropped`,
        evidence,
        fix: 'restart the flannel pod of this node after fixing the NIC MTU (flannel derives its MTU from the NIC at start); pods keep their old MTU until re-created',
      });
    else if (env.FLANNEL_MTU && Number(env.FLANNEL_MTU) !== vxlan.mtu)
      findings.push({
        check: id,
        severity: 'warning',
        node: h.name,
        message: `flannel hands pods MTU ${env.FLANNEL_MTU} but flannel.1 has ${vxlan.mtu}`,
        evidence,
        fix: 'restart the flannel pod of this node so subnet.env and the device agree',
      });
  }
  return { id, title, ...(checked ? {} : { skipped: 'no node has a flannel.1 VXLAN device' }), findings };
}

export function forwardingSysctls(hosts: Expected[], nets: Map<string, HostRead>): CheckOutcome {
  const id = 'host.sysctl';
  const findings: Finding[] = [];
  const fix = '`kubesmith apply` loads br_netfilter (also at boot) and sets these sysctls in /etc/sysctl.d (host prep)';
  for (const h of hosts) {
    const r = nets.get(h.name)!;
    if (!r.ok) {
      findings.push({
        check: id,
        severity: 'unknown',
        node: h.name,
        message: `could not check: ${r.error}`,
        evidence: [],
        fix: 'make the host reachable over SSH',
      });
      continue;
    }
    const { bridgeNfCallIptables: nf, ipForward: fwd } = r.value;
    if (nf === null)
      findings.push({
        check: id,
        severity: 'critical',
        node: h.name,
        message: 'br_netfilter is not loaded: bridged pod traffic bypasses iptables, Services break',
        evidence: ['sysctl net.bridge.bridge-nf-call-iptables: no such key'],
        fix,
      });
    else if (nf !== '1')
      findings.push({
        check: id,
        severity: 'critical',
        node: h.name,
        message: 'net.bridge.bridge-nf-call-iptables is off: bridged pod traffic bypasses iptables',
        evidence: [`net.bridge.bridge-nf-call-iptables = ${nf}`],
        fix,
      });
    if (fwd !== '1')
      findings.push({
        check: id,
        severity: 'critical',
        node: h.name,
        message: 'IPv4 forwarding is off: pod traffic is not routed off this node',
        evidence: [`net.ipv4.ip_forward = ${fwd ?? '(unreadable)'}`],
        fix,
      });
  }
  return { id, title: 'Hosts: br_netfilter loaded, bridge-nf-call-iptables and ip_forward on', findings };
}

export function hairpin(hosts: Expected[], nets: Map<string, HostRead>): CheckOutcome {
  const id = 'cni.hairpin';
  const title = "flannel: hairpinMode on (a pod reaches its own Service's ClusterIP)";
  const findings: Finding[] = [];
  let seen = 0;
  for (const h of hosts) {
    const r = nets.get(h.name);
    const text = r?.ok ? r.value.flannelConflist : null;
    if (!text) continue;
    seen++;
    let on: boolean | undefined;
    try {
      on = flannelHairpin(text);
    } catch {
      findings.push({
        check: id,
        severity: 'warning',
        node: h.name,
        message: 'the flannel CNI config is not valid JSON',
        evidence: [text.slice(0, 200)],
        fix: '`kubesmith apply` rewrites the kube-flannel-cfg ConfigMap; flannel writes the file again',
      });
      continue;
    }
    if (on !== true)
      findings.push({
        check: id,
        severity: 'warning',
        node: h.name,
        message: "hairpinMode is not on: a pod cannot reach itself through its own Service (the seed runbook's hairpin note)",
        evidence: [`/etc/cni/net.d/10-flannel.conflist delegate.hairpinMode: ${on === undefined ? 'absent' : String(on)}`],
        fix: '`kubesmith apply` installs flannel with "hairpinMode": true; pods get it when re-created',
      });
  }
  return { id, title, ...(seen ? {} : { skipped: 'no flannel CNI config on any node' }), findings };
}
