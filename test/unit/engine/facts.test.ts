import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFacts, parsePorts, parseSwap, versionIn } from '../../../src/tasks/facts/parse.js';
import { gatherFacts } from '../../../src/tasks/facts/gather.js';
import { FACTS_SCRIPT } from '../../../src/tasks/facts/script.js';
import { caCertHash } from '../../../src/tasks/common/cluster.js';
import { RecordingTransport } from '../../../src/transport/recording.js';
import { fakeTask, inventory, Journal, playbook, run } from './fakes.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', `facts-${name}.txt`), 'utf8');

describe('facts parser', () => {
  it("computes the CA hash from the ca.crt the script prints (kubeadm's discovery hash); a broken one gives none", () => {
    const pem = readFileSync(join(import.meta.dirname, '..', 'tasks', 'fixtures', 'ca.crt'), 'utf8');
    const withCa = `${fixture('debian12')}\n@@ks:ca-crt\n${pem}`;
    expect(parseFacts(withCa).cluster.caHash).toBe(caCertHash(pem));
    expect(parseFacts(withCa).cluster.caHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      parseFacts(`${fixture('debian12')}\n@@ks:ca-crt\n-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n`).cluster
        .caHash,
    ).toBeUndefined();
  });

  it('parses a Debian 12 capture (this machine: no swap, cgroup v1 tmpfs, no SELinux)', () => {
    const f = parseFacts(fixture('debian12'));
    expect(f.os).toEqual({ id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', family: 'debian' });
    expect(f.arch).toBe('amd64');
    expect(f.cpus).toBe(2);
    expect(f.memoryMiB).toBe(Math.floor(24684092 / 1024));
    expect(f.cgroupVersion).toBe(1);
    expect(f.swapOn).toBe(false);
    expect(f.selinux).toBe('absent');
    expect(f.productUuid).toBe('');
    expect(f.macs).toEqual(['02:fc:00:00:00:01', '7a:c1:72:f4:1d:22', 'ca:66:fe:15:40:a3']);
    expect(f.versions).toEqual({ kubeadm: '', kubelet: '', kubectl: '1.32.4', containerd: '1.6.20', docker: '28.2.2' });
    expect(f.cluster).toEqual({ member: false });
    expect(f.listeningPorts).toEqual([2024]);
    expect(f.isRoot).toBe(true);
    expect(f.epochSeconds).toBe(1795752109);
  });

  it('parses an Ubuntu 24.04 control plane: swap via swapon --show, cluster member, ss ports', () => {
    const f = parseFacts(fixture('ubuntu2404'));
    expect(f.os).toMatchObject({ id: 'ubuntu', idLike: ['debian'], versionId: '24.04', family: 'debian' });
    expect(f.cgroupVersion).toBe(2);
    expect(f.swapOn).toBe(true); // /proc/swaps is empty, swapon --show is preferred
    expect(f.productUuid).toBe('4c4c4544-0042-3510-8052-b4c04f564433');
    expect(f.macs).toEqual(['bc:24:11:5a:0f:3e', 'f2:4b:8e:11:22:33']);
    expect(f.versions).toEqual({ kubeadm: '1.34.1', kubelet: '1.34.1', kubectl: '1.34.1', containerd: '2.1.4', docker: '' });
    expect(f.cluster).toEqual({
      member: true,
      endpoint: 'https://10.0.0.11:6443',
      caHash: 'sha256:7b1c3e5f0a2d4c6e8f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e',
    });
    expect(f.listeningPorts).toEqual([53, 2379, 2381, 6443, 10248, 10250]);
  });

  it('parses a Rocky 9 arm64 worker: SELinux enforcing, /proc/swaps when swapon is absent, /proc/net/tcp ports, non-root', () => {
    const f = parseFacts(fixture('rocky9'));
    expect(f.os).toMatchObject({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4', family: 'rhel' });
    expect(f.arch).toBe('arm64');
    expect(f.selinux).toBe('enforcing');
    expect(f.swapOn).toBe(true);
    expect(f.hostname).toBe('w1.example.internal');
    expect(f.listeningPorts).toEqual([22, 25]);
    expect(f.isRoot).toBe(false);
    expect(f.versions.kubeadm).toBe('');
  });

  it('survives garbage and missing sections with safe defaults', () => {
    const f = parseFacts('garbage\n@@ks:cpus\nnot-a-number\n@@ks:meminfo\n');
    expect(f.cpus).toBe(0);
    expect(f.memoryMiB).toBe(0);
    expect(f.os.family).toBe('unknown');
    expect(f.listeningPorts).toEqual([]);
    expect(f.swapOn).toBe(false);
  });

  it('small parsers', () => {
    expect(versionIn('Kubernetes v1.34.1')).toBe('1.34.1');
    expect(parseSwap(['NAME TYPE SIZE USED PRIO', 'rc=0'], ['Filename', '/swapfile file 1 0 -2'])).toBe(false);
    expect(parseSwap(['rc=1'], ['Filename Type', '/swapfile file 1 0 -2'])).toBe(true);
    expect(parsePorts(['ss', '0 128 0.0.0.0:22 0.0.0.0:*'])).toEqual([22]);
  });
});

describe('facts.gather task', () => {
  it('runs one command, sets host facts and distro, and answers ok (so plan runs it too)', async () => {
    const out = fixture('rocky9');
    const { result, transports, hosts } = await run(
      [
        gatherFacts,
        fakeTask(new Journal(), { id: 'after', result: (ctx) => ({ status: 'skip', reason: ctx.host.requireDistro().packageManager }) }),
      ],
      playbook([
        'facts',
        [
          { task: 'facts.gather', hosts: 'all' },
          { task: 'after', hosts: 'all' },
        ],
      ]),
      { dryRun: true, connect: async (h) => new RecordingTransport(h.name).expect('@@ks:', { stdout: out }) },
    );
    expect(result.ok).toBe(true);
    expect(hosts.byName('w1')!.facts!.os.id).toBe('rocky');
    expect(hosts.byName('w1')!.distro!.packageManager).toBe('dnf');
    expect(result.recap.hosts.every((h) => h.ok === 1 && h.skipped === 1)).toBe(true);
    expect(transports.size).toBe(0); // our connect() above was used
  });

  it('the script is built from constants only and reads, never writes', () => {
    expect(FACTS_SCRIPT.secrets).toEqual([]);
    const withoutNullRedirects = FACTS_SCRIPT.text.replace(/2?>\/dev\/null|2>&1/g, '');
    expect(withoutNullRedirects).not.toContain('>');
    expect(FACTS_SCRIPT.text).not.toMatch(/\brm\b|\bmv\b|\bswapoff\b|\bsetenforce\b|\bsystemctl\b|\btee\b/);
    expect(FACTS_SCRIPT.text.split('\n').length).toBeLessThan(40);
  });

  it('fails with a hint when the script output is cut short, and on an unsupported OS', async () => {
    const cut = fixture('ubuntu2404').split('@@ks:ports')[0]!;
    const a = await run([gatherFacts], playbook(['f', [{ task: 'facts.gather', hosts: 'first-control-plane' }]]), {
      connect: async (h) => new RecordingTransport(h.name).expect('@@ks:', { stdout: cut, code: 1 }),
    });
    expect(a.result.recap.hosts[0]!.failure!.hint).toMatch(/did not finish/);
    const alpine = fixture('ubuntu2404')
      .replace('ID=ubuntu', 'ID=alpine')
      .replace('ID_LIKE=debian', '')
      .replace('Ubuntu 24.04.1 LTS', 'Alpine Linux v3.20');
    const b = await run([gatherFacts], playbook(['f', [{ task: 'facts.gather', hosts: 'first-control-plane' }]]), {
      connect: async (h) => new RecordingTransport(h.name).expect('@@ks:', { stdout: alpine }),
    });
    expect(b.result.recap.hosts[0]!.failure!.message).toMatch(/unsupported OS "Alpine Linux v3.20".*supports Debian, Ubuntu/);
  });
});

void inventory;
