/**
 * Every parser of kubesmith on the real outputs of test/fixtures/real (one test per parser per sample).
 * Where a parser is a shell fragment (sed/awk over a tool's output), the fragment itself runs here on the sample,
 * with the tool replaced by a stub that prints the recorded text.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  initialClusterFromMemberAdd, offlineTool, parseEndpointHealth, parseEndpointStatus, parseEtcdVersion, parseMemberList, parseSnapshotStatus,
} from '../../../src/etcd/index.js';
import { parseFacts, parseOsRelease, parsePorts, parseSwap, parseSelinux, versionIn } from '../../../src/tasks/facts/parse.js';
import { SECTION_MARK } from '../../../src/tasks/facts/script.js';
import { parseContainerdVersion } from '../../../src/tasks/runtime/containerd-configure.js';
import { debianDistro, detectDistro, osFamily, rhelDistro } from '../../../src/distro/index.js';
import { commandText } from '../../../src/transport/command.js';
import { isEnabled, unitStateOf } from '../../../src/tasks/common/services.js';
import { firewalld, ufw } from '../../../src/tasks/hostprep/firewall-tools.js';
import { parseCrictlPs, runningIds } from '../../../src/certs/crictl.js';
import { certFacts, parseSubjectAltName, publicKeyFingerprintOfPem } from '../../../src/certs/x509.js';
import { heldTags, canonicalRef } from '../../../src/tasks/cni/images.js';
import { entryMatches, fingerprint, keyTypeOf, parseKnownHosts } from '../../../src/transport/known-hosts.js';
import { chainCleanup, iptablesCleanupScript, leftoversProbe, parseLeftovers } from '../../../src/tasks/reset/cleanup.js';
import { listImages } from '../../../src/tasks/offline/runtime-images.js';
import { parseNodeList } from '../../../src/ui/summary.js';
import { parseNodes } from '../../../src/tasks/common/cluster.js';
import type { Transport } from '../../../src/transport/types.js';
import { hostprepSwap } from '../../../src/tasks/hostprep/swap.js';
import { hostprepModules } from '../../../src/tasks/hostprep/modules.js';
import { hostprepSysctl } from '../../../src/tasks/hostprep/sysctl.js';
import { expectReadOnly, harness } from '../tasks/helpers/context.js';
import { makeInventory } from '../tasks/helpers/inventory.js';
import { recoverPki } from '../../../src/tasks/recover/steps.js';
import { resetDrain } from '../../../src/tasks/reset/drain.js';
import { remoteSums } from '../../../src/tasks/offline/upload.js';
import { lines, real, realResult } from './real.js';

describe('etcdctl 3.4.23 (recorded)', () => {
  // The table output prints the same ids in hex: the parsed JSON ids must match it digit for digit.
  const tableIds = lines(real('etcdctl', 'member-list.table.txt')).map((l) => l.split(', ')[0]);

  it('member list -w json: the uint64 id keeps every digit (as the table prints it)', () => {
    const members = parseMemberList(real('etcdctl', 'member-list.json'));
    expect(members).toEqual([{ id: 'bdae9bbc11dd390d', name: 'fx1', peerURLs: ['http://127.0.0.1:23801'], clientURLs: ['http://127.0.0.1:23791'], started: true, isLearner: false }]);
    expect(tableIds).toContain(members[0]!.id);
  });

  it('member list -w json with an unstarted learner: no name, no client URLs, isLearner', () => {
    const members = parseMemberList(real('etcdctl', 'member-list-unstarted-learner.json'));
    expect(members.map((m) => [m.id, m.started, m.isLearner])).toEqual([
      ['179938d1dcbb64ef', false, true],
      ['bdae9bbc11dd390d', true, false],
    ]);
    expect(members.map((m) => m.id).sort()).toEqual([...tableIds].sort());
    expect(real('etcdctl', 'member-remove.txt')).toContain(members[0]!.id);
  });

  it('endpoint status -w json: member, leader, version, sizes, revision', () => {
    expect(parseEndpointStatus(real('etcdctl', 'endpoint-status.json'))).toEqual([
      { endpoint: 'http://127.0.0.1:23791', memberId: 'bdae9bbc11dd390d', leaderId: 'bdae9bbc11dd390d', isLeader: true, version: '3.4.23', dbSize: 20480, dbSizeInUse: 16384, revision: 4, raftTerm: 2 },
    ]);
  });

  it('endpoint health -w json: healthy, and one endpoint down (exit 1, JSON still printed)', () => {
    expect(parseEndpointHealth(real('etcdctl', 'endpoint-health.json'))).toEqual([{ endpoint: 'http://127.0.0.1:23791', health: true, took: expect.stringMatching(/ms$/) }]);
    const down = realResult('etcdctl', 'endpoint-health-one-down.json');
    expect(down.code).toBe(1);
    expect(parseEndpointHealth(down.stdout).map((h) => [h.endpoint, h.health, h.error ?? ''])).toEqual([
      ['http://127.0.0.1:23791', true, ''],
      ['http://127.0.0.1:23799', false, 'context deadline exceeded'],
    ]);
  });

  it('snapshot status -w json: hash, revision, keys, size', () => {
    expect(parseSnapshotStatus(real('etcdctl', 'snapshot-status.json'))).toEqual({ hash: 2808713399, revision: 4, totalKey: 8, totalSize: 20480 });
  });

  it('snapshot save prints log lines but no status: parseSnapshotStatus refuses it', () => {
    expect(() => parseSnapshotStatus(real('etcdctl', 'snapshot-save.txt'))).toThrow(/no snapshot status/);
  });

  it('member add: the initial cluster line', () => {
    expect(initialClusterFromMemberAdd(real('etcdctl', 'member-add-learner.txt'))).toBe('fx2=http://127.0.0.1:23802,fx1=http://127.0.0.1:23801');
  });

  it('etcdctl version / etcd --version', () => {
    expect(parseEtcdVersion(lines(real('etcdctl', 'version.txt'))[0]!)).toEqual({ major: 3, minor: 4, patch: 23 });
    expect(parseEtcdVersion(real('etcdctl', 'etcd-version.txt'))).toEqual({ major: 3, minor: 4, patch: 23 });
  });

  it('get --prefix --keys-only: keys separated by empty lines, counted as keys', () => {
    // snapshot.ts countWorkloads counts the non-empty lines of this output
    expect(lines(real('etcdctl', 'get-prefix-keys-only.txt'))).toEqual(['/registry/deployments/default/web', '/registry/namespaces/default', '/registry/pods/default/web']);
  });
});

describe('os-release (Debian 12 recorded; Ubuntu 24.04, Rocky 9 quoted)', () => {
  const cases = [
    ['debian12.txt', { ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' }, 'debian'],
    ['ubuntu2404.txt', { ID: 'ubuntu', ID_LIKE: 'debian', VERSION_ID: '24.04', PRETTY_NAME: 'Ubuntu 24.04.2 LTS' }, 'debian'],
    ['rocky9.txt', { ID: 'rocky', ID_LIKE: 'rhel centos fedora', VERSION_ID: '9.7', PRETTY_NAME: 'Rocky Linux 9.7 (Blue Onyx)' }, 'rhel'],
  ] as const;
  for (const [file, fields, family] of cases) {
    it(`${file}: fields unquoted, family ${family}, a distro strategy`, () => {
      const osr = parseOsRelease(real('os-release', file).split('\n'));
      expect(osr).toMatchObject(fields);
      const idLike = (osr.ID_LIKE ?? '').split(/\s+/).filter(Boolean);
      expect(osFamily(osr.ID!, idLike)).toBe(family);
      expect(detectDistro({ id: osr.ID!, idLike, versionId: osr.VERSION_ID!, prettyName: osr.PRETTY_NAME!, family }).family).toBe(family);
    });
  }
});

/** The facts script's output as a host would print it, from real section bodies. */
function factsOutput(sections: Record<string, string>): string {
  return Object.entries(sections).map(([name, body]) => `\n${SECTION_MARK}${name}\n${body}`).join('') + `\n${SECTION_MARK}end\n`;
}

describe('facts: version lines of the real tools', () => {
  const line = (tool: string, text: string) => `${tool} ${text.trim().split('\n')[0]}`;
  it('containerd 1.6 (Debian), kubectl client, docker: the x.y.z of each', () => {
    const f = parseFacts(factsOutput({
      'os-release': real('os-release', 'debian12.txt'),
      versions: [line('containerd', real('containerd', 'version.txt')), line('kubectl', real('kubectl', 'version-client.txt')), line('docker', real('docker', 'version.txt'))].join('\n'),
    }));
    expect(f.versions).toMatchObject({ containerd: '1.6.20', kubectl: '1.32.4', docker: '28.2.2' });
    expect(f.os).toMatchObject({ id: 'debian', family: 'debian', versionId: '12' });
  });
  it('containerd 2.2.1 ("…/containerd/v2 v2.2.1 <sha>"), kubeadm -o short, kubelet --version, kubectl 1.33', () => {
    const f = parseFacts(factsOutput({
      'os-release': real('os-release', 'ubuntu2404.txt'),
      versions: [line('containerd', real('containerd', 'version-2.2.1.txt')), line('kubeadm', real('kubeadm', 'version-o-short.txt')),
        line('kubelet', real('kubelet', 'version.txt')), line('kubectl', real('kubectl', 'version-1.33.8.txt'))].join('\n'),
    }));
    expect(f.versions).toMatchObject({ containerd: '2.2.1', kubeadm: '1.34.1', kubelet: '1.34.1', kubectl: '1.33.8' });
  });
  it('versionIn on each raw version text', () => {
    expect(versionIn(real('kubelet', 'version.txt'))).toBe('1.34.1');
    expect(versionIn(real('docker', 'version.txt'))).toBe('28.2.2');
  });
});

describe('facts: swap, ports, SELinux', () => {
  const rc0 = (text: string) => [...lines(text), 'rc=0'];
  it('swapon --show: none active (empty output) / /swap.img active', () => {
    expect(parseSwap(rc0(real('swapon', 'show-none.txt')), lines(real('proc', 'swaps-none.txt')))).toBe(false);
    expect(parseSwap(rc0(real('swapon', 'show.txt')), undefined)).toBe(true);
  });
  it('/proc/swaps when swapon is absent: header only / one swap file', () => {
    expect(parseSwap(['absent'], lines(real('proc', 'swaps-none.txt')))).toBe(false);
    expect(parseSwap(['absent'], lines(real('proc', 'swaps.txt')))).toBe(true);
  });
  it('ss -Htln: IPv4 and IPv6 listeners', () => {
    expect(parsePorts(['ss', ...lines(real('ss', 'Htln.txt'))])).toEqual([22, 2379, 6443, 10248, 10257]);
  });
  it('/proc/net/tcp and tcp6 of the same listeners give the same ports', () => {
    expect(parsePorts(['proc', ...lines(real('proc', 'net-tcp.txt')), ...lines(real('proc', 'net-tcp6.txt'))])).toEqual([22, 2379, 6443, 10248, 10257]);
  });
  it('getenforce: Enforcing (Rocky) / Disabled (the real selinux-utils on a machine without SELinux)', () => {
    expect(parseSelinux(lines(real('getenforce', 'enforcing.txt')))).toBe('enforcing');
    expect(parseSelinux(lines(real('getenforce', 'disabled.txt')))).toBe('disabled');
  });
});

describe('containerd --version', () => {
  it('Debian 1.6.20~ds1 and upstream 2.2.1', () => {
    expect(parseContainerdVersion(real('containerd', 'version.txt'))).toBe('1.6.20');
    expect(parseContainerdVersion(real('containerd', 'version-2.2.1.txt'))).toBe('2.2.1');
  });
});

/** Run a shell text locally with PATH starting at `bin` (stubs), read-only. */
function runSh(text: string, bin: string, input?: string): string {
  return execFileSync('sh', ['-c', text], { encoding: 'utf8', input, env: { PATH: `${bin}:/usr/bin:/bin`, LC_ALL: 'C' } });
}

function stubDir(stubs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fx-stubs-'));
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('dpkg-query 1.21.22 (recorded)', () => {
  const deb = debianDistro('Debian 12');
  it('package states: installed, held, deinstall-selected; absent ones are not listed', () => {
    const states = deb.parsePackageStates(real('dpkg-query', 'package-states.txt'));
    expect([...states.entries()]).toEqual([
      ['containerd', { version: '1.6.20~ds1-1+deb12u3', held: false }],
      ['openssl', { version: '3.0.19-1~deb12u2', held: true }],
    ]);
    // "deinstall ok installed" (selected for removal) counts as not installed: apt-get install re-selects it.
    expect(states.has('etcd-client')).toBe(false);
    expect(states.has('kubelet')).toBe(false);
  });
  it('installedVersion: its sed, run on the real dpkg-query output, gives the version (held or not)', () => {
    const bin = stubDir({ 'dpkg-query': `cat ${JSON.stringify(join(import.meta.dirname, '../../fixtures/real/dpkg-query'))}/"$FX_FILE"` });
    try {
      const text = commandText(deb.installedVersion('openssl'));
      expect(runSh(`FX_FILE=installed-version-held.txt; export FX_FILE; ${text}`, bin).trim()).toBe('3.0.19-1~deb12u2');
      expect(runSh(`FX_FILE=installed-version.txt; export FX_FILE; ${text}`, bin).trim()).toBe('1.6.20~ds1-1+deb12u3');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('rpm 4.18 (recorded)', () => {
  it('package states: installed ones; "package X is not installed" lines are ignored', () => {
    const states = rhelDistro('Rocky Linux 9', 'dnf').parsePackageStates(real('rpm', 'package-states.txt'));
    expect([...states.entries()]).toEqual([
      ['kubelet', { version: '1.34.1-150500.1.1', held: false }],
      ['kubeadm', { version: '1.34.1-150500.1.1', held: false }],
      ['containerd.io', { version: '1.7.27-3.1.el9', held: false }],
    ]);
  });
});

describe('systemctl (systemd 252)', () => {
  const cases = [['enabled', true], ['static', true], ['disabled', false], ['masked', false], ['not-found', false]] as const;
  for (const [state, expected] of cases) {
    it(`is-enabled ${state} → ${expected}`, () => {
      expect(isEnabled(realResult('systemctl', `is-enabled-${state}.txt`))).toBe(expected);
    });
  }
  it('is-active active / inactive / failed', () => {
    const enabled = realResult('systemctl', 'is-enabled-enabled.txt');
    expect(unitStateOf(enabled, realResult('systemctl', 'is-active-active.txt'))).toEqual({ enabled: true, active: true });
    expect(unitStateOf(enabled, realResult('systemctl', 'is-active-inactive.txt')).active).toBe(false);
    expect(unitStateOf(enabled, realResult('systemctl', 'is-active-failed.txt')).active).toBe(false);
  });
});

describe('firewalls', () => {
  it('ufw status (active): v4 rules as port/proto, ranges a:b → a-b; v6 rows add nothing', () => {
    const r = realResult('ufw', 'status-active.txt');
    expect(ufw.isActive(r)).toBe(true);
    expect([...ufw.openRules(r)].sort()).toEqual(['10250/tcp', '22/tcp', '2379-2380/tcp', '6443/tcp']);
  });
  it('ufw status (inactive)', () => {
    expect(ufw.isActive(realResult('ufw', 'status-inactive.txt'))).toBe(false);
  });
  it('firewall-cmd --list-ports', () => {
    expect([...firewalld.openRules(realResult('firewall-cmd', 'list-ports.txt'))]).toEqual(['6443/tcp', '2379-2380/tcp', '10250/tcp', '10259/tcp', '10257/tcp']);
  });
});

describe('crictl (cri-tools 1.34 layout)', () => {
  it('ps: the four static pods running, by name', () => {
    const containers = parseCrictlPs(real('crictl', 'ps.txt'));
    expect(containers.map((c) => [c.name, c.state])).toEqual([
      ['kube-apiserver', 'Running'], ['kube-controller-manager', 'Running'], ['etcd', 'Running'], ['kube-scheduler', 'Running'],
    ]);
    const ids = runningIds(containers, ['kube-apiserver', 'etcd', 'kube-vip']);
    expect([...ids.get('kube-apiserver')!]).toEqual(['6f1b2a9c0d3e4']);
    expect(ids.get('kube-vip')!.size).toBe(0);
  });
  it('ps: the older 7-column layout of the cri-tools docs', () => {
    expect(parseCrictlPs(real('crictl', 'ps-docs.txt'))).toEqual([{ id: 'b25b4f26e3429', name: 'busybox', state: 'Running' }]);
  });
  it('images -o json: every tag, canonical', () => {
    const tags = heldTags(real('crictl', 'images-o-json.json'));
    expect(tags && [...tags].sort()).toEqual([
      '10.199.0.1:5000/flannel/flannel-cni-plugin:v1.7.1-flannel1',
      'docker.io/flannel/flannel-cni-plugin:v1.7.1-flannel1',
      'ghcr.io/flannel-io/flannel:v0.26.7',
      'registry.k8s.io/pause:3.10',
    ]);
    expect(tags!.has(canonicalRef('flannel/flannel-cni-plugin:v1.7.1-flannel1'))).toBe(true);
  });
});

describe('ctr 1.6.20 (recorded)', () => {
  const transport = (file: string) => ({ host: 'n1', exec: async () => realResult('ctr', file) }) as unknown as Transport;
  it('images ls: name → digest (tabwriter columns, trailing spaces)', async () => {
    const images = await listImages(transport('images-ls.txt'), 'containerd');
    expect([...images.entries()].sort()).toEqual([
      ['docker.io/flannel/flannel:v0.26.7', 'sha256:e7187899f22316759cad9426dd36ebb98f8d836dae1f05216e5e01556a57dc5b'],
      ['registry.k8s.io/pause:3.10', 'sha256:ae704daf8246469448c895ce55e5db0b92459a5c1e092ea4a66fcb646e604456'],
    ]);
  });
  it('images ls: a retagged image and a multi-platform index', async () => {
    const images = await listImages(transport('images-ls-index.txt'), 'containerd');
    expect(images.get('10.199.0.1:5000/pause:3.10')).toBe(images.get('registry.k8s.io/pause:3.10'));
    expect(images.get('quay.io/cilium/cilium:v1.17.4')).toBe('sha256:5cc62380472915ec3c4c0d17e57949a9a4edecb1f4655d7724df7da992f237c0');
  });
  it('images ls with no image: header only, empty map', async () => {
    expect((await listImages(transport('images-ls-empty.txt'), 'containerd')).size).toBe(0);
  });
});

describe('kubectl get nodes -o json (v1.34 API shape)', () => {
  const json = real('kubectl', 'get-nodes-o-json.json');
  it('summary: roles, kubelet version, Ready, runtime', () => {
    expect(parseNodeList(json)).toEqual({
      nodes: [
        { name: 'cp1', roles: ['control-plane'], kubeletVersion: 'v1.34.1', ready: true },
        { name: 'w1', roles: [], kubeletVersion: 'v1.34.1', ready: false },
      ],
      runtimeVersion: 'containerd://2.1.4',
    });
  });
  it('cluster nodes: the Ready condition reason and message', () => {
    const nodes = parseNodes(json);
    expect(nodes[0]).toEqual({ name: 'cp1', ready: true, detail: 'KubeletReady: kubelet is posting ready status', roles: ['control-plane'], version: 'v1.34.1' });
    expect(nodes[1]!.detail).toMatch(/^KubeletNotReady: container runtime network not ready/);
  });
});

describe('helm list -o json', () => {
  it('the fields cni.cilium reads are strings on each release; no release is []', () => {
    const [release] = JSON.parse(real('helm', 'list-o-json.json')) as Record<string, unknown>[];
    expect(release).toMatchObject({ name: 'cilium', chart: 'cilium-1.17.4', status: 'deployed' });
    expect(JSON.parse(real('helm', 'list-o-json-empty.json'))).toEqual([]);
  });
});

describe('openssl 3.0.19 (recorded)', () => {
  const pem = real('openssl', 'apiserver.crt');
  it('certFacts: the fingerprints openssl prints', () => {
    const facts = certFacts(pem);
    const opensslFingerprint = real('openssl', 'apiserver.crt.fingerprint.txt').split('=')[1]!.trim().replace(/:/g, '').toLowerCase();
    expect(facts.fingerprint).toBe(opensslFingerprint);
    expect(facts.publicKeyFingerprint).toBe(real('openssl', 'apiserver.crt.pubkey-der.sha256.txt').split(/\s+/)[0]);
    expect(facts.serial).toBe(real('openssl', 'apiserver.crt.fields.txt').match(/^serial=(\S+)/)![1]);
  });
  it('SANs: DNS names and IPs, IPv6 compressed (openssl prints FD00:0:0:0:0:0:0:1)', () => {
    expect(certFacts(pem)).toMatchObject({ dnsNames: ['cp1', 'kubernetes', 'kubernetes.default.svc.cluster.local'], ips: ['10.96.0.1', '10.199.0.11', 'fd00::1', '2001:db8::a'] });
    const opensslSan = lines(real('openssl', 'apiserver.crt.san.txt'))[1]!.trim();
    expect(parseSubjectAltName(opensslSan).ips).toEqual(['10.96.0.1', '10.199.0.11', 'fd00::1', '2001:db8::a']);
  });
  it('the DER the collector gets from `openssl pkey -pubout -outform DER` matches the fingerprint of the public key', () => {
    const der = Buffer.from(real('openssl', 'sa.key.pubout-der.b64'), 'base64');
    expect(real('openssl', 'sa.pub.der.b64')).toBe(real('openssl', 'sa.key.pubout-der.b64'));
    expect(publicKeyFingerprintOfPem(real('openssl', 'sa.pub'))).toBe(createHash('sha256').update(der).digest('hex'));
  });
});

describe('ssh-keyscan / OpenSSH 9.2 (recorded)', () => {
  const entries = parseKnownHosts(real('ssh-keyscan', 'keyscan-port.txt'));
  const sshKeygen = new Map(lines(real('ssh-keyscan', 'host-key-fingerprints.txt')).map((l) => [l.match(/\((\w+)\)$/)![1]!, l.split(' ')[1]!]));
  it('three host keys for [127.0.0.1]:22741, each matching host and port', () => {
    expect(entries.map((e) => e.keyType)).toEqual(['ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-ed25519']);
    for (const e of entries) {
      expect(entryMatches(e, '127.0.0.1', 22741)).toBe(true);
      expect(entryMatches(e, '127.0.0.1', 22)).toBe(false);
    }
  });
  it('fingerprint and key type of each blob are what ssh-keygen -l prints', () => {
    const byType: Record<string, string> = { 'ssh-rsa': 'RSA', 'ecdsa-sha2-nistp256': 'ECDSA', 'ssh-ed25519': 'ED25519' };
    for (const e of entries) {
      const blob = Buffer.from(e.key, 'base64');
      expect(keyTypeOf(blob)).toBe(e.keyType);
      expect(fingerprint(blob)).toBe(sshKeygen.get(byType[e.keyType]!));
    }
  });
  it('a hashed (-H) entry matches its host and port only', () => {
    const [hashed] = parseKnownHosts(real('ssh-keyscan', 'keyscan-hashed-ed25519.txt'));
    expect(hashed!.patterns).toMatch(/^\|1\|/);
    expect(entryMatches(hashed!, '127.0.0.1', 22741)).toBe(true);
    expect(entryMatches(hashed!, '127.0.0.2', 22741)).toBe(false);
    expect(hashed!.key).toBe(entries[2]!.key);
  });
});

describe('reset leftovers: iptables-save 1.8.9 and ip -o link (recorded in a netns)', () => {
  const dir = join(import.meta.dirname, '../../fixtures/real');
  // iptables-save -t TABLE prints that table's recorded dump; ip6tables-save an empty filter table.
  const stubs = {
    'iptables-save': `case "$2" in nat) cat ${dir}/iptables-save/kube-chains-nat.txt;; filter) cat ${dir}/iptables-save/kube-chains-filter.txt;; *) cat ${dir}/iptables-save/empty-raw.txt;; esac`,
    'ip6tables-save': `case "$2" in filter) cat ${dir}/iptables-save/ip6-empty-filter.txt;; *) :;; esac`,
    ip: `cat ${dir}/ip/link-show-o.txt`,
    'iptables-restore': `cat >> "$FX_OUT/iptables"`,
    'ip6tables-restore': `cat >> "$FX_OUT/ip6tables"`,
  };

  it('chainCleanup on the nat and filter dumps: jumps deleted, Kubernetes chains flushed and removed', () => {
    expect(chainCleanup('nat', real('iptables-save', 'kube-chains-nat.txt'))).toBe([
      '*nat',
      '-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-D OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-D POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      '-D POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
      '-F FLANNEL-POSTRTG', '-F KUBE-POSTROUTING', '-F KUBE-SERVICES', '-F KUBE-SVC-NPX46M4PTMTKRN6Y',
      '-X FLANNEL-POSTRTG', '-X KUBE-POSTROUTING', '-X KUBE-SERVICES', '-X KUBE-SVC-NPX46M4PTMTKRN6Y',
      'COMMIT', '',
    ].join('\n'));
    const filter = chainCleanup('filter', real('iptables-save', 'kube-chains-filter.txt'))!;
    expect(filter).toContain('-D INPUT -j KUBE-FIREWALL\n');
    expect(filter).toContain('-D INPUT -m comment --comment "cilium-feeder: CILIUM_INPUT" -j CILIUM_INPUT\n');
    expect(filter).not.toMatch(/^-[DFX] .*--dport 22/m);
    expect(filter).not.toMatch(/^-[FX] (INPUT|FORWARD|OUTPUT)$/m);
  });

  it('chainCleanup on tables without Kubernetes chains: nothing', () => {
    expect(chainCleanup('filter', real('iptables-save', 'empty-filter.txt'))).toBeUndefined();
    expect(chainCleanup('raw', real('iptables-save', 'empty-raw.txt'))).toBeUndefined();
  });

  it('the host-side awk of iptablesCleanupScript builds the same restore input as chainCleanup', () => {
    const bin = stubDir(stubs);
    const out = mkdtempSync(join(tmpdir(), 'fx-out-'));
    try {
      runSh(`FX_OUT=${out}; export FX_OUT; ${commandText(iptablesCleanupScript())}`, bin);
      const restored = execFileSync('cat', [join(out, 'iptables')], { encoding: 'utf8' });
      const expected = ['nat', 'filter'].map((t) => chainCleanup(t, real('iptables-save', `kube-chains-${t}.txt`))).join('');
      expect(restored.split('\n').filter(Boolean).sort()).toEqual(expected.split('\n').filter(Boolean).sort());
      expect(restored.match(/^\*\w+$/gm)).toEqual(['*filter', '*nat']);
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('leftoversProbe (sed over iptables-save, awk over ip -o link) → parseLeftovers: the chains and CNI links', () => {
    const bin = stubDir(stubs);
    try {
      const probe = runSh(commandText(leftoversProbe([])), bin);
      const l = parseLeftovers(probe.split('\n').filter((x) => /^(chain|link) /.test(x)).join('\n'));
      expect(l.links).toEqual(['cni0', 'flannel.1', 'cilium_net', 'cilium_host']);
      expect(l.chains.filter((c) => c.table === 'nat').map((c) => c.chain)).toEqual(['FLANNEL-POSTRTG', 'KUBE-POSTROUTING', 'KUBE-SERVICES', 'KUBE-SVC-NPX46M4PTMTKRN6Y']);
      expect(l.chains.filter((c) => c.table === 'filter').map((c) => c.chain)).toEqual(['CILIUM_INPUT', 'FLANNEL-FWD', 'KUBE-FIREWALL']);
      expect(l.chains.every((c) => c.tool === 'iptables')).toBe(true);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('host-prep checks on real outputs (swapon, systemctl list-unit-files, lsmod, sysctl -n)', () => {
  it('hostprep.swap: swapon --show=NAME and list-unit-files --plain → swapoff, and mask every swap unit not already masked', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('swapon --show=NAME --noheadings', () => realResult('swapon', 'show-name-noheadings.txt'))
      .allow('systemctl list-unit-files --type=swap --no-legend --plain', () => realResult('systemctl', 'list-unit-files-swap.txt'));
    const check = await hostprepSwap.check(h.ctx('cp1'));
    expectReadOnly(t);
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual(['turn swap off now: /swap.img', 'mask dev-sda2.swap', 'mask swap.img.swap']);
  });
  it('hostprep.swap: no swap active (swapon prints nothing at all)', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('swapon --show=NAME --noheadings', () => realResult('swapon', 'show-name-noheadings-none.txt'))
      .allow('systemctl list-unit-files --type=swap --no-legend --plain', () => ({ code: 1, stdout: '' }));
    expect(await hostprepSwap.check(h.ctx('cp1'))).toEqual({ status: 'ok' });
  });
  it('hostprep.modules: lsmod with br_netfilter and overlay loaded → nothing to load (the file is written)', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('lsmod', () => realResult('lsmod', 'lsmod.txt'));
    const check = await hostprepModules.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes.map((c) => c.summary)).toEqual(['create /etc/modules-load.d/k8s.conf']);
  });
  it('hostprep.sysctl: sysctl -n values with their newline; ip_forward 0 differs, bridge-nf-call-iptables 1 matches', async () => {
    const h = harness(makeInventory());
    const t = h.t('cp1');
    t.allow('sysctl -n net.ipv4.ip_forward', () => realResult('sysctl', 'n-ip_forward.txt'))
      .allow(/^sysctl -n net\.bridge\.bridge-nf-call-ip6?tables$/, () => realResult('sysctl', 'n-bridge-nf-call-iptables.txt'));
    const check = await hostprepSysctl.check(h.ctx('cp1'));
    const apply = check.status === 'change' ? check.changes.map((c) => c.summary).find((s) => s.startsWith('apply sysctl')) : '';
    expect(apply).toBe('apply sysctl settings: net.ipv4.ip_forward=1');
  });
});

describe('docker images --format and tar -tzf', () => {
  it('listImages(docker): names from {{.Repository}}:{{.Tag}}, <none> skipped', async () => {
    const t = { host: 'n1', exec: async () => realResult('docker', 'images-format-repo-tag.txt') } as unknown as Transport;
    expect([...(await listImages(t, 'docker')).keys()].sort()).toEqual(['registry.k8s.io/kube-apiserver:v1.34.1', 'registry.k8s.io/pause:3.10']);
  });
  it('recover.pki reads the GNU tar 1.34 listing of the backup: the PKI files it holds are compared and restored', async () => {
    const h = harness(makeInventory());
    h.run.set('recover.id', 'r1');
    const t = h.t('cp1');
    t.allow(/^test -e \S+\/r1\/\S+\.tgz$/, () => ({ code: 0 }))
      .allow(/^tar -tzf /, () => realResult('tar', 'tzf-etc-kubernetes.txt'))
      .allow(/^sh -c /, () => ({ code: 1 }));
    const check = await recoverPki.check(h.ctx('cp1'));
    expect(check.status === 'change' && check.changes[0]!.summary).toBe(
      `restore ${['pki/ca.crt', 'pki/ca.key', 'pki/sa.key', 'pki/sa.pub', 'pki/etcd/ca.crt', 'kubesmith/kubeadm-init.yaml'].map((f) => `/etc/kubernetes/${f}`).join(', ')} from ${t.commands.find((c) => c.startsWith('tar -tzf '))!.slice(9)}`,
    );
  });
});

describe('etcd 3.6 (derived from the v3.6 source: what kubeadm 1.34 runs)', () => {
  it('endpoint status -w json with the 3.6 fields (storageVersion, dbSizeQuota, downgradeInfo)', () => {
    expect(parseEndpointStatus(real('etcd-3.6', 'endpoint-status.json'))).toEqual([
      { endpoint: 'https://127.0.0.1:2379', memberId: '8e9e05c52164694d', leaderId: '8e9e05c52164694d', isLeader: true, version: '3.6.4', dbSize: 2170880, dbSizeInUse: 1859584, revision: 512, raftTerm: 2 },
    ]);
  });
  it('member list -w json: three members, ids above 2^53 kept exactly, an unstarted learner', () => {
    expect(parseMemberList(real('etcd-3.6', 'member-list.json')).map((m) => [m.id, m.name, m.started, m.isLearner])).toEqual([
      ['8e9e05c52164694d', 'cp1', true, false],
      [BigInt('12695958093183125549').toString(16), 'cp2', true, false],
      [BigInt('4127286537410208215').toString(16), '', false, true],
    ]);
  });
  it('endpoint health -w json', () => {
    expect(parseEndpointHealth(real('etcd-3.6', 'endpoint-health.json'))).toEqual([{ endpoint: 'https://127.0.0.1:2379', health: true, took: '1.911024ms' }]);
  });
  it('etcdutl snapshot status -w json (with the 3.6 "version" field)', () => {
    expect(parseSnapshotStatus(real('etcd-3.6', 'snapshot-status-etcdutl.json'))).toEqual({ hash: 3722475617, revision: 512, totalKey: 1045, totalSize: 2170880 });
  });
  it('etcdutl / etcdctl version: 3.6 → etcdutl for status and restore, etcdctl alone is not enough', () => {
    const utl = parseEtcdVersion(lines(real('etcd-3.6', 'etcdutl-version.txt'))[0]!)!;
    const ctl = parseEtcdVersion(lines(real('etcd-3.6', 'etcdctl-version.txt'))[0]!)!;
    expect(utl).toEqual({ major: 3, minor: 6, patch: 4 });
    expect(offlineTool({ etcdctl: ctl })).toBeUndefined();
    expect(offlineTool({ etcdctl: ctl, etcdutl: utl, etcdutlBumpRevision: true })).toEqual({ tool: 'etcdutl', bumpRevision: true });
  });
});

describe('sha256sum (GNU coreutils 9.1)', () => {
  it('offline upload: the sums of the files that exist, by path (a missing one prints nothing on stdout)', async () => {
    const t = { host: 'n1', exec: async () => realResult('sha256sum', 'two-paths.txt') } as unknown as Transport;
    expect([...(await remoteSums(t, ['/tmp/fx-sum', '/tmp/fx-missing'])).entries()]).toEqual([
      ['/tmp/fx-sum', createHash('sha256').update('hello\n').digest('hex')],
    ]);
  });
});

describe('facts.gather: the whole facts script run on a real Debian 12 machine', () => {
  it('every section parsed: OS, arch, CPUs, memory, cgroup, swap, SELinux, MACs, versions, ports, root', () => {
    const f = parseFacts(real('facts-script', 'debian12-machine.txt'));
    expect(f).toMatchObject({
      os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', family: 'debian' },
      arch: 'amd64', hostname: 'vm', kernel: '6.18.44-fc-v1272', cpus: 2, memoryMiB: 24105, cgroupVersion: 1,
      swapOn: false, selinux: 'absent', machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4', productUuid: '',
      versions: { kubeadm: '', kubelet: '', kubectl: '1.32.4', containerd: '1.6.20', docker: '28.2.2' },
      cluster: { member: false }, listeningPorts: [2024, 44143], isRoot: true,
    });
    expect(f.macs[0]).toBe('02:fc:00:00:00:01');
    expect(f.epochSeconds).toBeGreaterThan(1_700_000_000);
  });
});

describe('reset.drain on real kubectl errors (kubectl 1.32 against a loopback API)', () => {
  const h = () => {
    const x = harness(makeInventory());
    x.t('cp1').allow('test -e /etc/kubernetes/admin.conf', () => ({ code: 0 }));
    return x;
  };
  const stderrOf = (file: string) => ({ ...realResult('kubectl', file.replace('.stderr', '.txt')), stderr: real('kubectl', file) });
  it('the node exists: cordon, drain, delete', async () => {
    const x = h();
    x.t('cp1').allow(/get node w1 -o name$/, () => realResult('kubectl', 'get-node-o-name.txt'));
    const check = await resetDrain.check(x.ctx('w1'));
    expect(check.status === 'change' && check.changes[0]!.summary).toMatch(/^cordon, drain and delete node w1/);
  });
  it('"Error from server (NotFound)": nothing to drain', async () => {
    const x = h();
    x.t('cp1').allow(/get node w1 -o name$/, () => stderrOf('get-node-not-found.stderr'));
    expect(await resetDrain.check(x.ctx('w1'))).toEqual({ status: 'ok' });
  });
  it('connection refused: skipped, naming kubectl\'s last line', async () => {
    const x = h();
    x.t('cp1').allow(/get node w1 -o name$/, () => stderrOf('get-node-refused.stderr'));
    const check = await resetDrain.check(x.ctx('w1'));
    expect(check).toMatchObject({ status: 'skip' });
    expect(JSON.stringify(check)).toContain('The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?');
  });
});
