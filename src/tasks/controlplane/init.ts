import { defineTask, action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { ADMIN_CONF, KUBESMITH_DIR, fileExists, kubectl, newBootstrapToken, newCertificateKey } from '../common/cluster.js';
import { renderKubeadmInit } from '../../render/index.js';
import type { TaskContext } from '../../engine/types.js';

/** The configuration kept on the host for reference (no secrets: plans show its diff). */
export const KUBEADM_INIT_CONFIG = `${KUBESMITH_DIR}/kubeadm-init.yaml`;
/** The same plus a bootstrap token and certificate key kubesmith chose: mode 0600, removed right after init. */
export const KUBEADM_INIT_RUN_CONFIG = `${KUBESMITH_DIR}/kubeadm-init.run.yaml`;

/** Is this host already the first control plane of a running cluster? */
async function initialized(ctx: TaskContext): Promise<boolean> {
  const t = ctx.transport;
  if (!(await fileExists(t, ADMIN_CONF))) return false;
  const node = await t.exec(kubectl('get', 'node', ctx.host.name, '-o', 'name'), { allowFailure: true, timeoutMs: 60_000 });
  if (node.code === 0) return true;
  throw new Error(
    `${ADMIN_CONF} exists but the API does not list node ${ctx.host.name} (kubectl exited ${node.code}: ${node.stderr.trim().split('\n').pop() ?? ''})`,
  );
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
  try {
    await t.exec(argv, { timeoutMs: 900_000, secrets: Object.values(secrets) });
  } finally {
    await t.exec(['rm', '-f', KUBEADM_INIT_RUN_CONFIG], { allowFailure: true });
  }
}

export const controlplaneInit = defineTask({
  id: 'controlplane.init',
  title: 'Control plane | Initialize the first control plane with kubeadm',
  async plan(ctx) {
    if (await initialized(ctx)) return [];
    const t = ctx.transport;
    const config = renderKubeadmInit(ctx.inventory, ctx.host, ctx.hosts);
    const write = await fileAction(t, KUBEADM_INIT_CONFIG, config, { mode: '0600' });
    const uploadCerts = ctx.hosts.controlPlanes.length > 1;
    const argv = ['kubeadm', 'init', '--config', KUBEADM_INIT_RUN_CONFIG, ...(uploadCerts ? ['--upload-certs'] : []), '--skip-token-print', '--skip-certificate-key-print'];
    return [...(write ? [write] : []), action(`run ${argv.join(' ')}`, () => runInit(ctx, argv))];
  },
  async verify(ctx) {
    if (!(await initialized(ctx))) throw new Error(`kubeadm init finished but ${ADMIN_CONF} is missing`);
  },
});
