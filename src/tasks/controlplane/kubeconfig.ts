import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defineTask, action, type Action } from '../common/define.js';
import { fileAction } from '../common/files.js';
import { ADMIN_CONF } from '../common/cluster.js';
import type { TaskContext } from '../../engine/types.js';

/** Where the admin machine keeps the cluster's kubeconfig: --kubeconfig-out, else .kubesmith/<cluster>/admin.conf. */
export function localKubeconfigPath(ctx: Pick<TaskContext, 'options' | 'inventory'>): string {
  const out = ctx.options.kubeconfigOut;
  return resolve(typeof out === 'string' && out ? out : `.kubesmith/${ctx.inventory.metadata.name}/admin.conf`);
}

function sshUser(ctx: TaskContext): string {
  return ctx.host.spec.ssh?.user ?? ctx.inventory.spec.ssh.user;
}

async function readLocal(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export const controlplaneKubeconfig = defineTask({
  id: 'controlplane.kubeconfig',
  title: 'Control plane | Install admin.conf for root, the SSH user and the admin machine',
  async plan(ctx) {
    const t = ctx.transport;
    const admin = (await t.readFile(ADMIN_CONF))?.toString('utf8');
    if (admin === undefined) {
      if (ctx.dryRun) return { unknown: `${ADMIN_CONF} does not exist yet (controlplane.init / controlplane.join run first)` };
      throw new Error(`${ADMIN_CONF} is missing on ${ctx.host.name}`);
    }
    const actions: Action[] = [];
    const root = await fileAction(t, '/root/.kube/config', admin, { mode: '0600', owner: 'root:root', sensitive: true });
    if (root) actions.push(root);
    const user = sshUser(ctx);
    if (user !== 'root') {
      const entry = (await t.exec(['getent', 'passwd', user], { allowFailure: true })).stdout.trim().split(':');
      const home = entry[5];
      if (home) {
        const mine = await fileAction(t, `${home}/.kube/config`, admin, {
          mode: '0600',
          owner: `${user}:${entry[3] ?? user}`,
          sensitive: true,
        });
        if (mine) actions.push(mine);
      }
    }
    if (ctx.host.name === ctx.hosts.firstControlPlane.name) {
      const local = localKubeconfigPath(ctx);
      if ((await readLocal(local)) !== admin) {
        actions.push(
          action(`fetch admin.conf to ${local} (admin machine, mode 0600)`, async () => {
            await mkdir(dirname(local), { recursive: true, mode: 0o700 });
            await writeFile(local, admin, { mode: 0o600 });
            await chmod(local, 0o600);
          }),
        );
      }
    }
    return actions;
  },
});
