/**
 * Opening one SSH connection (node-ssh over ssh2): auth material, known_hosts verification, fast key exchange,
 * optional tunnel through a bastion, retries with backoff that stop at once on auth or host-key problems.
 */
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import { ConnectError } from './types.js';
import { knownKeyTypes, readKnownHosts, verifyHostKey, type HostKeyCheck } from './known-hosts.js';

export interface ConnectSpec {
  /** Inventory name, used in errors. */
  name: string;
  address: string;
  port: number;
  user: string;
  privateKey?: string;
  /** Human description of the key source for error messages (e.g. the key path). */
  keyLabel?: string;
  agent?: string;
  password?: string;
  hostKey: HostKeyCheck;
  connectTimeoutMs: number;
  retry?: { attempts: number; baseDelayMs: number };
  /** Opens a stream to address:port through a bastion. */
  tunnel?: () => Promise<Duplex>;
}

/** Prefer curve25519 (fast, see lab notes) but accept whatever else the server offers by default. */
const KEX_PREFERENCE = ['curve25519-sha256', 'curve25519-sha256@libssh.org'];

function authMethods(spec: ConnectSpec): string {
  const m: string[] = [];
  if (spec.privateKey) m.push(`key ${spec.keyLabel ?? ''}`.trim());
  if (spec.agent) m.push('ssh-agent');
  if (spec.password !== undefined) m.push('password');
  return m.join(', ') || 'none';
}

/**
 * The authentication methods to try, in ssh2's own order but without its opening `none` request: that request only
 * asks the server which methods it takes (we try ours in turn anyway), and costs a round trip on every connection.
 * Kept when we hold no credential at all (a server that lets anyone in).
 */
export function authOrder(spec: Pick<ConnectSpec, 'privateKey' | 'agent' | 'password'>): string[] {
  const order: string[] = [];
  if (spec.password !== undefined) order.push('password');
  if (spec.privateKey) order.push('publickey');
  if (spec.agent) order.push('agent');
  if (spec.password !== undefined) order.push('keyboard-interactive');
  return order.length > 0 ? order : ['none'];
}

async function connectOnce(spec: ConnectSpec): Promise<NodeSSH> {
  let refusal: string | null = null;
  const entries = readKnownHosts(spec.hostKey.knownHostsPath);
  const preferred = knownKeyTypes(entries, spec.hostKey.host, spec.hostKey.port);
  const ssh = new NodeSSH();
  const sock = spec.tunnel ? await spec.tunnel() : undefined;
  try {
    await ssh.connect({
      ...(sock ? { sock: sock as never } : { host: spec.address, port: spec.port }),
      username: spec.user,
      ...(spec.privateKey ? { privateKey: spec.privateKey } : {}),
      ...(spec.agent ? { agent: spec.agent } : {}),
      ...(spec.password !== undefined ? { password: spec.password, tryKeyboard: true } : {}),
      authHandler: authOrder(spec),
      readyTimeout: spec.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: {
        kex: { prepend: KEX_PREFERENCE },
        ...(preferred.length ? { serverHostKey: { prepend: preferred } } : {}),
      } as never,
      hostVerifier: ((key: Buffer) => {
        refusal = verifyHostKey(spec.hostKey, key);
        return refusal === null;
      }) as never,
    });
  } catch (err) {
    ssh.dispose();
    sock?.destroy();
    if (refusal) throw new ConnectError(spec.name, refusal, true);
    throw classify(spec, err as Error & { level?: string; code?: string });
  }
  // node-ssh removes its own error listener once ready: without ours a reset connection crashes the process.
  ssh.connection?.on('error', () => undefined);
  return ssh;
}

function classify(spec: ConnectSpec, err: Error & { level?: string; code?: string }): ConnectError {
  const where = `${spec.user}@${spec.address}:${spec.port}${spec.tunnel ? ' (via bastion)' : ''}`;
  if (err.level === 'client-authentication') {
    return new ConnectError(
      spec.name,
      `authentication failed for ${where} (tried: ${authMethods(spec)})`,
      true,
      'check spec.ssh.user and keyPath, that the public key is in ~/.ssh/authorized_keys on the host, or the agent (SSH_AUTH_SOCK)',
    );
  }
  if (/privateKey|Cannot parse|passphrase/i.test(err.message)) {
    return new ConnectError(spec.name, `cannot use the private key ${spec.keyLabel ?? ''}: ${err.message}`, true);
  }
  const hint =
    err.code === 'ECONNREFUSED'
      ? 'is sshd running and listening on that port?'
      : err.level === 'client-timeout' || err.code === 'ETIMEDOUT'
        ? 'the host did not answer in time: check the address, routes and firewalls'
        : undefined;
  return new ConnectError(spec.name, `cannot connect to ${where}: ${err.message}`, false, hint);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function connectWithRetry(spec: ConnectSpec): Promise<NodeSSH> {
  const { attempts, baseDelayMs } = spec.retry ?? { attempts: 4, baseDelayMs: 500 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(spec);
    } catch (err) {
      const e = err instanceof ConnectError ? err : new ConnectError(spec.name, (err as Error).message, false);
      if (e.permanent || attempt >= attempts) throw e;
      await sleep(baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
