/**
 * The kubelet's client certificate on a control plane. kubeadm does not renew it (the kubelet rotates it through the
 * API) — but a cluster whose certificates expired long ago has no API to rotate through, and a CA change leaves it
 * signed by the old CA. Then it is re-signed here, on the node, with the node's own CA and the SAME key (the key never
 * leaves the node; openssl reads it from the rotating PEM into a temp dir that is removed).
 */
import { KUBELET_CLIENT_PEM, PKI_DIR } from '../../certs/catalog.js';
import { sh } from '../../transport/command.js';
import type { Transport } from '../../transport/types.js';

/** Prints "re-signed" when it re-signed the certificate; nothing when it was valid for `minDays` more days and signed by pki/ca.crt. */
export const kubeletClientScript = (node: string, minDays: number) => sh`set -e
p=$(readlink -f ${KUBELET_CLIENT_PEM} 2>/dev/null) || exit 0
[ -e "$p" ] && [ -e ${`${PKI_DIR}/ca.key`} ] || exit 0
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$p" > "$d/c.pem"
if openssl verify -CAfile ${`${PKI_DIR}/ca.crt`} "$d/c.pem" >/dev/null 2>&1 && openssl x509 -noout -checkend ${String(minDays * 86_400)} -in "$d/c.pem" >/dev/null 2>&1; then exit 0; fi
(umask 077; sed -n '/BEGIN .*PRIVATE KEY/,/END .*PRIVATE KEY/p' "$p" > "$d/k.pem")
printf 'keyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' > "$d/ext"
openssl req -new -key "$d/k.pem" -subj ${`/O=system:nodes/CN=system:node:${node}`} -out "$d/r.csr" 2>/dev/null
openssl x509 -req -in "$d/r.csr" -CA ${`${PKI_DIR}/ca.crt`} -CAkey ${`${PKI_DIR}/ca.key`} -set_serial 0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n') -days 365 -extfile "$d/ext" -out "$d/n.pem" 2>/dev/null
new=/var/lib/kubelet/pki/kubelet-client-kubesmith-$(date +%s).pem
(umask 077; cat "$d/n.pem" "$d/k.pem" > "$new")
ln -sfn "$new" ${KUBELET_CLIENT_PEM}
echo re-signed`;

/** true when the certificate was re-signed (the kubelet must restart to load it). */
export async function refreshKubeletClient(t: Transport, node: string, minDays: number): Promise<boolean> {
  const r = await t.exec(kubeletClientScript(node, minDays), { timeoutMs: 60_000 });
  return r.stdout.includes('re-signed');
}
