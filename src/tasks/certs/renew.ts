/**
 * Certs | Renew one control plane and bring it back healthy before the next one (the playbook runs it serially):
 * `kubeadm certs renew all` (this node's own certificates, from its own CA files — nothing is copied between
 * nodes) → restart the static pods → refresh /root/.kube/config → restart kubelet if its kubeconfig changed.
 * Any failure restores this node's backup and records exactly where it stopped.
 */
import type { Task, TaskContext } from '../../engine/types.js';
import { KUBE_DIR } from '../../certs/catalog.js';
import { sh } from '../../transport/command.js';
import { restoreBackup } from './backup.js';
import { backupFile, certsOptions, localApiServer, restartOptions } from './options.js';
import { restartStaticPods } from './restart.js';
import { pointKubeletConfAtPem, refreshKubeletClient } from './kubelet-client.js';

const KUBELET_CONF = `${KUBE_DIR}/kubelet.conf`;

async function sha(ctx: TaskContext, path: string): Promise<string> {
  return (await ctx.transport.exec(sh`sha256sum ${path} 2>/dev/null || true`)).stdout.split(' ')[0] ?? '';
}

/** Copy the renewed admin.conf over /root/.kube/config (created when missing), on the node itself. */
export const refreshRootKubeconfig = () =>
  sh`set -e; mkdir -p -m 0700 /root/.kube; install -m 0600 -o root -g root ${`${KUBE_DIR}/admin.conf`} /root/.kube/config`;

/** The node's own certificates and static pods, with rollback. `renew` is the certificate step (renew or regenerate). */
export async function renewNode(ctx: TaskContext, renew: () => Promise<{ restartKubelet?: boolean } | void>, what: string): Promise<void> {
  const o = certsOptions(ctx);
  const name = ctx.host.name;
  const kubeletBefore = await sha(ctx, KUBELET_CONF);
  let step = what;
  let restarted = false;
  try {
    o.states.set(name, `${what}…`);
    const restartKubelet = (await renew())?.restartKubelet === true;
    step = 'restart of the static pods';
    restarted = true;
    await restartStaticPods(ctx.transport, restartOptions(ctx, o));
    step = 'refresh of /root/.kube/config';
    await ctx.transport.exec(refreshRootKubeconfig());
    if (restartKubelet || (await sha(ctx, KUBELET_CONF)) !== kubeletBefore) {
      step = 'kubelet restart';
      await ctx.transport.exec(['systemctl', 'restart', 'kubelet']);
    }
    o.states.set(name, `done: ${what}, static pods restarted and healthy, /root/.kube/config refreshed`);
  } catch (err) {
    const file = backupFile(o.stamp);
    try {
      await restoreBackup(ctx);
      const pods = restarted ? '; its static pods were restarted during the attempt (they run again from the restored manifests)' : '';
      o.states.set(name, `FAILED during ${step}; backup ${file} restored: certificates and kubeconfigs as before the run${pods}`);
    } catch (restoreErr) {
      o.states.set(
        name,
        `FAILED during ${step}; RESTORE FAILED (${(restoreErr as Error).message.split('\n')[0]}): restore by hand with: tar -xzf ${file} -C /`,
      );
    }
    throw err;
  }
}

export const certsRenew: Task = {
  id: 'certs.renew',
  title: 'Certs | Renew this control plane, restart its static pods, wait until healthy',
  async check(ctx) {
    const o = certsOptions(ctx);
    return {
      status: 'change',
      changes: [
        { summary: "kubeadm certs renew all (this node's certificates and kubeconfigs, signed by its own CA files)" },
        {
          summary: `restart etcd, kube-apiserver, kube-controller-manager, kube-scheduler one after the other: each manifest out for ≥${o.offSeconds}s, back, wait ≤${o.healthTimeoutSeconds}s for its new container (and, from the API server on, ${localApiServer(ctx.host.internalAddress)})`,
        },
        {
          summary:
            'point kubelet.conf at kubelet-client-current.pem if it embeds its client certificate (kubeadm init before 1.17: that certificate never rotates)',
        },
        {
          summary:
            "re-sign the kubelet's client certificate (same key, this node's CA, a year from the node's clock) if it expires within 30 days or is not signed by pki/ca.crt",
        },
        { summary: 'copy the renewed admin.conf to /root/.kube/config; restart kubelet if its certificate or kubelet.conf changed' },
      ],
    };
  },
  async apply(ctx) {
    await renewNode(
      ctx,
      async () => {
        await ctx.transport.exec(['kubeadm', 'certs', 'renew', 'all'], { timeoutMs: 300_000 });
        // a kubelet.conf from kubeadm init before 1.17 embeds a certificate nothing renews: point it at the rotating PEM
        const pointed = await pointKubeletConfAtPem(ctx.transport);
        // kubeadm leaves the kubelet's client certificate to rotation, which needs a working API: expired → re-sign here
        const resigned = await refreshKubeletClient(ctx.transport, ctx.host.name, 30);
        return { restartKubelet: pointed || resigned };
      },
      'kubeadm certs renew all',
    );
  },
};
