/**
 * Shared set-up for the SSH contract tests: a temp dir, a client key, sshd processes, known_hosts and
 * inventories pointing at them.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventorySchema, type Inventory } from '../../src/inventory/schema.js';
import { Host } from '../../src/model/host.js';
import { ConnectionPool, type PoolOptions } from '../../src/transport/pool.js';
import type { SshTransport } from '../../src/transport/ssh.js';
import { knownHostsLine, makeKey, startSshd, type Sshd, type SshdOptions } from './sshd.js';

export const NOPASSWD_USER = { name: 'ksnopw', uid: 59301, sudo: 'nopasswd' as const };
export const SUDO_PASSWORD = "S3cret pa$$ 'word'!";
export const PASSWORD_USER = { name: 'kspw', uid: 59302, sudo: 'password' as const, sudoPassword: SUDO_PASSWORD };

export class SshFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'ks-contract-'));
  readonly clientKey = join(this.dir, 'id_client');
  readonly knownHosts = join(this.dir, 'known_hosts');
  readonly sshds: Sshd[] = [];
  readonly pools: ConnectionPool[] = [];
  #pub = '';

  constructor() {
    chmodSync(this.dir, 0o755); // test users must reach authorized_keys and their homes
  }

  async start(opts: SshdOptions = {}): Promise<Sshd> {
    this.#pub ||= makeKey(this.clientKey);
    const sshd = await startSshd(join(this.dir, `sshd${this.sshds.length}`), [this.#pub], opts);
    this.sshds.push(sshd);
    writeFileSync(this.knownHosts, this.sshds.map(knownHostsLine).join(''));
    return sshd;
  }

  inventory(ssh: Record<string, unknown>, port: number): Inventory {
    return inventorySchema.parse({
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'contract' },
      spec: {
        ssh: { keyPath: this.clientKey, knownHostsPath: this.knownHosts, port, ...ssh },
        hosts: [{ name: 'node1', address: '127.0.0.1', roles: ['control-plane'] }],
      },
    });
  }

  host(inv: Inventory): Host {
    return new Host(inv.spec.hosts[0]!);
  }

  pool(ssh: Record<string, unknown>, port: number, opts: Partial<PoolOptions> = {}): { pool: ConnectionPool; host: Host } {
    const inv = this.inventory(ssh, port);
    const pool = new ConnectionPool(inv, { inventoryDir: this.dir, env: {}, retry: { attempts: 4, baseDelayMs: 200 }, ...opts });
    this.pools.push(pool);
    return { pool, host: this.host(inv) };
  }

  /** A connected transport (the SSH one, so tests can also use raw byte runs). */
  async transport(ssh: Record<string, unknown>, port: number, opts: Partial<PoolOptions> = {}): Promise<SshTransport> {
    const { pool, host } = this.pool(ssh, port, opts);
    return (await pool.get(host)) as SshTransport;
  }

  async stop(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.closeAll()));
    await Promise.all(this.sshds.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
