/**
 * Certs | End a cluster CA rotation: once every node trusts the new CA only and holds certificates it signed, the
 * staging directory (the new key's second copy and the old CA's certificate) goes from the control planes. The old
 * CA stays only in the backups. The first control plane goes last: its staging directory is what says a rotation is
 * under way.
 */
import { nodeStage, ROTATION_DIR, rotationCas } from '../../certs/ca-rotation.js';
import type { Task } from '../../engine/types.js';
import { fileExists } from '../common/cluster.js';
import { clusterCaFacts } from './rotate-facts.js';

export const certsRotateFinish: Task = {
  id: 'certs.rotate-finish',
  title: 'Certs | Remove the rotation staging directory once every node trusts only the new CA',
  async check(ctx) {
    if (!(await fileExists(ctx.transport, ROTATION_DIR))) return { status: 'ok' };
    return { status: 'change', changes: [{ summary: `remove ${ROTATION_DIR} (the old CA remains in the backups)` }] };
  },
  async apply(ctx) {
    const nodes = await clusterCaFacts(ctx);
    const cas = rotationCas(nodes[0]!);
    const behind = cas ? nodes.filter((n) => nodeStage(n, cas) !== 'new-only').map((n) => n.node) : [];
    if (behind.length) throw new Error(`the rotation is not complete on ${behind.join(', ')}: ${ROTATION_DIR} stays`);
    const first = ctx.host.name === ctx.hosts.firstControlPlane.name;
    if (first && ctx.hosts.controlPlanes.length > 1) {
      for (const h of ctx.hosts.controlPlanes.slice(1))
        if (await fileExists(ctx.transportFor(h), ROTATION_DIR)) throw new Error(`${h.name} still holds ${ROTATION_DIR}`);
    }
    await ctx.transport.exec(['rm', '-rf', '--', ROTATION_DIR]);
  },
};
