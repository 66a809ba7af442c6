/**
 * A real OpenSSH sshd for contract tests, on 127.0.0.1 and a free port, with its own host key, authorized_keys
 * and config in a temp dir. It runs in a private mount namespace (unshare -m) so that nothing on this machine
 * changes: /run/sshd (privilege separation) is a tmpfs there, and test users exist only in bind-mounted copies
 * of /etc/passwd, /etc/shadow, /etc/group and /etc/sudoers.d.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export interface TestUser {
  name: string;
  uid: number;
  /** Login password hash is always locked ('*'); this one is only for sudo. */
  sudoPassword?: string;
  sudo: 'nopasswd' | 'password' | 'none';
}

export interface SshdOptions {
  maxSessions?: number;
  users?: TestUser[];
  /** Mount a small tmpfs at this path inside the namespace (disk-full tests). */
  tmpfs?: { path: string; size: string };
  logLevel?: 'INFO' | 'VERBOSE' | 'DEBUG';
}

export interface Sshd {
  port: number;
  pid: number;
  dir: string;
  /** `ssh-ed25519 AAAA…` of the host key. */
  hostKeyPub: string;
  log(): string;
  /** Connections that authenticated ("Accepted publickey" lines). */
  accepted(): number;
  stop(): Promise<void>;
}

/** Whether sshd can run in a private mount namespace here (root with CAP_SYS_ADMIN). */
export const PRIVATE_MOUNTS =
  process.env.KS_TEST_NO_UNSHARE !== '1' && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function makeKey(path: string): string {
  if (!existsSync(path)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kubesmith-test', '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

function userFiles(dir: string, users: TestUser[]): string[] {
  if (users.length === 0) return [];
  const etc = join(dir, 'etc');
  mkdirSync(join(etc, 'sudoers.d'), { recursive: true });
  for (const f of ['passwd', 'shadow', 'group']) copyFileSync(`/etc/${f}`, join(etc, f));
  for (const f of readdirSync('/etc/sudoers.d')) copyFileSync(join('/etc/sudoers.d', f), join(etc, 'sudoers.d', f));
  for (const u of users) {
    const home = join(dir, `home-${u.name}`);
    mkdirSync(home, { recursive: true });
    execFileSync('chown', [`${u.uid}:${u.uid}`, home]);
    appendFileSync(join(etc, 'passwd'), `${u.name}:x:${u.uid}:${u.uid}::${home}:/bin/sh\n`);
    appendFileSync(join(etc, 'group'), `${u.name}:x:${u.uid}:\n`);
    const hash = u.sudoPassword ? execFileSync('openssl', ['passwd', '-6', u.sudoPassword], { encoding: 'utf8' }).trim() : '*';
    appendFileSync(join(etc, 'shadow'), `${u.name}:${hash}:19000:0:99999:7:::\n`);
    if (u.sudo !== 'none') {
      const rule = `${u.name} ALL=(ALL:ALL) ${u.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`;
      writeFileSync(join(etc, 'sudoers.d', `ks-${u.name}`), rule, { mode: 0o440 });
    }
  }
  return ['passwd', 'shadow', 'group', 'sudoers.d'].map((f) => `mount --bind ${join(etc, f)} /etc/${f}`);
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

export async function startSshd(dir: string, authorizedKeys: string[], opts: SshdOptions = {}): Promise<Sshd> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const hostKeyPub = makeKey(join(dir, 'host_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), authorizedKeys.join('\n') + '\n');
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'PrintMotd no',
      `MaxSessions ${opts.maxSessions ?? 10}`,
      'MaxStartups 100:30:200',
      `LogLevel ${opts.logLevel ?? 'VERBOSE'}`,
    ].join('\n') + '\n',
  );
  const setup = [
    'set -e',
    '[ -d /run/sshd ] || { mount -t tmpfs -o mode=755,size=1m tmpfs /run; mkdir -m 755 /run/sshd; }',
    ...userFiles(dir, opts.users ?? []),
    ...(opts.tmpfs ? [`mkdir -p ${opts.tmpfs.path}`, `mount -t tmpfs -o size=${opts.tmpfs.size},mode=755 tmpfs ${opts.tmpfs.path}`] : []),
    `exec /usr/sbin/sshd -D -e -f ${cfg}`,
  ].join('\n');
  // unshare without --fork execs sh, which execs sshd: the PID we record is sshd's.
  let child: ChildProcess;
  if (PRIVATE_MOUNTS) {
    child = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', setup], { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    // No mount namespaces here (e.g. an unprivileged CI container): plain sshd, no test users, no tmpfs.
    if (opts.users?.length || opts.tmpfs) throw new Error('test users and tmpfs need mount namespaces (unshare -m)');
    if (!existsSync('/run/sshd')) {
      if (process.env.CI !== 'true') throw new Error('sshd needs /run/sshd; it is only created automatically when CI=true');
      mkdirSync('/run/sshd', { mode: 0o755 });
    }
    child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitListening(port, child, () => log);
  const pid = child.pid!;
  return {
    port,
    pid,
    dir,
    hostKeyPub: hostKeyPub.split(' ').slice(0, 2).join(' '),
    log: () => log,
    accepted: () => (log.match(/Accepted publickey/g) ?? []).length,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}

/** A known_hosts line for this sshd. */
export function knownHostsLine(sshd: Sshd): string {
  return `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`;
}
