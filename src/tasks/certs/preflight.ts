/** Certs | Make sure renewal can work on this control plane before anything is touched (read-only). */
import type { Task } from '../../engine/types.js';
import { MANIFEST_DIR, PKI_DIR } from '../../certs/catalog.js';
import { sh } from '../../transport/command.js';

export const certsPreflight: Task = {
  id: 'certs.preflight',
  title: 'Certs | Check that kubeadm, crictl, the CA keys and the static pod manifests are in place',
  async check(ctx) {
    const r = await ctx.transport.exec(
      sh`for c in kubeadm crictl kubectl tar openssl; do command -v "$c" >/dev/null 2>&1 || echo "command $c not found"; done
for k in ca front-proxy-ca etcd/ca; do [ -e ${PKI_DIR}/$k.key ] || echo "${PKI_DIR}/$k.key missing (external CA: kubeadm cannot renew; use certs distribute or your CA)"; done
[ -e ${MANIFEST_DIR}/kube-apiserver.yaml ] || echo "${MANIFEST_DIR}/kube-apiserver.yaml missing (not a running control plane; a manifest left in /etc/kubernetes/manifests.kubesmith-off?)"
true`,
      { timeoutMs: 60_000 },
    );
    const problems = r.stdout.split('\n').filter(Boolean);
    if (problems.length) throw new Error(`${ctx.host.name} is not ready for certificate renewal:\n  ${problems.join('\n  ')}`);
    return { status: 'ok' };
  },
  async apply() {},
};
