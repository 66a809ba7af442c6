// The kube emulators' fast paths give the same answers as the full Node code: the launchers' bash answers
// (bin/lab-kube.sh: version reads, lab-node-sync with nothing to publish) and the kubeconfig reader that skips yaml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT_CONFIG, Lab, ensureBuilt, openssl } from './harness.js';
import { canonicalKubeconfig, kubeconfigYaml, parseKubeconfig, parseKubeconfigYaml } from '../../../lab/emulators/src/kube/kubeadm-pki.js';
import { certificateRequest, signCert } from '../../../lab/emulators/src/kube/pki.js';
import { generatePem } from '../../../lab/emulators/src/kube/keypool.js';

const lab = new Lab().seedKeys(20);
/** A launcher that would reach Node fails with this: proves the bash fast path answered. */
const NO_NODE = { LAB_KUBE_JS_DIR: '/nonexistent-kube-js' };
/** pkgdb.json exactly as the package emulators write it (src/pkg/pkgdb.ts saveDb). */
const pkgdb = (packages: Record<string, string>) =>
  JSON.stringify(
    {
      format: 'deb',
      packages: Object.fromEntries(Object.entries(packages).map(([n, v]) => [n, { version: v, arch: 'amd64', repo: 'x', files: [] }])),
    },
    null,
    1,
  ) + '\n';
const lastJournalLine = (host: string) => lab.read(host, '/var/log/lab/journal.log').trimEnd().split('\n').at(-1)!.replace(/^\d+ /, '');
const VERSION_CALLS: [string, string[]][] = [
  ['kubeadm', ['version', '-o', 'short']],
  ['kubectl', ['version', '--client']],
  ['kubelet', ['--version']],
];

describe.sequential('kube launchers: bash fast paths', () => {
  beforeAll(() => {
    ensureBuilt();
    lab.host('cp1', '10.199.0.10');
    lab.host('w1', '10.199.0.11');
  }, 180_000);

  it('prints the installed versions as the Node emulators do, journaled', () => {
    lab.write(
      'w1',
      '/var/lib/lab/pkgdb.json',
      pkgdb({ kubeadm: '1.33.4-1.1', kubectl: '1:1.32.10-1.1', kubelet: '1.34.1-1.1', 'kubernetes-cni': '1.7.1-1.1' }),
    );
    for (const [cmd, args] of VERSION_CALLS) {
      const fast = lab.run('w1', cmd, args, NO_NODE);
      expect(fast).toEqual({ ...lab.runNode('w1', cmd, args), stderr: '' });
      expect(lastJournalLine('w1')).toBe(`${cmd} ${args.join(' ')}`);
      expect(fast.stdout).toMatch(/v1\.3[234]\.\d+\n/);
    }
    expect(lab.run('w1', 'kubectl', ['version', '--client'], NO_NODE).stdout).toBe('Client Version: v1.32.10\nKustomize Version: v5.7.1\n');
  });

  it('passes the fault hook like the Node emulators', () => {
    lab.write('w1', '/var/lib/lab/faults/kubelet', '1 fail\n');
    expect(lab.run('w1', 'kubelet', ['--version'], NO_NODE)).toEqual({ code: 1, stdout: '', stderr: 'lab: injected failure\n' });
    expect(lab.read('w1', '/var/lib/lab/faults/kubelet')).toBe('0 fail\n');
    expect(lab.run('w1', 'kubelet', ['--version'], NO_NODE).code).toBe(0);
  });

  it('leaves anything but a plain read to Node (package missing, another DB shape, other arguments)', () => {
    lab.write('w1', '/var/lib/lab/pkgdb.json', pkgdb({ kubeadm: '1.33.4-1.1' }));
    expect(lab.run('w1', 'kubelet', ['--version'], NO_NODE).code).not.toBe(0);
    expect(lab.run('w1', 'kubelet', ['--version']).stdout).toBe(lab.runNode('w1', 'kubelet', ['--version']).stdout);
    lab.write('w1', '/var/lib/lab/pkgdb.json', JSON.stringify({ format: 'deb', packages: { kubeadm: { version: '1.31.2-1.1' } } }));
    expect(lab.run('w1', 'kubeadm', ['version', '-o', 'short'], NO_NODE).code).not.toBe(0);
    expect(lab.run('w1', 'kubeadm', ['version', '-o', 'short']).stdout).toBe('v1.31.2\n');
    expect(lab.run('w1', 'kubeadm', ['version', '-o', 'json'], NO_NODE).code).not.toBe(0);
  });

  it('lab-node-sync answers in bash while the host has no node to publish, and runs Node once it has', () => {
    expect(lab.run('w1', 'lab-node-sync', ['-v'], NO_NODE)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(lastJournalLine('w1')).toBe('lab-node-sync -v');
    // a kubelet.conf, but no node of any cluster on this host (kubeadm restarts the kubelet before it registers it)
    lab.write('w1', '/etc/kubernetes/kubelet.conf', 'apiVersion: v1\nkind: Config\n');
    expect(lab.run('w1', 'lab-node-sync', ['-v'], NO_NODE)).toEqual({ code: 0, stdout: '', stderr: '' });
    lab.write('cp1', '/root/kubeadm.yaml', INIT_CONFIG);
    expect(lab.run('cp1', 'kubeadm', ['init', '--config', '/root/kubeadm.yaml']).code).toBe(0);
    const state = readFileSync(join(lab.clusterDir, 'state.json'), 'utf8');
    expect(lab.run('w1', 'lab-node-sync', ['-v'], NO_NODE)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(lab.runNode('w1', 'lab-node-sync', ['-v'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(join(lab.clusterDir, 'state.json'), 'utf8')).toBe(state);
    // the control plane's node is in the state: Node publishes it
    expect(lab.run('cp1', 'lab-node-sync', ['-v'], NO_NODE).code).not.toBe(0);
    expect(lab.run('cp1', 'lab-node-sync', ['-v'])).toEqual({ code: 0, stdout: 'synced node cp1\n', stderr: '' });
    lab.write('w1', '/var/lib/lab/faults/lab-node-sync', '1 fail\n');
    expect(lab.run('w1', 'lab-node-sync', [], NO_NODE)).toEqual({ code: 1, stdout: '', stderr: 'lab: injected failure\n' });
  }, 120_000);
});

describe('kubeconfig reader without yaml', () => {
  const root = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  const saved = process.env.LAB_FS_ROOT;
  const pem = (s: string) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(s).toString('base64')}\n-----END CERTIFICATE-----\n`;
  beforeAll(() => {
    process.env.LAB_FS_ROOT = root;
    mkdirSync(join(root, 'var/lib/kubelet/pki'), { recursive: true });
    writeFileSync(join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem'), pem('client') + 'KEY\n');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.LAB_FS_ROOT;
    else process.env.LAB_FS_ROOT = saved;
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the kubeconfigs kubeadm writes exactly as the YAML parser does', () => {
    const file = '/var/lib/kubelet/pki/kubelet-client-current.pem';
    const written = [
      kubeconfigYaml('kubernetes', 'https://10.199.0.10:6443', pem('ca'), 'kubernetes-admin', { cert: pem('admin'), key: 'KEY' }),
      kubeconfigYaml('lab', 'https://k8s-api.lab:6443', pem('ca2'), 'system:kube-controller-manager', { cert: pem('cm'), key: 'K' }),
      kubeconfigYaml(
        'default-cluster',
        'https://[fd00::10]:6443',
        pem('ca3'),
        'default-auth',
        { certFile: file, keyFile: file },
        'default-context',
      ),
      kubeconfigYaml(
        'default-cluster',
        'https://10.0.0.1:6443',
        pem('ca4'),
        'default-auth',
        { certFile: '/missing.pem', keyFile: file },
        'default-context',
      ),
    ];
    for (const text of written) {
      const fast = canonicalKubeconfig(text);
      expect(fast, text).toBeDefined();
      expect(fast).toEqual(parseKubeconfigYaml(text));
    }
    expect(canonicalKubeconfig(written[2]!)!.cert).toBe(pem('client') + 'KEY\n');
  });

  it('leaves any other kubeconfig to the YAML parser', () => {
    const base = kubeconfigYaml('kubernetes', 'https://10.199.0.10:6443', pem('ca'), 'kubernetes-admin', {
      cert: pem('admin'),
      key: 'KEY',
    });
    const others = [
      kubeconfigYaml('true', 'https://10.199.0.10:6443', pem('ca'), 'kubernetes-admin', { cert: pem('a'), key: 'K' }),
      kubeconfigYaml('kubernetes', 'https://10.199.0.10:6443', pem('ca'), 'admin user', { cert: pem('a'), key: 'K' }),
      base.replace('users:\n', 'users:\n  - name: other\n    user:\n      client-key-data: S0VZ\n'),
      base.replace('kind: Config', 'kind: Config\nextra: 1'),
      base.replace(/client-key-data: .*\n/, 'client-key-data: S0VZ\n      client-key-data: S0VZ\n'),
      base.replace('apiVersion: v1\n', 'apiVersion: v1 # comment\n'),
    ];
    for (const text of others) {
      expect(canonicalKubeconfig(text), text).toBeUndefined();
    }
    expect(parseKubeconfig(others[0]!)).toEqual(parseKubeconfigYaml(others[0]!));
  });
});

describe('certificate requests built without openssl req', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const SUBJECTS: [string, string][][] = [
    [['CN', 'kubernetes']],
    [
      ['O', 'system:nodes'],
      ['CN', 'system:node:w1.lab'],
    ],
    [
      ['O', 'kubeadm:cluster-admins'],
      ['O', 'system:masters'],
      ['CN', 'kubernetes-super-admin'],
    ],
  ];
  /** What `openssl req` writes for the same key and subject. */
  const opensslRequest = (key: string, rdns: [string, string][]) => {
    writeFileSync(join(dir, 'req.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n');
    writeFileSync(join(dir, 'k.pem'), key);
    return openssl([
      'req',
      '-new',
      '-config',
      join(dir, 'req.cnf'),
      '-key',
      join(dir, 'k.pem'),
      '-subj',
      rdns.map(([k, v]) => `/${k}=${v}`).join(''),
    ]);
  };
  /** The signed part of a request (ECDSA signatures differ from run to run). */
  const requestInfo = (pem: string) => openssl(['req', '-noout', '-text'], pem).split('Signature Value:')[0];

  it('writes the very request openssl writes (RSA: same bytes; ECDSA: same signed part), and openssl verifies it', () => {
    for (const alg of ['RSA-2048', 'ECDSA-P256'] as const) {
      const key = generatePem(alg);
      for (const rdns of SUBJECTS) {
        const mine = certificateRequest(rdns, key)!;
        const theirs = opensslRequest(key, rdns);
        if (alg === 'RSA-2048') expect(mine).toBe(theirs);
        else expect(requestInfo(mine)).toBe(requestInfo(theirs));
        expect(openssl(['req', '-verify', '-noout'], mine)).toBe('');
      }
    }
  });

  it('leaves keys it cannot read to openssl req', () => {
    expect(certificateRequest([['CN', 'x']], 'not a key')).toBeUndefined();
    const t = Date.now();
    expect(() => signCert({ cn: 'x', notBefore: t, notAfter: t + 3600e3 }, 'not a key')).toThrow(
      /openssl failed for x: .*(key|Could not)/is,
    );
  });

  it('leaves names openssl would refuse or re-parse to openssl', () => {
    const key = generatePem('ECDSA-P256');
    const t = Date.now();
    expect(() => signCert({ cn: 'n'.repeat(70), notBefore: t, notAfter: t + 3600e3 }, key)).toThrow(/openssl failed for n+: .*too long/s);
    const info = openssl(
      ['x509', '-noout', '-subject', '-nameopt', 'RFC2253'],
      signCert({ cn: 'front proxy', orgs: ['x y'], notBefore: t, notAfter: t + 3600e3 }, key),
    );
    expect(info).toBe(
      openssl(
        ['req', '-noout', '-subject', '-nameopt', 'RFC2253'],
        opensslRequest(key, [
          ['O', 'x y'],
          ['CN', 'front proxy'],
        ]),
      ),
    );
  });
});
