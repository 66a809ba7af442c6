/** Kubesmith's parsers on the real outputs of test/fixtures/real: openssl, ssh-keyscan, iptables-save and ip -o link (reset leftovers). */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { commandText } from '../../../src/transport/command.js';
import { certFacts, parseSubjectAltName, publicKeyFingerprintOfPem } from '../../../src/certs/x509.js';
import { entryMatches, fingerprint, keyTypeOf, parseKnownHosts } from '../../../src/transport/known-hosts.js';
import { chainCleanup, iptablesCleanups, iptablesSaveScript, leftoversProbe, parseLeftovers } from '../../../src/tasks/reset/cleanup.js';
import { lines, real, REAL_DIR } from './real.js';
import { runSh, stubDir } from './shell.js';

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
    expect(certFacts(pem)).toMatchObject({
      dnsNames: ['cp1', 'kubernetes', 'kubernetes.default.svc.cluster.local'],
      ips: ['10.96.0.1', '10.199.0.11', 'fd00::1', '2001:db8::a'],
    });
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
  const sshKeygen = new Map(
    lines(real('ssh-keyscan', 'host-key-fingerprints.txt')).map((l) => [l.match(/\((\w+)\)$/)![1]!, l.split(' ')[1]!]),
  );
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
  const dir = REAL_DIR;
  // iptables-save -t TABLE prints that table's recorded dump; ip6tables-save an empty filter table.
  const stubs = {
    'iptables-save': `case "$2" in nat) cat ${dir}/iptables-save/kube-chains-nat.txt;; filter) cat ${dir}/iptables-save/kube-chains-filter.txt;; *) cat ${dir}/iptables-save/empty-raw.txt;; esac`,
    'ip6tables-save': `case "$2" in filter) cat ${dir}/iptables-save/ip6-empty-filter.txt;; *) :;; esac`,
    ip: `cat ${dir}/ip/link-show-o.txt`,
    'iptables-restore': `cat >> "$FX_OUT/iptables"`,
    'ip6tables-restore': `cat >> "$FX_OUT/ip6tables"`,
  };

  it('chainCleanup on the nat and filter dumps: jumps deleted, Kubernetes chains flushed and removed', () => {
    expect(chainCleanup('nat', real('iptables-save', 'kube-chains-nat.txt'))).toBe(
      [
        '*nat',
        '-D PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-D OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-D POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-D POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
        '-F FLANNEL-POSTRTG',
        '-F KUBE-POSTROUTING',
        '-F KUBE-SERVICES',
        '-F KUBE-SVC-NPX46M4PTMTKRN6Y',
        '-X FLANNEL-POSTRTG',
        '-X KUBE-POSTROUTING',
        '-X KUBE-SERVICES',
        '-X KUBE-SVC-NPX46M4PTMTKRN6Y',
        'COMMIT',
        '',
      ].join('\n'),
    );
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

  it('iptablesSaveScript run over the recorded dumps → iptablesCleanups: exactly chainCleanup per table, nothing for empty ones', () => {
    const bin = stubDir(stubs);
    try {
      const saved = runSh(commandText(iptablesSaveScript()), bin);
      const cleanups = iptablesCleanups(saved);
      expect(cleanups.map((c) => `${c.tool} ${c.table}`)).toEqual(['iptables filter', 'iptables nat']);
      for (const c of cleanups) expect(c.input).toBe(chainCleanup(c.table, real('iptables-save', `kube-chains-${c.table}.txt`)));
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('leftoversProbe (sed over iptables-save, awk over ip -o link) → parseLeftovers: the chains and CNI links', () => {
    const bin = stubDir(stubs);
    try {
      const probe = runSh(commandText(leftoversProbe([])), bin);
      const l = parseLeftovers(
        probe
          .split('\n')
          .filter((x) => /^(chain|link) /.test(x))
          .join('\n'),
      );
      expect(l.links).toEqual(['cni0', 'flannel.1', 'cilium_net', 'cilium_host']);
      expect(l.chains.filter((c) => c.table === 'nat').map((c) => c.chain)).toEqual([
        'FLANNEL-POSTRTG',
        'KUBE-POSTROUTING',
        'KUBE-SERVICES',
        'KUBE-SVC-NPX46M4PTMTKRN6Y',
      ]);
      expect(l.chains.filter((c) => c.table === 'filter').map((c) => c.chain)).toEqual(['CILIUM_INPUT', 'FLANNEL-FWD', 'KUBE-FIREWALL']);
      expect(l.chains.every((c) => c.tool === 'iptables')).toBe(true);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
