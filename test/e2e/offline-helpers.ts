/** Small helpers shared by the offline e2e files. */
import type { Lab } from '../lab/lab.js';

/** Node name → Ready condition status ("True"/"False"/"Unknown"), read with kubectl on the first control plane. */
export async function readyNodes(lab: Lab, cp = 'cp1'): Promise<Record<string, string | undefined>> {
  const r = await lab.exec(cp, 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json');
  if (r.code !== 0) throw new Error(`kubectl get nodes on ${cp} exited ${r.code}: ${r.stderr}`);
  const items = (
    JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }
  ).items;
  return Object.fromEntries(items.map((n) => [n.metadata.name, n.status.conditions.find((c) => c.type === 'Ready')?.status]));
}
