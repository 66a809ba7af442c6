/**
 * Lab-side helpers for the certificate e2e tests. They act on a lab host the way a past or an accident would
 * (time passing, a rebuilt master with its own CA, a hand-made apiserver cert), never through kubesmith.
 */
import type { Lab } from '../../lab/lab.js';

const DAY_S = 86_400;

/** Inventory extras for a small lab cluster whose images come from the lab registry (the lab has no internet). */
export function clusterExtra(registryUrl: string, controlPlaneEndpoint?: string): Record<string, unknown> {
  return {
    kubernetes: { version: '1.34.1', podSubnet: '10.244.0.0/16', ...(controlPlaneEndpoint ? { controlPlaneEndpoint } : {}) },
    network: { plugin: 'flannel', flannel: { backend: 'vxlan' } },
    containerRuntime: { registryMirrors: { 'registry.k8s.io': [registryUrl], 'ghcr.io': [registryUrl] } },
  };
}

async function sh(lab: Lab, host: string, script: string): Promise<string> {
  const r = await lab.exec(host, script, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${host}: ${script.slice(0, 80)}… exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The kubelet's static pods, which the lab does not run: a loop in the host that, like the kubelet's file check
 * (every `periodS` seconds), publishes one running container per manifest in /etc/kubernetes/manifests to crictl
 * (/run/lab/cri/containers.json) while kubelet.service is active. A manifest keeps its container across polls; a
 * manifest that was absent at one poll gets a NEW container when it comes back — exactly when a real kubelet restarts it.
 * While the kubelet is stopped (or between the stop and start of `systemctl restart kubelet`) the list is left as it
 * was: static pod containers outlive their kubelet, and nobody watches the manifests meanwhile.
 * Plain shell builtins and coreutils only, so the host's journal stays free of it.
 */
export async function startStaticPods(lab: Lab, host: string, periodS = 1): Promise<void> {
  const loop = `mkdir -p /run/lab/cri; ids=/run/lab/cri/static-ids; : > $ids
while :; do
  next=''; json=''; sep=''
  if [ ! -e /run/lab/systemd/active/kubelet.service ]; then sleep ${periodS}; continue; fi
  for f in /etc/kubernetes/manifests/*.yaml; do
    [ -e "$f" ] || continue
    n=\${f##*/}; n=\${n%.yaml}
    id=$(sed -n "s/^$n //p" $ids)
    [ -n "$id" ] || id=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
    next="$next$n $id
"
    json="$json$sep{\\"id\\":\\"$id\\",\\"image\\":\\"registry.k8s.io/$n\\",\\"created\\":\\"$(date +%s)\\",\\"state\\":\\"Running\\",\\"name\\":\\"$n\\",\\"attempt\\":0,\\"podId\\":\\"$id\\",\\"pod\\":\\"$n-${host}\\",\\"namespace\\":\\"kube-system\\"}"; sep=','
  done
  printf '%s' "$next" > $ids.tmp && mv -f $ids.tmp $ids
  printf '[%s]\\n' "$json" > /run/lab/cri/containers.json.tmp && mv -f /run/lab/cri/containers.json.tmp /run/lab/cri/containers.json
  sleep ${periodS}
done`;
  const put = await lab.exec(host, 'mkdir -p /run/lab && cat > /run/lab/static-pods.sh', { input: loop });
  if (put.code !== 0) throw new Error(`${host}: cannot write the static pod loop: ${put.stderr}`);
  await sh(lab, host, 'setsid nohup bash /run/lab/static-pods.sh >/dev/null 2>&1 < /dev/null & echo started');
}

/**
 * Emulated containerd on every host (the README's LAB_REAL_CONTAINERD=0): these tests are about certificates,
 * not image transfer, and the emulated runtime keeps them fast and independent of the real containerd path.
 */
export async function emulatedRuntime(lab: Lab): Promise<void> {
  for (const h of lab.hosts)
    await sh(lab, h.name, 'grep -q "^LAB_REAL_CONTAINERD=" /etc/lab/env || echo LAB_REAL_CONTAINERD=0 >> /etc/lab/env');
}

/** Re-issue every leaf certificate of these control planes as if renewed `daysAgo` days ago (kubeadm under a skewed clock). */
export async function ageLeafCertificates(lab: Lab, hosts: string[], daysAgo: number): Promise<void> {
  for (const h of hosts) {
    await lab.skewClock(h, -daysAgo * DAY_S);
    try {
      await sh(lab, h, 'LAB_JOURNAL_OFF=1 kubeadm certs renew all >/dev/null');
    } finally {
      await lab.skewClock(h, 0);
    }
  }
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

/**
 * The kubelet's client certificate as left by a cluster that was down for a long time: same key, signed by the
 * cluster CA, valid from `daysAgo + 365` to `daysAgo` days ago (openssl ca with explicit dates).
 */
export async function expireKubeletClient(lab: Lab, host: string, daysAgo: number): Promise<void> {
  const end = Date.now() - daysAgo * DAY_S * 1000;
  await sh(
    lab,
    host,
    `set -e; d=$(mktemp -d); cd $d
printf '[ca]\ndefault_ca=lab\n[lab]\ndatabase=./index.txt\nserial=./serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\norganizationName=optional\ncommonName=supplied\n[ext]\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > ca.cnf
: > index.txt; echo 1000 > serial
p=$(readlink -f /var/lib/kubelet/pki/kubelet-client-current.pem)
sed -n '/BEGIN .*PRIVATE KEY/,/END .*PRIVATE KEY/p' "$p" > k.pem
openssl req -new -key k.pem -subj /O=system:nodes/CN=system:node:${host} -out r.csr 2>/dev/null
openssl ca -batch -config ca.cnf -notext -in r.csr -out c.pem -cert /etc/kubernetes/pki/ca.crt -keyfile /etc/kubernetes/pki/ca.key -startdate ${stamp(end - 365 * DAY_S * 1000)} -enddate ${stamp(end)} -extensions ext 2>/dev/null
cat c.pem k.pem > "$p"; cd /; rm -rf $d`,
  );
}

/** A rebuilt master: its own freshly made cluster CA, and its leaf certificates re-signed by it. */
export async function giveOwnCa(lab: Lab, host: string): Promise<void> {
  await sh(
    lab,
    host,
    `set -e; cd /etc/kubernetes/pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key.new -out ca.crt.new -days 3650 -subj /CN=kubernetes -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>/dev/null
chmod 600 ca.key.new; mv -f ca.key.new ca.key; mv -f ca.crt.new ca.crt
LAB_JOURNAL_OFF=1 kubeadm certs renew all >/dev/null`,
  );
}

/** Re-sign the apiserver certificate (same key, same CA) with only the service names: no node name, no node IP. */
export async function dropApiserverSans(lab: Lab, host: string): Promise<void> {
  await sh(
    lab,
    host,
    `set -e; cd /etc/kubernetes/pki; d=$(mktemp -d)
openssl req -new -key apiserver.key -subj /CN=kube-apiserver -out $d/r.csr
printf 'subjectAltName=DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1\\nextendedKeyUsage=serverAuth\\n' > $d/ext
openssl x509 -req -in $d/r.csr -CA ca.crt -CAkey ca.key -set_serial 0x1234 -days 300 -extfile $d/ext -out apiserver.crt 2>/dev/null
rm -rf $d`,
  );
}

/** sha256 of a file on a host (to prove it did or did not change). */
export async function fileSum(lab: Lab, host: string, path: string): Promise<string> {
  return (await sh(lab, host, `sha256sum ${path} | cut -d' ' -f1`)).trim();
}

/** Journal entries of a host from index `from`, with their epoch-ms time. */
export function journalSince(lab: Lab, host: string, from: number): { at: number; line: string }[] {
  return lab
    .journal(host)
    .slice(from)
    .map((line) => ({ at: Number(line.split(' ')[0]), line: line.slice(line.indexOf(' ') + 1) }));
}
