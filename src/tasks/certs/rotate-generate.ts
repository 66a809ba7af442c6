/**
 * Certs | The new cluster CA of a rotation. Generated with openssl on the first control plane (the key is made there,
 * 0600, and never printed or passed on a command line), next to a copy of the CA it replaces: ca-rotation/{new-ca.crt,
 * new-ca.key, old-ca.crt}. The directory appears at once (made aside, then renamed), so a stopped run leaves either no
 * rotation or a whole one. The other control planes get the same files the way `certs distribute` copies shared CA
 * material (control plane to control plane over kubesmith's connections, never a local file), as kubeadm's manual
 * certificate distribution does.
 */
import { ROTATION_DIR, certFingerprint, rotationCas } from '../../certs/ca-rotation.js';
import { PKI_DIR } from '../../certs/catalog.js';
import type { Task } from '../../engine/types.js';
import { durationSeconds, KUBEADM_CA_VALIDITY } from '../../inventory/validity.js';
import { sh } from '../../transport/command.js';
import { controlPlaneTransport } from '../common/cluster.js';
import { opensslCaConf } from './kubelet-client.js';
import { readCaFacts } from './rotate-facts.js';
import { copyStaged, STAGED } from './rotate-stage.js';

const CA_CONF = opensslCaConf([
  'basicConstraints = critical,CA:TRUE',
  'keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign',
  'subjectKeyIdentifier = hash',
]);

/** Where a new CA is made: its staging directory, kubeadm's common name, the CA file it replaces. */
export interface CaTarget {
  dir: string;
  cn: string;
  current: string;
}
const CLUSTER_CA: CaTarget = { dir: ROTATION_DIR, cn: 'kubernetes', current: `${PKI_DIR}/ca.crt` };

/** kubeadm's CA: its CN ("kubernetes" for the cluster CA), RSA 2048, CA:TRUE, from five minutes before the node's clock for `seconds`. */
export const generateCaScript = (seconds: number, target: CaTarget = CLUSTER_CA) => sh`set -e
umask 077
t=$(mktemp -d ${`${PKI_DIR}/.ca-rotation.XXXXXX`}); trap 'rm -rf "$t"' EXIT; cd "$t"
openssl genrsa -out new-ca.key 2048 2>/dev/null
printf '%s' ${CA_CONF} > ca.cnf; : > index.txt; od -An -N8 -tx1 /dev/urandom | tr -d ' \\n' > serial
openssl req -new -key new-ca.key -subj ${`/CN=${target.cn}`} -out r.csr 2>/dev/null
now=$(date +%s)
openssl ca -batch -selfsign -config ca.cnf -notext -in r.csr -out new-ca.crt -keyfile new-ca.key -extensions ext \
  -startdate $(date -u -d @$((now - 300)) +%Y%m%d%H%M%SZ) -enddate $(date -u -d @$((now + ${String(seconds)})) +%Y%m%d%H%M%SZ) 2>/dev/null
sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{p;/-----END CERTIFICATE-----/q;}' ${target.current} > old-ca.crt
rm -f ca.cnf index.txt* serial* r.csr ./*.pem
chmod 0644 new-ca.crt old-ca.crt; chmod 0600 new-ca.key
rm -rf ${target.dir}; mv "$t" ${target.dir}; chmod 0700 ${target.dir}; trap - EXIT`;

export const certsRotateGenerate: Task = {
  id: 'certs.rotate-generate',
  title: 'Certs | Generate the new cluster CA on the first control plane (a rotation under way keeps its own)',
  async check(ctx) {
    const facts = await readCaFacts(ctx.transport, ctx.host);
    const cas = rotationCas(facts);
    if (cas) return { status: 'ok' }; // a rotation under way: its new CA is kept
    const validity = ctx.inventory.spec.certificates.caValidity ?? KUBEADM_CA_VALIDITY;
    return {
      status: 'change',
      changes: [
        {
          summary: `openssl: new CA "kubernetes" (RSA 2048, ${validity}) in ${ROTATION_DIR} (key 0600), next to a copy of the current one`,
        },
      ],
    };
  },
  async apply(ctx) {
    const seconds = durationSeconds(ctx.inventory.spec.certificates.caValidity ?? KUBEADM_CA_VALIDITY);
    await ctx.transport.exec(generateCaScript(seconds), { timeoutMs: 120_000 });
  },
};

export const certsRotateStage: Task = {
  id: 'certs.rotate-stage',
  title: 'Certs | Copy the new cluster CA to this control plane',
  async check(ctx) {
    const first = await readCaFacts(controlPlaneTransport(ctx), ctx.hosts.firstControlPlane);
    const cas = rotationCas(first);
    if (!cas) return { status: 'unknown', reason: 'the new CA exists once certs.rotate-generate ran' };
    const me = await readCaFacts(ctx.transport, ctx.host);
    const same = me.stagedNew && certFingerprint(me.stagedNew) === certFingerprint(cas.new) && me.stagedNewKey === cas.newKey;
    if (same && me.stagedOld && certFingerprint(me.stagedOld) === certFingerprint(cas.old)) return { status: 'ok' };
    return {
      status: 'change',
      changes: [{ summary: `copy ${STAGED.join(', ')} from ${first.node} to ${ROTATION_DIR} (key 0600, never via a local file)` }],
    };
  },
  async apply(ctx) {
    await copyStaged(ctx, ROTATION_DIR);
  },
};
