/**
 * One SSH transport per inventory host, created lazily and cached; one shared connection per bastion.
 * Settings: spec.ssh merged with each host's ssh overrides; paths resolve `~` and the inventory directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Inventory } from '../inventory/schema.js';
import type { Host } from '../model/host.js';
import type { ConnectSpec } from './connect.js';
import { SshTransport, type CommandRecord, type ConnectRecord } from './ssh.js';
import { ConnectError, type Transport } from './types.js';

export interface PoolOptions {
  /** Directory of the inventory file: relative keyPath / knownHostsPath resolve against it. */
  inventoryDir: string;
  /** Every command run on any host (display text and output masked), for the per-host log. */
  onCommand?: (record: CommandRecord) => void;
  onConnect?: (record: ConnectRecord) => void;
  /** Environment holding SSH_AUTH_SOCK and the passwordEnv variables (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Connect retries (default 4 attempts, 500 ms doubling). */
  retry?: { attempts: number; baseDelayMs: number };
}

type SshSettings = Inventory['spec']['ssh'];
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export class ConnectionPool {
  readonly #inventory: Inventory;
  readonly #opts: PoolOptions;
  readonly #transports = new Map<string, SshTransport>();
  readonly #bastions = new Map<string, SshTransport>();
  #opened = 0;

  constructor(inventory: Inventory, opts: PoolOptions) {
    this.#inventory = inventory;
    this.#opts = opts;
  }

  /** The connected transport for a host (lazy, cached; concurrent callers share one connection attempt). */
  async get(host: Host): Promise<Transport> {
    let t = this.#transports.get(host.name);
    if (!t) {
      t = this.#create(host);
      this.#transports.set(host.name, t);
    }
    await t.connection();
    return t;
  }

  stats(): { connectionsOpened: number } {
    return { connectionsOpened: this.#opened };
  }

  async closeAll(): Promise<void> {
    const all = [...this.#transports.values(), ...this.#bastions.values()];
    this.#transports.clear();
    this.#bastions.clear();
    await Promise.all(all.map((t) => t.close()));
  }

  #path(p: string): string {
    const expanded = p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
    return isAbsolute(expanded) ? expanded : resolve(this.#opts.inventoryDir, expanded);
  }

  #onConnect = (r: ConnectRecord) => {
    this.#opened++;
    this.#opts.onConnect?.(r);
  };

  #auth(
    name: string,
    keyPath: string | undefined,
    passwordEnv: string | undefined,
  ): Pick<ConnectSpec, 'privateKey' | 'keyLabel' | 'agent' | 'password'> {
    const env = this.#opts.env ?? process.env;
    const auth: Pick<ConnectSpec, 'privateKey' | 'keyLabel' | 'agent' | 'password'> = {};
    const keyFile = keyPath ? this.#path(keyPath) : DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).find((f) => existsSync(f));
    if (keyFile) {
      try {
        auth.privateKey = readFileSync(keyFile, 'utf8');
        auth.keyLabel = keyPath ?? keyFile;
      } catch (err) {
        throw new ConnectError(name, `cannot read the private key ${keyPath}: ${(err as Error).message}`, true, 'check spec.ssh.keyPath');
      }
    }
    if (env.SSH_AUTH_SOCK) auth.agent = env.SSH_AUTH_SOCK;
    if (passwordEnv) {
      const password = env[passwordEnv];
      if (password === undefined)
        throw new ConnectError(name, `environment variable ${passwordEnv} (spec.ssh.passwordEnv) is not set`, true);
      auth.password = password;
    }
    return auth;
  }

  #common(ssh: SshSettings) {
    return {
      connectTimeoutMs: ssh.connectTimeoutSeconds * 1000,
      ...(this.#opts.retry ? { retry: this.#opts.retry } : {}),
    };
  }

  #hostKey(ssh: SshSettings, address: string, port: number): ConnectSpec['hostKey'] {
    return {
      host: address,
      port,
      knownHostsPath: this.#path(ssh.knownHostsPath),
      knownHostsLabel: ssh.knownHostsPath,
      policy: ssh.hostKeyPolicy,
    };
  }

  #bastion(ssh: SshSettings): SshTransport | undefined {
    const b = ssh.bastion;
    if (!b) return undefined;
    const user = b.user ?? ssh.user;
    const key = `${user}@${b.address}:${b.port}`;
    let t = this.#bastions.get(key);
    if (!t) {
      const name = `bastion ${b.address}`;
      t = new SshTransport({
        host: name,
        connect: {
          name,
          address: b.address,
          port: b.port,
          user,
          ...this.#auth(name, b.keyPath ?? ssh.keyPath, undefined),
          hostKey: this.#hostKey(ssh, b.address, b.port),
          ...this.#common(ssh),
        },
        sudo: 'never',
        maxChannels: ssh.maxChannels,
        defaultTimeoutMs: ssh.commandTimeoutSeconds * 1000,
        onConnect: this.#onConnect,
      });
      this.#bastions.set(key, t);
    }
    return t;
  }

  #create(host: Host): SshTransport {
    const ssh = this.#inventory.spec.ssh;
    const o = host.spec.ssh ?? {};
    const user = o.user ?? ssh.user;
    const port = o.port ?? ssh.port;
    const passwordEnv = o.passwordEnv ?? ssh.passwordEnv;
    const auth = this.#auth(host.name, o.keyPath ?? ssh.keyPath, passwordEnv);
    const bastion = this.#bastion(ssh);
    const tunnel = bastion
      ? async (): Promise<Duplex> => (await bastion.connection()).forwardOut('127.0.0.1', 0, host.address, port) as unknown as Duplex
      : undefined;
    return new SshTransport({
      host: host.name,
      connect: {
        name: host.name,
        address: host.address,
        port,
        user,
        ...auth,
        hostKey: this.#hostKey(ssh, host.address, port),
        ...this.#common(ssh),
        ...(tunnel ? { tunnel } : {}),
      },
      sudo: ssh.sudo,
      ...(auth.password !== undefined ? { sudoPassword: auth.password } : {}),
      maxChannels: ssh.maxChannels,
      defaultTimeoutMs: ssh.commandTimeoutSeconds * 1000,
      ...(this.#opts.onCommand ? { onCommand: this.#opts.onCommand } : {}),
      onConnect: this.#onConnect,
    });
  }
}
