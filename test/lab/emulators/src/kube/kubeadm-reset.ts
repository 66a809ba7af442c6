// kubeadm reset: remove this node's etcd member and everything kubeadm wrote; leave CNI config,
// iptables/IPVS state and $HOME/.kube/config, and say so.
import { readSync } from 'node:fs';
import { updateState } from './cluster-state.js';
import { ExitError, exists, hostName, out, remove } from './lab.js';
import { type Parsed, bool, flag } from './args.js';
import { systemctl } from './host-probe.js';
import { localCluster } from './node-state.js';
import { decodeConfig, klogWarning, printWarnings } from './kubeadm-config.js';
import { hostPath, labEnv, readText } from './lab.js';
import { readdirSync } from 'node:fs';
import { realEtcdLeave } from './static-etcd-members.js';

const FILES = ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf'].map(
  (f) => `/etc/kubernetes/${f}`,
);

function confirm(): boolean {
  process.stdout.write('[reset] Are you sure you want to proceed? [y/N]: ');
  const buf = Buffer.alloc(64);
  let n = 0;
  try {
    n = readSync(0, buf, 0, 64, null);
  } catch {
    n = 0;
  }
  return /^[yY]/.test(buf.subarray(0, n).toString().trim());
}

const clearDir = (dir: string) => {
  if (!exists(dir)) return;
  for (const f of readdirSync(hostPath(dir))) remove(`${dir}/${f}`);
};

export function reset(p: Parsed): void {
  const cfgPath = flag(p, 'config');
  const decoded = cfgPath ? decodeConfig(readText(cfgPath) ?? '') : undefined;
  if (decoded) printWarnings(decoded.warnings, 'resetconfiguration.go:120');
  const rc = decoded?.docs.get('ResetConfiguration') ?? {};
  const certDir = flag(p, 'cert-dir') ?? rc.certificatesDir ?? '/etc/kubernetes/pki';
  const local = localCluster();
  if (local) {
    out('[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...');
    out("[reset] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.");
  } else {
    process.stderr.write(
      klogWarning(
        'reset.go:141',
        '[reset] Unable to fetch the kubeadm-config ConfigMap from cluster: failed to get node registration: failed to get corresponding node: kubelet.conf does not exist',
      ),
    );
  }
  process.stderr.write(
    klogWarning('preflight.go:56', "[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted."),
  );
  if (!bool(p, 'force') && !rc.force && !confirm()) {
    throw new ExitError("error: won't proceed; the user didn't answer (Y|y) in order to continue");
  }
  out('[preflight] Running pre-flight checks');
  const isControlPlane = exists('/etc/kubernetes/manifests/etcd.yaml');
  const etcdNote = realEtcdLeave(certDir); // real etcd in the lab: remove-etcd-member, then stop it
  if (etcdNote) out(etcdNote);
  if (local) {
    updateState((s) => {
      const c = s.clusters[local.id];
      if (!c) return;
      const node = Object.values(c.nodes).find((n) => n.host === hostName());
      if (node) {
        node.status = { ...node.status, kubeletActive: false, updatedAt: Date.now() };
        delete c.etcdMembers[node.name];
        delete c.controlPlane[node.name];
      }
      // this host's control-plane member even when its Node object was deleted first (kubectl delete node, as a
      // reset of the last node does): kubeadm reset's local cleanup does not need the API's Node
      const ip = labEnv('LAB_IP');
      for (const [name, m] of Object.entries(c.controlPlane)) {
        if (ip && m.advertiseAddress === ip) {
          delete c.controlPlane[name];
          delete c.etcdMembers[name];
        }
      }
      if (Object.keys(c.controlPlane).length === 0) delete s.clusters[local.id];
    });
  }
  if (isControlPlane || exists('/var/lib/etcd')) {
    clearDir('/var/lib/etcd');
    if (isControlPlane) out('[reset] Deleted contents of the etcd data directory: /var/lib/etcd');
  } else {
    process.stderr.write(klogWarning('removeetcdmember.go:106', '[reset] No kubeadm config, using etcd pod spec to get data directory'));
    out('[reset] No etcd config found. Assuming external etcd\n[reset] Please, manually reset etcd to prevent further issues');
  }
  out('[reset] Stopping the kubelet service');
  systemctl('stop', 'kubelet');
  out('[reset] Unmounting mounted directories in "/var/lib/kubelet"');
  const dirs = ['/etc/kubernetes/manifests', '/var/lib/kubelet', certDir];
  for (const d of dirs) clearDir(d);
  out(`[reset] Deleting contents of directories: [${dirs.join(' ')}]`);
  for (const f of FILES) remove(f);
  out(`[reset] Deleting files: [${FILES.join(' ')}]`);
  out(RESET_NOTE);
}

export const RESET_NOTE = `
The reset process does not perform cleanup of CNI plugin configuration,
network filtering rules and kubeconfig files.

For information on how to perform this cleanup manually, please see:
    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/
`;
