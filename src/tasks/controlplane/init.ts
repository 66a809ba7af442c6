import { defineTask, action } from '../common/define.js';
import { sh } from '../../transport/command.js';
import { lookups, run } from '../../transport/lookups.js';
import { fileAction } from '../common/files.js';
import { ADMIN_CONF, JOIN_MATERIAL_CONFIG, KUBESMITH_DIR, kubectl, newBootstrapToken, newCertificateKey } from '../common/cluster.js';
import { renderKubeadmInit } from '../../render/index.js';
import type { TaskContext } from '../../engine/types.js';

/** The configuration kept on the host for reference (no secrets: plans show its diff). */
export const KUBEADM_INIT_CONFIG = `${KUBESMITH_DIR}/kubeadm-init.yaml`;
/** The same plus a bootstrap token and certificate key kubesmith chose: mode 0600, removed right after init. */
export const KUBEADM_INIT_RUN_CONFIG = `${KUBESMITH_DIR}/kubeadm-init.run.yaml`;
/**
 * Written before `kubeadm init`, removed once it succeeded. Still there on a later run = kubesmith's own init was
 * interrupted (killed, failed): no node can have joined that cluster yet, so resetting it loses nothing.
 */
export const INIT_INCOMPLETE = `${KUBESMITH_DIR}/init-incomplete`;

type InitState = 'fresh' | 'done' | 'interrupted';

/**
 * Is this host already the first control plane of a running cluster, or did our own init stop half-way? And which
 * files holding a token did a killed run leave? One round trip whatever the state: a fresh host is asked what a
 * converged one will be (the API's view of the node included), so the next run's batch of checks (issue #16) holds
 * every question and the first re-run after a fresh apply sends none of its own.
 */
async function initState(ctx: TaskContext): Promise<{ state: InitState; leftovers: string[] }> {
  const t = ctx.transport;
  const [incomplete, admin, node, ...files] = await lookups(
    t,
    [
      run(['test', '-e', INIT_INCOMPLETE]),
      run(['test', '-e', ADMIN_CONF]),
      run(kubectl('get', 'node', ctx.host.name, '-o', 'name')),
      run(['test', '-e', KUBEADM_INIT_RUN_CONFIG]),
      run(['test', '-e', JOIN_MATERIAL_CONFIG]),
    ],
    { timeoutMs: 60_000 },
  );
  const leftovers = [KUBEADM_INIT_RUN_CONFIG, JOIN_MATERIAL_CONFIG].filter((_, i) => files[i]?.code === 0);
  if (incomplete.code === 0) return { state: 'interrupted', leftovers };
  if (admin.code !== 0) return { state: 'fresh', leftovers };
  if (node.code === 0) return { state: 'done', leftovers };
  // Not ours to reset: a cluster kubesmith did not just start may hold workloads (see `kubesmith recover`).
  const again = await t.exec(kubectl('get', 'node', ctx.host.name, '-o', 'name'), { allowFailure: true, timeoutMs: 60_000 });
  if (again.code === 0) return { state: 'done', leftovers };
  throw new Error(
    `${ADMIN_CONF} exists but the API does not list node ${ctx.host.name} (kubectl exited ${again.code}: ${again.stderr.trim().split('\n').pop() ?? ''})`,
  );
}

/**
 * A kubeadm init still running for a killed run (a dropped SSH connection does not stop a remote command): the
 * pattern matches `kubeadm init --config <our run config>` (and a wrapper's `kubeadm.js init …`), and its `[i]`
 * keeps it from matching the shell that runs pkill.
 */
export const LEFTOVER_INIT = `kubeadm[.a-z]* [i]nit --config ${KUBEADM_INIT_RUN_CONFIG}`;

/** Stop a kubeadm init left running by an interrupted run and wait until it is gone, then undo what it did. */
async function resetInterruptedInit(ctx: TaskContext): Promise<void> {
  const t = ctx.transport;
  await t.exec(
    sh`pkill -f -- ${LEFTOVER_INIT}; i=0; while pgrep -f -- ${LEFTOVER_INIT} >/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done; pkill -KILL -f -- ${LEFTOVER_INIT}; true`,
    { allowFailure: true },
  );
  await t.exec(['kubeadm', 'reset', '-f'], { timeoutMs: 300_000 });
  await t.exec(['rm', '-f', KUBEADM_INIT_RUN_CONFIG], { allowFailure: true });
}

/**
 * kubeadm init prints its bootstrap token and certificate key ("[bootstrap-token] Using token: …"). kubesmith
 * chooses both itself and passes them as secrets, so every echo of them is masked in logs and errors.
 */
async function runInit(ctx: TaskContext, argv: string[]): Promise<void> {
  const t = ctx.transport;
  const uploadCerts = ctx.hosts.controlPlanes.length > 1;
  const secrets = { bootstrapToken: newBootstrapToken(), ...(uploadCerts ? { certificateKey: newCertificateKey() } : {}) };
  await t.writeFile(KUBEADM_INIT_RUN_CONFIG, renderKubeadmInit(ctx.inventory, ctx.host, ctx.hosts, secrets), { mode: '0600' });
  await t.writeFile(INIT_INCOMPLETE, `kubeadm init started ${new Date().toISOString()}\n`, { mode: '0600' });
  try {
    await t.exec(argv, { timeoutMs: 900_000, secrets: Object.values(secrets) });
    await t.exec(['rm', '-f', INIT_INCOMPLETE]);
  } finally {
    await t.exec(['rm', '-f', KUBEADM_INIT_RUN_CONFIG], { allowFailure: true });
  }
}

export const controlplaneInit = defineTask({
  id: 'controlplane.init',
  title: 'Control plane | Initialize the first control plane with kubeadm',
  async plan(ctx) {
    const t = ctx.transport;
    const { state, leftovers } = await initState(ctx);
    if (state === 'done') {
      // A run killed during init (or while making join material) can leave a config holding a token and certificate key.
      return leftovers.map((file) =>
        action(`remove the leftover ${file} (it holds a bootstrap token)`, async () => void (await t.exec(['rm', '-f', file]))),
      );
    }
    const config = renderKubeadmInit(ctx.inventory, ctx.host, ctx.hosts);
    const write = await fileAction(t, KUBEADM_INIT_CONFIG, config, { mode: '0600' });
    const uploadCerts = ctx.hosts.controlPlanes.length > 1;
    const argv = [
      'kubeadm',
      'init',
      '--config',
      KUBEADM_INIT_RUN_CONFIG,
      ...(uploadCerts ? ['--upload-certs'] : []),
      '--skip-token-print',
      '--skip-certificate-key-print',
    ];
    return [
      ...(state === 'interrupted'
        ? [
            action('reset the init an earlier run left unfinished (kubeadm reset -f; nothing has joined it)', () =>
              resetInterruptedInit(ctx),
            ),
          ]
        : []),
      ...(write ? [write] : []),
      action(`run ${argv.join(' ')}`, () => runInit(ctx, argv)),
    ];
  },
  async verify(ctx) {
    if ((await initState(ctx)).state !== 'done')
      throw new Error(`kubeadm init finished but ${ADMIN_CONF} is missing or the node is not registered`);
  },
});
