/**
 * Issue 13 items 7, 8 and 9 on the lab, through kubesmith's real SSH transport (as the sudo user kube):
 * - a remote command dies with its connection: the link cut, or sshd killed with its sessions, during a long command;
 * - the iptables cleanup of reset keeps a rule whose comment holds "-j KUBE-…", so with an INPUT policy of DROP the
 *   SSH session survives;
 * - an apt keyring left empty by a failed download is not accepted: a failing download leaves nothing in place, the
 *   next run fetches a valid key, and a run after that fetches nothing.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { Host } from '../../src/model/host.js';
import { dearmor } from '../../src/tasks/common/openpgp.js';
import { cleanIptables, ruleTarget } from '../../src/tasks/reset/cleanup.js';
import { ConnectionPool, type Transport } from '../../src/transport/index.js';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { until } from './faults-helpers.js';
import { kubesmith, labReady } from './helpers.js';

const NAME = 'e2e-remote-safety';
const KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';
const DOCKER_KEY = '/etc/apt/keyrings/docker.asc';

describe.skipIf(!labReady())('remote safety: commands die with their connection, one iptables cleanup, keyrings by content', () => {
  let lab: Lab;
  let inv: string;
  let pool: ConnectionPool;
  let loaded: Awaited<ReturnType<typeof loadInventory>>;
  const transport = (): Promise<Transport> => pool.get(new Host(loaded.inventory.spec.hosts[0]!));
  /** A new pool: the old one's connection died with the fault. */
  const reconnect = async () => {
    await pool.closeAll();
    pool = new ConnectionPool(loaded.inventory, { inventoryDir: loaded.dir });
  };
  const procs = async (tag: string) => (await lab.exec('n1', `pgrep -af '[s]leep ${tag}' || true`)).stdout.trim();

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'n1' }] });
    inv = join(lab.root, 'inventory.yaml');
    lab.writeInventory(inv, { controlPlanes: ['n1'], workers: [], user: 'kube' });
    loaded = await loadInventory(inv);
    pool = new ConnectionPool(loaded.inventory, { inventoryDir: loaded.dir });
  }, 120_000);

  afterAll(async () => {
    await pool?.closeAll();
    if (lab) await labDown(NAME);
  }, 120_000);

  it.each([
    ['the link is cut', 'cut', 4241],
    ['sshd is killed with its sessions', 'kill', 4242],
  ] as const)(
    'a long command (elevated with sudo) is gone within seconds when %s',
    async (_, fault, tag) => {
      const t = await transport();
      const running = t.exec(['sh', '-c', `sleep ${tag}; echo done`], { timeoutMs: 3_600_000 }).catch((e: unknown) => e);
      await until('the command runs on the host', async () => (await procs(String(tag))) !== '', 30_000);
      expect(await procs(String(tag))).toMatch(/sleep/);
      try {
        if (fault === 'cut') await lab.cutLink('n1');
        else await lab.killSshd('n1');
        await until('the remote command to be killed', async () => (await procs(String(tag))) === '', 60_000, 500).catch(
          async (err: Error) => {
            const ps = await lab.exec('n1', 'ps -eo pid,ppid,stat,args; ls -la /tmp/.kubesmith-keeper-* 2>&1');
            throw new Error(`${err.message}\n${ps.stdout}`);
          },
        );
      } finally {
        if (fault === 'cut') await lab.restoreLink('n1');
        else await lab.startSshd('n1');
      }
      await reconnect(); // the old connection is dead: its command's promise settles
      expect(await running).toBeInstanceOf(Error);
      // the keeper cleaned up after itself, and a new connection works
      await until(
        'no keeper registry left',
        async () => (await lab.exec('n1', 'ls -d /tmp/.kubesmith-keeper-* 2>/dev/null | wc -l')).stdout.trim() === '0',
        60_000,
        500,
      );
      expect((await (await transport()).exec(['echo', 'ok'])).stdout).toBe('ok\n');
    },
    240_000,
  );

  it('commands fed on stdin still work with the keeper (sudo user)', async () => {
    const t = await transport();
    await t.writeFile('/root/ks-stdin-test', 'line one\nline two\n', { mode: '0600' });
    expect(lab.readFile('n1', '/root/ks-stdin-test')).toBe('line one\nline two\n');
    expect((await t.exec(['wc', '-l'], { stdin: 'a\nb\nc\n' })).stdout.trim()).toBe('3');
  });

  it("reset's iptables cleanup keeps a rule whose comment names a Kubernetes chain: with INPUT policy DROP, SSH survives", async () => {
    const keep = `iptables -C INPUT -p tcp --dport 22 -m comment --comment "keep before -j KUBE-FIREWALL" -j ACCEPT`;
    const setup = await lab.exec(
      'n1',
      [
        `iptables -A INPUT -p tcp --dport 22 -m comment --comment "keep before -j KUBE-FIREWALL" -j ACCEPT`,
        'iptables -N KUBE-FIREWALL && iptables -A KUBE-FIREWALL -m comment --comment "kube firewall" -j RETURN && iptables -A INPUT -j KUBE-FIREWALL',
        'iptables -t nat -N KUBE-SERVICES && iptables -t nat -A PREROUTING -j KUBE-SERVICES',
        'iptables -P INPUT DROP',
      ].join(' && '),
    );
    expect(setup.code, setup.stderr).toBe(0);
    try {
      // the real iptables-save line (the sample this cleanup parses) and what the tested code makes of it
      const line = (await lab.exec('n1', 'iptables-save -t filter')).stdout.split('\n').find((l) => l.includes('keep before'))!;
      expect(line).toBe('-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "keep before -j KUBE-FIREWALL" -j ACCEPT');
      expect(ruleTarget(line)).toBe('ACCEPT');

      await cleanIptables(await transport());
      expect((await lab.exec('n1', keep)).code, 'the SSH rule').toBe(0);
      expect((await lab.exec('n1', "iptables-save | grep -v 'keep before' | grep -c KUBE- || true")).stdout.trim()).toBe('0');
      expect((await lab.exec('n1', 'iptables -S INPUT | head -1')).stdout).toBe('-P INPUT DROP\n');
      expect(
        execFileSync('ssh', [...lab.sshArgs('n1'), 'echo ok'])
          .toString()
          .trim(),
      ).toBe('ok');
    } finally {
      await lab.exec('n1', 'iptables -P INPUT ACCEPT');
    }
  }, 120_000);

  it('an apt keyring left empty by a failed download is fetched again; a failing download never lands in place', async () => {
    const playbook = join(lab.root, 'repos.yaml');
    writeFileSync(
      playbook,
      [
        'name: repos',
        'description: package repositories only',
        'phases:',
        '  - phase: Repositories',
        '    steps:',
        '      - { task: facts.gather, hosts: all, critical: true }',
        '      - { task: kubernetes.repo, hosts: all }',
        '      - { task: runtime.repo, hosts: all }',
        '',
      ].join('\n'),
    );
    // what a failed `curl … | gpg --dearmor -o KEYRING` leaves: an empty keyring
    expect((await lab.exec('n1', `mkdir -p /etc/apt/keyrings && : > ${KEYRING} && rm -f ${DOCKER_KEY}`)).code).toBe(0);

    await lab.failNext('n1', 'curl', 1);
    const failed = await kubesmith(['run', '-i', inv, playbook]);
    expect(failed.code, failed.stdout.slice(-2000)).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/curl -fsSL https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.\d+\/deb\/Release\.key/);
    expect(lab.readFile('n1', KEYRING)).toBe(''); // untouched, and still not accepted:
    expect((await lab.exec('n1', 'ls /etc/apt/keyrings')).stdout.split('\n').filter((f) => f.endsWith('.download'))).toEqual([]);

    const fixed = await kubesmith(['run', '-i', inv, playbook]);
    expect(fixed.code, fixed.stdout.slice(-3000)).toBe(0);
    const key = (await lab.exec('n1', `base64 -w0 ${KEYRING}`)).stdout;
    const served = dearmor(
      execFileSync('cat', [join(import.meta.dirname, '..', 'lab', 'emulators', 'keys', 'lab-repo-key.asc')]).toString(),
    )!;
    expect(Buffer.from(key, 'base64')).toEqual(served); // the key the (lab's) publisher serves, dearmored
    expect(lab.readFile('n1', DOCKER_KEY)).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');

    const journal = lab.journal('n1').length;
    const again = await kubesmith(['run', '-i', inv, playbook]);
    expect(again.code).toBe(0);
    expect(
      lab
        .journal('n1')
        .slice(journal)
        .filter((l) => / curl /.test(l)),
    ).toEqual([]);
  }, 300_000);
});
