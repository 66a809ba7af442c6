/**
 * One read-only round trip per node: a script prints every certificate (certificate blocks only — the
 * rotating kubelet PEM also holds its key, which is cut away on the node), the non-secret lines of each
 * kubeconfig (never client-key-data) and, for private keys, only the DER public key derived on the node.
 * parseCollected() turns that output back into data. Nothing here opens a connection.
 */
import { quote, raw, sh, type ShellScript } from '../transport/command.js';
import { CAS, KUBECONFIGS, KUBELET_CONF, KUBELET_SERVING_CRT, KUBELET_SERVING_CURRENT, LEAVES, SHARED_FILES } from './catalog.js';

const FUNCTIONS = `b64() { base64 | tr -d '\\n'; echo; }
cert() { if [ -r "$2" ]; then echo "@@cert $1 $2"; sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$2" | b64; else echo "@@missing $1 $2"; fi; }
kubeconfig() {
  if [ ! -r "$2" ]; then echo "@@missing $1 $2"; return; fi
  echo "@@kubeconfig $1 $2"; grep -E '^[[:space:]]*-?[[:space:]]*(server|certificate-authority-data|client-certificate-data|client-certificate):' "$2" | b64
}
pubkey() {
  if [ ! -r "$2" ]; then echo "@@missing $1 $2"; return; fi
  case "$1" in *.pub) der=$(openssl pkey -pubin -in "$2" -outform DER 2>/dev/null | base64 | tr -d '\\n') ;;
    *) der=$(openssl pkey -in "$2" -pubout -outform DER 2>/dev/null | base64 | tr -d '\\n') ;; esac
  if [ -z "$der" ]; then echo "@@error $1 openssl could not read the public key of $2"; return; fi
  echo "@@pubkey $1 $(stat -c %a "$2")"; echo "$der"
}`;

/** The copies of admin.conf kubesmith hands out on a node: root's and the SSH user's ~/.kube/config. */
function kubeconfigCopies(root: string, sshUser: string): string {
  const rootCopy = `kubeconfig ${quote(copyName('root'))} ${quote(`${root}/root/.kube/config`)}`;
  if (sshUser === 'root') return rootCopy;
  return `${rootCopy}
h=$(getent passwd ${quote(sshUser)} | cut -d: -f6)
[ -n "$h" ] && [ "$h" != /root ] && kubeconfig ${quote(copyName(sshUser))} ${quote(root)}"$h/.kube/config"`;
}

/** The name a user's ~/.kube/config goes by in the report ("~kube/.kube/config"). */
export function copyName(user: string): string {
  return `~${user}/.kube/config`;
}

/**
 * The collector for one node; control planes get the kubeadm PKI and kubeconfigs too, every node its kubelet files
 * and the ~/.kube/config copies of root and `sshUser`. All paths are constants of catalog.ts; `root` prefixes them
 * (unit tests run the script on a directory tree; hosts use '').
 */
export function collectScript(controlPlane: boolean, root = '', sshUser = 'root'): ShellScript {
  const calls = (fn: string, entries: { name: string; path: string }[]) =>
    entries.map((e) => `${fn} ${e.name} ${quote(root + e.path)}`).join('\n');
  const cp = controlPlane
    ? [
        calls('cert', [...CAS, ...LEAVES]),
        calls('kubeconfig', KUBECONFIGS),
        calls(
          'pubkey',
          SHARED_FILES.filter((f) => f.key || f.name.endsWith('.pub')),
        ),
      ].join('\n')
    : '';
  const conf = quote(root + KUBELET_CONF.path);
  const kubelet = `kubeconfig ${KUBELET_CONF.name} ${conf}
p=$(sed -n 's/^[[:space:]]*client-certificate:[[:space:]]*//p' ${conf} 2>/dev/null | head -n 1)
[ -n "$p" ] && cert kubelet-client ${quote(root)}"$p"
if [ -r ${quote(root + KUBELET_SERVING_CURRENT)} ]; then cert kubelet-serving ${quote(root + KUBELET_SERVING_CURRENT)}; else cert kubelet-serving ${quote(root + KUBELET_SERVING_CRT)}; fi
${kubeconfigCopies(root, sshUser)}
echo "@@hostname $(hostname)"
echo "@@now $(date +%s)"
echo "@@end"`;
  return sh`${raw(FUNCTIONS)}
${raw(cp)}
${raw(kubelet)}`;
}

export interface KubeconfigLines {
  server?: string;
  caData?: string | undefined;
  clientCertData?: string;
  /** client-certificate: a path (kubelet.conf after bootstrap). */
  clientCertFile?: string;
}

export interface Collected {
  certs: Map<string, { path: string; pem: string }>;
  kubeconfigs: Map<string, { path: string; lines: KubeconfigLines }>;
  /** Public-key fingerprints (sha256 of DER SPKI) of shared keys, and the file mode. */
  pubkeys: Map<string, { der: Buffer; mode: string }>;
  missing: Map<string, string>;
  errors: string[];
  hostname?: string;
  /** The node's clock (Unix seconds) when it was read: certificates are judged at this time. */
  hostNow?: number | undefined;
  /** The script ran to its end (a truncated read is an error, not "all missing"). */
  complete: boolean;
}

/** Parse the non-secret kubeconfig lines kept by the collector (first occurrence of each key). */
export function parseKubeconfigLines(text: string): KubeconfigLines {
  const out: KubeconfigLines = {};
  for (const line of text.split('\n')) {
    const m = /^\s*-?\s*(server|certificate-authority-data|client-certificate-data|client-certificate):\s*(\S+)\s*$/.exec(line);
    if (!m) continue;
    const value = m[2]!.replace(/^["']|["']$/g, '');
    if (m[1] === 'server') out.server ??= value;
    if (m[1] === 'certificate-authority-data') out.caData ??= Buffer.from(value, 'base64').toString('utf8');
    if (m[1] === 'client-certificate-data') out.clientCertData ??= Buffer.from(value, 'base64').toString('utf8');
    if (m[1] === 'client-certificate') out.clientCertFile ??= value;
  }
  return out;
}

export function parseCollected(stdout: string): Collected {
  const c: Collected = { certs: new Map(), kubeconfigs: new Map(), pubkeys: new Map(), missing: new Map(), errors: [], complete: false };
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('@@')) continue;
    const [tag, name = '', ...rest] = line.slice(2).split(' ');
    const body = () => Buffer.from(lines[++i] ?? '', 'base64');
    if (tag === 'cert') c.certs.set(name, { path: rest[0] ?? '', pem: body().toString('utf8') });
    else if (tag === 'kubeconfig') c.kubeconfigs.set(name, { path: rest[0] ?? '', lines: parseKubeconfigLines(body().toString('utf8')) });
    else if (tag === 'pubkey') c.pubkeys.set(name, { mode: rest[0] ?? '', der: body() });
    else if (tag === 'missing') c.missing.set(name, rest[0] ?? '');
    else if (tag === 'error') c.errors.push(`${name}: ${rest.join(' ')}`);
    else if (tag === 'hostname') c.hostname = name;
    else if (tag === 'now' && /^\d+$/.test(name)) c.hostNow = Number(name);
    else if (tag === 'end') c.complete = true;
  }
  return c;
}
