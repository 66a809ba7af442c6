/** The recovery steps after prepare: reset (marked), PKI restore, etcd restore, init from the saved config, verify, finish. */
import { defineTask, action, type Action } from '../common/define.js';
import { ADMIN_CONF, fileExists, kubectl } from '../common/cluster.js';
import { KUBEADM_INIT_CONFIG } from '../controlplane/init.js';
import { renderKubeadmInit } from '../../render/index.js';
import { ETCD_DATA_DIR, missingToolReason, offlineTool, peerUrl, snapshotRestoreArgv } from '../../etcd/index.js';
import { etcdNodeOf, runOffline, snapshotTools } from '../etcd/node.js';
import { countWorkloads } from '../etcd/snapshot.js';
import { resetActions } from '../reset/node.js';
import { keepScript, keptDir } from '../reset/keep-etcd.js';
import { runStamp } from '../etcd/paths.js';
import { sh } from '../../transport/command.js';
import { CONFIG_TARBALL } from '../reset/backup.js';
import { CURRENT, hasMarker, recoverDir, recoverId, setMarker } from './marker.js';
import { EXPECTED, SNAPSHOT } from './prepare.js';
import type { TaskContext } from '../../engine/types.js';

function requireId(ctx: TaskContext): string {
  const id = recoverId(ctx);
  if (!id) throw new Error('recover.prepare has not run on the first control plane');
  return id;
}

export const recoverReset = defineTask({
  id: 'recover.reset',
  title: 'Recover | Reset the node (once per recovery) and clean what kubeadm leaves',
  async plan(ctx) {
    const id = requireId(ctx);
    if (await hasMarker(ctx.transport, id, 'reset')) return [];
    const actions = await resetActions(ctx);
    return [...actions, action(`record: reset done in recovery ${id}`, () => setMarker(ctx.transport, id, 'reset'))];
  },
});

/** CA keys, service-account keys and kubesmith's kubeadm config: what makes the rebuilt cluster the same cluster. */
export const PKI_FILES = [
  'etc/kubernetes/pki/ca.crt',
  'etc/kubernetes/pki/ca.key',
  'etc/kubernetes/pki/sa.key',
  'etc/kubernetes/pki/sa.pub',
  'etc/kubernetes/pki/front-proxy-ca.crt',
  'etc/kubernetes/pki/front-proxy-ca.key',
  'etc/kubernetes/pki/etcd/ca.crt',
  'etc/kubernetes/pki/etcd/ca.key',
  'etc/kubernetes/kubesmith/kubeadm-init.yaml',
];

export const recoverPki = defineTask({
  id: 'recover.pki',
  title: 'Recover | Restore the cluster CAs, service-account keys and kubeadm config from the backup',
  async plan(ctx) {
    const id = requireId(ctx);
    const t = ctx.transport;
    const tgz = `${recoverDir(id)}/${CONFIG_TARBALL}`;
    if (!(await fileExists(t, tgz))) {
      if (ctx.dryRun) return { unknown: 'the PKI backup is made by recover.prepare' };
      throw new Error(`${tgz} is missing`);
    }
    const listed = new Set((await t.exec(['tar', '-tzf', tgz])).stdout.split('\n').map((l) => l.trim()));
    const members = PKI_FILES.filter((f) => listed.has(f));
    if (!members.includes('etc/kubernetes/pki/ca.crt')) throw new Error(`${tgz} holds no etc/kubernetes/pki/ca.crt`);
    const differing: string[] = [];
    for (const m of members) {
      const same = await t.exec(['sh', '-c', `tar -xzOf "$1" "$2" | cmp -s - "/$2"`, 'sh', tgz, m], { allowFailure: true });
      if (same.code !== 0) differing.push(m);
    }
    if (!differing.length) return [];
    return [
      action(`restore ${differing.map((m) => '/' + m).join(', ')} from ${tgz}`, async () => {
        await t.exec(['tar', '-xzf', tgz, '-C', '/', ...differing]);
      }),
    ];
  },
});

export const recoverEtcd = defineTask({
  id: 'recover.etcd',
  title: 'Recover | Restore the etcd snapshot into a fresh data dir',
  async plan(ctx) {
    const id = requireId(ctx);
    const t = ctx.transport;
    if (await hasMarker(t, id, 'restored')) return [];
    const snap = `${recoverDir(id)}/${SNAPSHOT}`;
    const etcd = etcdNodeOf(ctx);
    const tools = await snapshotTools(etcd);
    const tool = offlineTool(tools);
    if (!tool) throw new Error(`${ctx.host.name}: cannot restore: ${missingToolReason(tools)}`);
    const staging = `${ETCD_DATA_DIR}.restore-${id}`;
    const stamp = runStamp(ctx);
    const kept = keptDir(ctx.host.name, stamp);
    const argv = snapshotRestoreArgv(tool, snap, { name: ctx.host.name, peerUrl: peerUrl(ctx.host.internalAddress), dataDir: staging });
    return [
      action(
        `restore ${snap} with ${tool.tool} (member ${ctx.host.name}, ${peerUrl(ctx.host.internalAddress)}) and swap it in; whatever ${ETCD_DATA_DIR} holds is kept in ${kept}/`,
        async () => {
          await t.exec(keepScript(staging, ctx.host.name, stamp, 'move')); // a half-written restore of an interrupted run: kept too
          await runOffline(etcd, argv, { timeoutMs: 600_000 }); // the etcd image's tool, /var/lib mounted
          // An empty data dir (kubeadm reset's work, its member kept before) is replaced; anything in it is kept.
          await t.exec(
            sh`if [ -n "$(ls -A ${ETCD_DATA_DIR} 2>/dev/null)" ]; then (${keepScript(ETCD_DATA_DIR, ctx.host.name, stamp, 'move')}); else rmdir ${ETCD_DATA_DIR} 2>/dev/null || true; fi`,
          );
          await t.exec(['mv', '--', staging, ETCD_DATA_DIR]);
          await t.exec(['chmod', '0700', ETCD_DATA_DIR]);
          await setMarker(t, id, 'restored');
        },
      ),
    ];
  },
});

async function initialized(ctx: TaskContext): Promise<boolean> {
  if (!(await fileExists(ctx.transport, ADMIN_CONF))) return false;
  return (
    (await ctx.transport.exec(kubectl('get', 'node', ctx.host.name, '-o', 'name'), { allowFailure: true, timeoutMs: 60_000 })).code === 0
  );
}

export const recoverInit = defineTask({
  id: 'recover.init',
  title: 'Recover | Run kubeadm init from the saved config on the restored etcd data',
  async plan(ctx) {
    if (await initialized(ctx)) return [];
    const t = ctx.transport;
    const actions: Action[] = [];
    if (!(await fileExists(t, KUBEADM_INIT_CONFIG))) {
      const config = renderKubeadmInit(ctx.inventory, ctx.host, ctx.hosts);
      actions.push(
        action(`create ${KUBEADM_INIT_CONFIG} (no saved config: rendered from the inventory)`, () =>
          t.writeFile(KUBEADM_INIT_CONFIG, config, { mode: '0600' }),
        ),
      );
    }
    const argv = [
      'kubeadm',
      'init',
      '--config',
      KUBEADM_INIT_CONFIG,
      ...(ctx.hosts.controlPlanes.length > 1 ? ['--upload-certs'] : []),
      '--ignore-preflight-errors=DirAvailable--var-lib-etcd',
      '--skip-token-print',
      '--skip-certificate-key-print',
    ];
    actions.push(action(`run ${argv.join(' ')}`, async () => void (await t.exec(argv, { timeoutMs: 900_000 }))));
    return actions;
  },
  async verify(ctx) {
    if (!(await initialized(ctx))) throw new Error(`kubeadm init finished but the API does not list ${ctx.host.name}`);
  },
});

export const recoverVerify = defineTask({
  id: 'recover.verify',
  title: 'Recover | Check that the workloads recorded in etcd are back',
  async plan(ctx) {
    const id = requireId(ctx);
    const t = ctx.transport;
    const expected = Number((await t.readFile(`${recoverDir(id)}/${EXPECTED}`))?.toString('utf8').trim() ?? NaN);
    if (ctx.dryRun) return { unknown: 'checked once the cluster is rebuilt' };
    const now = await countWorkloads(etcdNodeOf(ctx));
    if (Number.isFinite(expected) && now < expected)
      throw new Error(`etcd holds ${now} workload objects, the snapshot recorded ${expected}`);
    ctx.log(`etcd holds ${now} workload objects${Number.isFinite(expected) ? ` (snapshot: ${expected})` : ''}`);
    return [];
  },
});

export const recoverFinish = defineTask({
  id: 'recover.finish',
  title: 'Recover | Remove the recovery progress records',
  async plan(ctx) {
    const id = requireId(ctx);
    const t = ctx.transport;
    const isFirst = ctx.host.name === ctx.hosts.firstControlPlane.name;
    const paths = [recoverDir(id), ...(isFirst ? [CURRENT] : [])];
    const present: string[] = [];
    for (const p of paths) if (await fileExists(t, p)) present.push(p);
    if (!present.length) return [];
    return [action(`remove ${present.join(', ')}`, async () => void (await t.exec(['rm', '-rf', '--', ...present])))];
  },
});
