/**
 * Reading certificates over SSH: one read-only command per node (see src/certs/collect.ts), all nodes in
 * parallel; an unreachable node becomes "unknown", never a crash. Shared by `certs check`, the renewal's
 * verification and `certs distribute`.
 */
import { analyze, type CheckOptions, type CheckReport, type NodeInput } from '../../certs/analyze.js';
import { collectScript, parseCollected, type Collected } from '../../certs/collect.js';
import { derived } from '../../inventory/derived.js';
import type { Inventory } from '../../inventory/schema.js';
import type { Host } from '../../model/host.js';
import type { Transport } from '../../transport/types.js';

export async function readNodeCerts(t: Transport, controlPlane: boolean, sshUser = 'root'): Promise<Collected> {
  const r = await t.exec(collectScript(controlPlane, '', sshUser), { timeoutMs: 120_000 });
  return parseCollected(r.stdout);
}

/** The user kubesmith logs in as on this host: its ~/.kube/config is one of the admin.conf copies checked. */
function sshUserOf(inventory: Inventory | undefined, h: Host): string {
  return h.spec.ssh?.user ?? inventory?.spec.ssh.user ?? 'root';
}

/** Names and addresses a control plane's apiserver certificate must carry. */
export function expectedSans(host: Host): string[] {
  return [...new Set([host.name, host.internalAddress, host.address])];
}

export async function collectAll(
  hosts: readonly Host[],
  connect: (h: Host) => Promise<Transport>,
  inventory?: Inventory,
): Promise<NodeInput[]> {
  return Promise.all(
    hosts.map(async (h): Promise<NodeInput> => {
      const base = { node: h.name, controlPlane: h.isControlPlane, expectedSans: h.isControlPlane ? expectedSans(h) : [] };
      try {
        return { ...base, collected: await readNodeCerts(await connect(h), h.isControlPlane, sshUserOf(inventory, h)) };
      } catch (err) {
        return { ...base, unreachable: ((err as Error).message.split('\n')[0] ?? '').slice(0, 300) };
      }
    }),
  );
}

export async function checkCluster(
  inventory: Inventory,
  hosts: readonly Host[],
  connect: (h: Host) => Promise<Transport>,
  opts: { now: Date; warnDays: number; adminCopy?: CheckOptions['adminCopy'] | undefined },
): Promise<{ report: CheckReport; nodes: NodeInput[] }> {
  const nodes = await collectAll(hosts, connect, inventory);
  const ep = derived(inventory).controlPlaneEndpoint;
  const report = analyze(nodes, { ...opts, ...(ep ? { endpointHost: ep.host } : {}) });
  return { report, nodes };
}
