/**
 * The cluster API, reached over SSH: every kubectl/kubeadm call runs on the first control plane with admin.conf.
 */
import { createHash, randomBytes, randomInt, X509Certificate } from 'node:crypto';
import type { TaskContext } from '../../engine/types.js';
import type { Transport } from '../../transport/types.js';
import { secret, type Secret } from '../../transport/command.js';
import { renderKubeadmInit } from '../../render/index.js';
import { ADMIN_CONF } from '../../render/views.js';

export { ADMIN_CONF };
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const CA_CERT = '/etc/kubernetes/pki/ca.crt';
/** Where kubesmith keeps the files it renders for kubeadm and the CNI. */
export const KUBESMITH_DIR = '/etc/kubernetes/kubesmith';

export function kubectl(...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, ...args];
}

export function controlPlaneTransport(ctx: TaskContext): Transport {
  return ctx.transportFor(ctx.hosts.firstControlPlane);
}

export async function fileExists(t: Transport, path: string): Promise<boolean> {
  return (await t.exec(['test', '-e', path], { allowFailure: true })).code === 0;
}

/**
 * For tasks that need the running cluster on the first control plane: undefined when admin.conf is there;
 * in a dry run before init, the "unknown" plan; in a real run, an error.
 */
export async function requireCluster(ctx: TaskContext): Promise<{ unknown: string } | undefined> {
  if (await fileExists(controlPlaneTransport(ctx), ADMIN_CONF)) return undefined;
  if (ctx.dryRun) return { unknown: 'the cluster does not exist yet (controlplane.init runs first)' };
  throw new Error(`${ADMIN_CONF} is missing on ${ctx.hosts.firstControlPlane.name}: cannot reach the cluster`);
}

export interface NodeStatus {
  name: string;
  ready: boolean;
  /** Reason/message of the Ready condition, for the report. */
  detail: string;
  roles: string[];
  version: string;
}

/** Nodes as the API sees them, or null when the cluster is not reachable (no admin.conf yet, API down). */
export async function clusterNodes(ctx: TaskContext): Promise<NodeStatus[] | null> {
  const t = controlPlaneTransport(ctx);
  if (!(await fileExists(t, ADMIN_CONF))) return null;
  const res = await t.exec(kubectl('get', 'nodes', '-o', 'json'), { allowFailure: true, timeoutMs: 60_000 });
  if (res.code !== 0) return null;
  return parseNodes(res.stdout);
}

interface NodeJson {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

export function parseNodes(json: string): NodeStatus[] {
  const items = (JSON.parse(json) as { items?: NodeJson[] }).items ?? [];
  return items.map((n) => {
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    const roles = Object.keys(n.metadata.labels ?? {})
      .filter((l) => l.startsWith('node-role.kubernetes.io/'))
      .map((l) => l.slice('node-role.kubernetes.io/'.length));
    return {
      name: n.metadata.name,
      ready: ready?.status === 'True',
      detail: ready ? `${ready.reason ?? ready.status}${ready.message ? `: ${ready.message}` : ''}` : 'no Ready condition yet',
      roles,
      version: n.status?.nodeInfo?.kubeletVersion ?? '',
    };
  });
}

/** sha256 of the DER SubjectPublicKeyInfo of the CA certificate: kubeadm's discovery-token-ca-cert-hash. */
export function caCertHash(pem: string | Buffer): string {
  const cert = new X509Certificate(pem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export interface JoinMaterial {
  token: Secret;
  caCertHash: string;
  certificateKey?: Secret;
}

/** Read the CA and compute its hash on the admin machine (never trusting a hash printed by the host). */
export async function clusterCaHash(ctx: TaskContext): Promise<string> {
  const pem = await controlPlaneTransport(ctx).readFile(CA_CERT);
  if (!pem) throw new Error(`${ctx.hosts.firstControlPlane.name}: ${CA_CERT} not found; has controlplane.init run?`);
  return caCertHash(pem);
}

/**
 * A fresh bootstrap token (and, for control planes, a fresh certificate key), made once per run on the
 * first control plane and shared by every joining host through the run state. Values are Secrets.
 */
export function joinMaterial(ctx: TaskContext, controlPlane: boolean): Promise<JoinMaterial> {
  const key = controlPlane ? 'join.material.control-plane' : 'join.material.worker';
  let pending = ctx.run.get<Promise<JoinMaterial>>(key);
  if (!pending) {
    pending = makeJoinMaterial(ctx, controlPlane);
    // A failure must not be cached: the next host retries.
    pending.catch(() => ctx.run.set(key, undefined));
    ctx.run.set(key, pending);
  }
  return pending;
}

/** A bootstrap token made on the admin machine, so it reaches hosts only as a masked secret. */
export function newBootstrapToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

export function newCertificateKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The first control plane's config for making join material: an InitConfiguration holding the new token (and key).
 * 0600, removed right after: `kubeadm token create --config` and `kubeadm init phase upload-certs --config` read the
 * secrets from it, so they never appear on a command line (/proc/PID/cmdline, sudo's log).
 */
export const JOIN_MATERIAL_CONFIG = `${KUBESMITH_DIR}/kubeadm-join-material.yaml`;

async function makeJoinMaterial(ctx: TaskContext, controlPlane: boolean): Promise<JoinMaterial> {
  const t = controlPlaneTransport(ctx);
  const caHash = await clusterCaHash(ctx);
  // The token and the key are generated here, reach the host only in a 0600 file, and are masked in every echo.
  const token = secret(newBootstrapToken());
  const key = controlPlane ? secret(newCertificateKey()) : undefined;
  const secrets = [token.reveal(), ...(key ? [key.reveal()] : [])];
  const first = ctx.hosts.firstControlPlane;
  const config = renderKubeadmInit(ctx.inventory, first, ctx.hosts, {
    bootstrapToken: token.reveal(),
    ...(key ? { certificateKey: key.reveal() } : {}),
  });
  await t.writeFile(JOIN_MATERIAL_CONFIG, config, { mode: '0600' });
  try {
    await t.exec(['kubeadm', 'token', 'create', '--config', JOIN_MATERIAL_CONFIG], { timeoutMs: 120_000, secrets });
    if (key)
      await t.exec(['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', JOIN_MATERIAL_CONFIG], {
        timeoutMs: 120_000,
        secrets,
      });
  } finally {
    await t.exec(['rm', '-f', JOIN_MATERIAL_CONFIG], { allowFailure: true });
  }
  return { token, caCertHash: caHash, ...(key ? { certificateKey: key } : {}) };
}
