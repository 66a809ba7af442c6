/**
 * Endpoint | Re-issue this control plane's API server certificate with the new endpoint among its SANs, then restart
 * the API server and wait until it is healthy, before the next control plane (the playbook runs it serially).
 * kubeadm's way ("Reconfiguring a kubeadm cluster", kubeadm init phase certs apiserver): with the old pair in place
 * kubeadm would keep it, so the pair moves to this run's backup directory first and comes back if kubeadm fails.
 * Resumable: a node whose certificate already names the endpoint has nothing to do.
 */
import { stringify } from 'yaml';
import { PKI_DIR } from '../../certs/catalog.js';
import type { TaskContext } from '../../engine/types.js';
import { sh } from '../../transport/command.js';
import { API_SERVER_PORT } from '../../inventory/derived.js';
import { action, defineTask } from '../common/define.js';
import { KUBESMITH_DIR } from '../common/cluster.js';
import { BACKUP_ROOT, certsOptions, restartOptions } from '../certs/options.js';
import { restartOne } from '../certs/restart.js';
import { clusterConfiguration, clusterConfigurationText, movedClusterConfiguration } from './cluster-config.js';
import { certificateNames, endpointOptions, note, targetHost } from './options.js';

const CERT = `${PKI_DIR}/apiserver.crt`;
const CONFIG = `${KUBESMITH_DIR}/endpoint-apiserver-certs.yaml`;

/** The kubeadm configuration `init phase certs apiserver` reads: this node's identity and the moved cluster config. */
async function phaseConfig(ctx: TaskContext): Promise<string> {
  const o = endpointOptions(ctx);
  const cc = movedClusterConfiguration(await clusterConfiguration(ctx), o.target, ctx.inventory.spec.kubernetes.certSANs);
  const init = {
    apiVersion: cc.apiVersion ?? 'kubeadm.k8s.io/v1beta4',
    kind: 'InitConfiguration',
    localAPIEndpoint: { advertiseAddress: ctx.host.internalAddress, bindPort: API_SERVER_PORT },
    nodeRegistration: { name: ctx.host.name },
  };
  return `${stringify(init)}---\n${clusterConfigurationText(cc)}`;
}

async function reissue(ctx: TaskContext): Promise<void> {
  const o = endpointOptions(ctx);
  const t = ctx.transport;
  const kept = `${BACKUP_ROOT}/${certsOptions(ctx).stamp}/apiserver-before-endpoint`;
  await t.writeFile(CONFIG, await phaseConfig(ctx), { mode: '0600' });
  await t.exec(
    sh`set -e; umask 077; mkdir -p ${kept}; cd ${PKI_DIR}
for f in apiserver.crt apiserver.key; do [ -e "$f" ] && mv -f -- "$f" ${kept}/; done
if ! kubeadm init phase certs apiserver --config ${CONFIG}; then cp -p ${kept}/apiserver.crt ${kept}/apiserver.key ${PKI_DIR}/; exit 1; fi`,
    { timeoutMs: 120_000 },
  );
  const pem = (await t.readFile(CERT))?.toString('utf8');
  if (!pem || !certificateNames(pem, targetHost(o)))
    throw new Error(`${CERT} on ${ctx.host.name} does not name ${targetHost(o)} after kubeadm init phase certs apiserver`);
  await restartOne(t, restartOptions(ctx, o), 'kube-apiserver');
  note(o, ctx.host.name, `API server certificate names ${targetHost(o)}; API server restarted and healthy (old pair in ${kept})`);
}

export const endpointApiserverCert = defineTask({
  id: 'endpoint.apiserver-cert',
  title: 'Endpoint | Re-issue the API server certificate for the new endpoint, restart it, wait until healthy',
  async plan(ctx) {
    const o = endpointOptions(ctx);
    const pem = (await ctx.transport.readFile(CERT))?.toString('utf8');
    if (pem && certificateNames(pem, targetHost(o))) return [];
    const why = pem ? `does not name ${targetHost(o)}` : 'is missing';
    return [
      action(
        `${CERT} ${why}: move the pair to the run's backup, kubeadm init phase certs apiserver with controlPlaneEndpoint ${o.target}, restart kube-apiserver (manifest out ≥${o.offSeconds}s), wait ≤${o.healthTimeoutSeconds}s until it answers`,
        () => reissue(ctx),
      ),
    ];
  },
});
