/**
 * The kubelet's client certificate on a control plane. kubeadm does not renew it (the kubelet rotates it through the
 * API) — but a cluster whose certificates expired long ago has no API to rotate through, and a CA change leaves it
 * signed by the old CA. Then it is re-signed here, on the node, with the node's own CA and the SAME key (the key never
 * leaves the node; openssl reads it from the rotating PEM into a temp dir that is removed). Like kubeadm's own
 * troubleshooting procedure ("Kubelet client certificate rotation fails") this needs no API: it works on a node
 * whose kubelet cannot start any more. Time comes from the node's clock (`date`), the clock its API server judges
 * the certificate by: validity is compared with `date +%s` and the new certificate's window is set explicitly
 * (`openssl ca -startdate/-enddate`), so openssl's own reading of the time never decides anything.
 */
import { KUBE_DIR, KUBELET_CLIENT_PEM, PKI_DIR } from '../../certs/catalog.js';
import { sh } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';

/** A one-shot `openssl ca` setup: explicit validity dates need it (`openssl x509 -req` takes only -days from openssl's clock). */
export const opensslCaConf = (extensions: readonly string[]) => `[ca]
default_ca = k
[k]
database = ./index.txt
serial = ./serial
new_certs_dir = .
default_md = sha256
policy = p
unique_subject = no
[p]
organizationName = optional
commonName = supplied
[ext]
${extensions.join('\n')}
`;

const CA_CONF = opensslCaConf([
  'keyUsage = critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage = clientAuth',
  'basicConstraints = critical,CA:FALSE',
]);

/**
 * Prints "re-signed" when it re-signed the certificate; nothing when it was valid for `minDays` more days and signed by
 * a CA of `trust` (default pki/ca.crt; a CA rotation passes the new CA alone). It is signed with pki/ca.crt's first
 * certificate and pki/ca.key.
 */
export const kubeletClientScript = (node: string, minDays: number, trust = `${PKI_DIR}/ca.crt`) => sh`set -e
p=$(readlink -f ${KUBELET_CLIENT_PEM} 2>/dev/null) || exit 0
[ -e "$p" ] && [ -e ${`${PKI_DIR}/ca.key`} ] || exit 0
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$p" > c.pem
now=$(date +%s)
end=$(date -d "$(openssl x509 -noout -enddate -in c.pem | cut -d= -f2)" +%s)
if openssl verify -no_check_time -CAfile ${trust} c.pem >/dev/null 2>&1 && [ $((end - now)) -gt ${String(minDays * 86_400)} ]; then exit 0; fi
(umask 077; sed -n '/BEGIN .*PRIVATE KEY/,/END .*PRIVATE KEY/p' "$p" > k.pem)
printf '%s' ${CA_CONF} > ca.cnf; : > index.txt; od -An -N8 -tx1 /dev/urandom | tr -d ' \\n' > serial
openssl req -new -key k.pem -subj ${`/O=system:nodes/CN=system:node:${node}`} -out r.csr 2>/dev/null
openssl ca -batch -config ca.cnf -notext -in r.csr -out n.pem -cert ${`${PKI_DIR}/ca.crt`} -keyfile ${`${PKI_DIR}/ca.key`} -extensions ext \
  -startdate $(date -u -d @$((now - 300)) +%Y%m%d%H%M%SZ) -enddate $(date -u -d @$((now + 365 * 86400)) +%Y%m%d%H%M%SZ) 2>/dev/null
new=/var/lib/kubelet/pki/kubelet-client-kubesmith-$now.pem
(umask 077; cat n.pem k.pem > "$new")
ln -sfn "$new" ${KUBELET_CLIENT_PEM}
echo re-signed`;

/** true when the certificate was re-signed (the kubelet must restart to load it). */
export async function refreshKubeletClient(t: Transport, node: string, minDays: number, trust?: string): Promise<boolean> {
  const r = await t.exec(kubeletClientScript(node, minDays, trust), { timeoutMs: 60_000 });
  return r.stdout.includes('re-signed');
}

/**
 * A kubelet.conf that embeds its client certificate (`client-certificate-data`: written by `kubeadm init` before 1.17,
 * kubeadm issues #1753 and #2185) is never rotated: the kubelet's rotations go to kubelet-client-current.pem, which
 * that kubelet.conf does not name, and kubeadm's renewal does not cover kubelet.conf. As kubeadm's certificate
 * management page says to do by hand, it is pointed at the rotating PEM; when the kubelet never rotated (no PEM yet),
 * the PEM is first made from the embedded certificate and key. The key only moves through pipes and a 0600 file.
 * Prints "pointed" when it changed kubelet.conf; the backup of /etc/kubernetes is taken before (certs.backup).
 */
export const kubeletConfRotatingScript = () => sh`set -e
c=${`${KUBE_DIR}/kubelet.conf`}; p=${KUBELET_CLIENT_PEM}
grep -Eq '^[[:space:]]*client-certificate-data:' "$c" 2>/dev/null || exit 0
if [ ! -e "$p" ]; then
  d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
  umask 077
  sed -n 's/^[[:space:]]*client-certificate-data:[[:space:]]*//p' "$c" | head -n1 | base64 -d > "$d/c.pem"
  sed -n 's/^[[:space:]]*client-key-data:[[:space:]]*//p' "$c" | head -n1 | base64 -d > "$d/k.pem"
  grep -q 'BEGIN CERTIFICATE' "$d/c.pem" && grep -q 'PRIVATE KEY' "$d/k.pem" || { echo "kubelet.conf: no client certificate and key to move" >&2; exit 1; }
  mkdir -p "\${p%/*}"
  new="\${p%/*}/kubelet-client-kubesmith-$(date +%s).pem"
  cat "$d/c.pem" "$d/k.pem" > "$new"
  ln -sfn "$new" "$p"
fi
sed -i -e "s#^\\([[:space:]]*\\)client-certificate-data:.*#\\1client-certificate: $p#" -e "s#^\\([[:space:]]*\\)client-key-data:.*#\\1client-key: $p#" "$c"
echo pointed`;

/** true when kubelet.conf was changed to name the rotating PEM (the kubelet must restart to read it). */
export async function pointKubeletConfAtPem(t: Transport): Promise<boolean> {
  const r = await t.exec(kubeletConfRotatingScript(), { timeoutMs: 60_000 });
  return r.stdout.includes('pointed');
}
