/**
 * Certs | Rotate the front-proxy or the etcd CA (`certs rotate-ca --ca front-proxy|etcd`; which one: ctx.options.cpCa).
 * The new CA is made on the first control plane and copied to the others (as rotate-generate.ts does for the cluster
 * CA), then each control plane, one at a time and every one of a stage before any of the next, goes through:
 *   trusting  <ca>.crt = old+new (old still signs): etcd trusts peers and clients of both, the API server trusts
 *             etcd's serving certificate of both (--etcd-cafile) and front-proxy clients of both;
 *   signing   <ca>.crt = new+old, <ca>.key = the new key; kubeadm re-issues the leaves the CA signs;
 *   new-only  <ca>.crt = new: the old CA is trusted nowhere.
 * After each change the components reading the files restart one at a time (etcd, then the API server) with their
 * health gates (restart.ts). A marker written before the files change and removed once healthy makes a re-run after
 * an interruption restart what a stopped run left unrestarted. Stacked etcd only: kubeadm's local etcd on the control planes.
 */
import {
  blockedBy,
  bundleFor,
  bundleText,
  certFingerprint,
  nodeStage,
  ORDER,
  rotationCas,
  type NodeStage,
} from '../../certs/ca-rotation.js';
import { PKI_DIR } from '../../certs/catalog.js';
import { cpOwedFile, cpRotationDir, type CpCa } from '../../certs/cp-ca-rotation.js';
import type { Task, TaskContext } from '../../engine/types.js';
import { durationSeconds, KUBEADM_CA_VALIDITY } from '../../inventory/validity.js';
import { sh } from '../../transport/command.js';
import { controlPlaneTransport, fileExists } from '../common/cluster.js';
import { certsOptions, restartOptions } from './options.js';
import { manifestsBackScript, restartOne } from './restart.js';
import { clusterCpCaFacts, cpCaOf, readCpCaFacts } from './rotate-cp-facts.js';
import { generateCaScript } from './rotate-generate.js';
import { copyStaged, stageCheck, STAGED } from './rotate-stage.js';

type Target = Exclude<NodeStage, 'old'>;

export const certsRotateCpGenerate: Task = {
  id: 'certs.rotate-cp-generate',
  title: 'Certs | Generate the new front-proxy or etcd CA on the first control plane (a rotation under way keeps its own)',
  async check(ctx) {
    const ca = cpCaOf(ctx);
    if (rotationCas(await readCpCaFacts(ca, ctx.transport, ctx.host))) return { status: 'ok' };
    const validity = ctx.inventory.spec.certificates.caValidity ?? KUBEADM_CA_VALIDITY;
    return {
      status: 'change',
      changes: [
        {
          summary: `openssl: new CA "${ca.cn}" (RSA 2048, ${validity}) in ${cpRotationDir(ca)} (key 0600), next to a copy of the current one`,
        },
      ],
    };
  },
  async apply(ctx) {
    const ca = cpCaOf(ctx);
    const seconds = durationSeconds(ctx.inventory.spec.certificates.caValidity ?? KUBEADM_CA_VALIDITY);
    const target = { dir: cpRotationDir(ca), cn: ca.cn, current: `${PKI_DIR}/${ca.file}.crt` };
    await ctx.transport.exec(generateCaScript(seconds, target), { timeoutMs: 120_000 });
  },
};

export const certsRotateCpStage: Task = {
  id: 'certs.rotate-cp-stage',
  title: 'Certs | Copy the new front-proxy or etcd CA to this control plane',
  async check(ctx) {
    const ca = cpCaOf(ctx);
    const cas = rotationCas(await readCpCaFacts(ca, controlPlaneTransport(ctx), ctx.hosts.firstControlPlane));
    if (!cas) return { status: 'unknown', reason: 'the new CA exists once certs.rotate-cp-generate ran' };
    const me = await readCpCaFacts(ca, ctx.transport, ctx.host);
    const same = me.stagedNew && certFingerprint(me.stagedNew) === certFingerprint(cas.new) && me.stagedNewKey === cas.newKey;
    if (same && me.stagedOld && certFingerprint(me.stagedOld) === certFingerprint(cas.old)) return { status: 'ok' };
    return {
      status: 'change',
      changes: [{ summary: `copy ${STAGED.join(', ')} to ${cpRotationDir(ca)} (key 0600, never via a local file)` }],
    };
  },
  async apply(ctx) {
    await copyStaged(ctx, cpRotationDir(cpCaOf(ctx)));
  },
};

const WHAT: Record<Target, (ca: CpCa) => string> = {
  trusting: (ca) => `trust the old and the new ${ca.name} CA (${ca.file}.crt = old+new)`,
  signing: (ca) =>
    `re-issue ${Object.keys(ca.leaves).join(', ')} from the new ${ca.name} CA (${ca.file}.crt = new+old, ${ca.file}.key = new)`,
  'new-only': (ca) => `remove the old ${ca.name} CA (${ca.file}.crt = new only)`,
};

async function decide(ctx: TaskContext, target: Target) {
  const ca = cpCaOf(ctx);
  const nodes = await clusterCpCaFacts(ctx, ca);
  const cas = rotationCas(nodes[0]!);
  if (!cas) return { ca, unknown: 'the new CA exists once certs.rotate-cp-generate ran' } as const;
  const me = nodes.find((n) => n.node === ctx.host.name)!;
  if (ORDER.indexOf(nodeStage(me, cas)) >= ORDER.indexOf(target)) return undefined;
  return { ca, cas, blocked: blockedBy(nodes, cas, target) };
}

/** Change the files for the stage, then restart the CA's readers one at a time with their health gates. */
async function move(ctx: TaskContext, target: Target): Promise<void> {
  const o = certsOptions(ctx);
  const d = await decide(ctx, target);
  if (!d) return;
  if ('unknown' in d) throw new Error(`no ${d.ca.name} CA rotation under way: ${d.unknown}`);
  if (d.blocked.length) throw new Error(`cannot ${WHAT[target](d.ca)} on ${ctx.host.name} yet: first ${d.blocked.join(', ')}`);
  const { ca, cas } = d;
  await ctx.transport.exec(manifestsBackScript()); // a run killed during a restart left a manifest out
  o.states.set(`${ctx.host.name} (${ca.name} CA)`, `${WHAT[target](ca)}…`);
  await ctx.transport.exec(sh`set -e; mkdir -p -m 0700 /var/lib/kubesmith; printf '%s\n' ${target} > ${cpOwedFile(ca)}`);
  await ctx.transport.writeFile(`${PKI_DIR}/${ca.file}.crt`, bundleText(bundleFor(target, cas)), { mode: '0644', owner: 'root:root' });
  if (target === 'signing') {
    await ctx.transport.exec(sh`install -m 0600 -o root -g root ${`${cpRotationDir(ca)}/new-ca.key`} ${`${PKI_DIR}/${ca.file}.key`}`);
    for (const name of Object.values(ca.leaves)) await ctx.transport.exec(['kubeadm', 'certs', 'renew', name], { timeoutMs: 300_000 });
  }
  for (const pod of ca.pods) await restartOne(ctx.transport, restartOptions(ctx, o), pod);
  await ctx.transport.exec(['rm', '-f', cpOwedFile(ca)]);
  o.states.set(`${ctx.host.name} (${ca.name} CA)`, `${target}: ${WHAT[target](ca)}; healthy`);
}

function stageTask(id: string, target: Target, title: string): Task {
  return {
    id,
    title,
    async check(ctx) {
      const d = await decide(ctx, target);
      if (!d) return { status: 'ok' };
      const summary = `${WHAT[target](d.ca)}; restart ${d.ca.pods.join(' then ')} one at a time, health gate each`;
      return stageCheck(
        ctx,
        'unknown' in d ? { unknown: d.unknown } : { blocked: d.blocked },
        summary,
        WHAT[target](d.ca),
        'control planes',
      );
    },
    async apply(ctx) {
      await move(ctx, target);
    },
  };
}

export const certsRotateCpTrust: Task = stageTask(
  'certs.rotate-cp-trust',
  'trusting',
  'Certs | Trust the old and the new front-proxy or etcd CA on this control plane',
);
export const certsRotateCpSign: Task = stageTask(
  'certs.rotate-cp-sign',
  'signing',
  'Certs | Re-issue the front-proxy or etcd certificates of this control plane from the new CA',
);
export const certsRotateCpDrop: Task = stageTask(
  'certs.rotate-cp-drop',
  'new-only',
  'Certs | Remove the old front-proxy or etcd CA from this control plane',
);

export const certsRotateCpFinish: Task = {
  id: 'certs.rotate-cp-finish',
  title: 'Certs | Remove the front-proxy or etcd CA staging directory once every control plane trusts only the new CA',
  async check(ctx) {
    const dir = cpRotationDir(cpCaOf(ctx));
    if (!(await fileExists(ctx.transport, dir))) return { status: 'ok' };
    return { status: 'change', changes: [{ summary: `remove ${dir} (the old CA remains in the backups)` }] };
  },
  async apply(ctx) {
    const ca = cpCaOf(ctx);
    const nodes = await clusterCpCaFacts(ctx, ca);
    const cas = rotationCas(nodes[0]!);
    const behind = cas ? nodes.filter((n) => nodeStage(n, cas) !== 'new-only').map((n) => n.node) : [];
    if (behind.length) throw new Error(`the ${ca.name} CA rotation is not complete on ${behind.join(', ')}: ${cpRotationDir(ca)} stays`);
    if (ctx.host.name === ctx.hosts.firstControlPlane.name)
      for (const h of ctx.hosts.controlPlanes.slice(1))
        if (await fileExists(ctx.transportFor(h), cpRotationDir(ca))) throw new Error(`${h.name} still holds ${cpRotationDir(ca)}`);
    await ctx.transport.exec(['rm', '-rf', '--', cpRotationDir(ca)]);
  },
};
