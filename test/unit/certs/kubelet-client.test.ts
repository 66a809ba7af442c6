/**
 * The control plane's kubelet client re-signing script (src/tasks/certs/kubelet-client.ts), run by bash on a PKI tree
 * under a temp root, with a `date` on PATH that is `offset` days ahead of the machine: the script must take both its
 * decision and the new certificate's window from `date` (the node's clock), never from openssl's own time.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeletClientScript, kubeletConfRotatingScript } from '../../../src/tasks/certs/kubelet-client.js';
import { kubeconfigYaml } from '../../lab/emulators/src/kube/kubeadm-pki.js';
import { certFacts, pemCertificates, signedBy } from '../../../src/certs/x509.js';
import { NOW, tempRoot, writeNodeTree } from './fixture.js';

const DAY_MS = 86_400_000;

function run(root: string, offsetDays: number, script = kubeletClientScript('cp1', 30)): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  // a node clock `offsetDays` ahead: plain `date` and `date +FMT` shift, `date -d …` is left as asked
  const date = `#!/bin/bash\nfor a in "$@"; do case $a in -d|--date*) exec /bin/date "$@";; esac; done\nexec /bin/date -d @$(( $(/bin/date +%s) + ${offsetDays * 86_400} )) "$@"\n`;
  writeFileSync(join(bin, 'date'), date);
  chmodSync(join(bin, 'date'), 0o755);
  const text = script.text
    .replaceAll('/etc/kubernetes/', `${root}/etc/kubernetes/`)
    .replaceAll('/var/lib/kubelet/', `${root}/var/lib/kubelet/`);
  return execFileSync('bash', ['-c', text], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
}

describe('kubelet client certificate of a control plane, on the node clock', () => {
  it('valid at the node clock: left alone', () => {
    const root = tempRoot();
    writeNodeTree(root, { node: 'cp1', ip: '10.0.0.1' });
    const before = readFileSync(join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem'), 'utf8');
    expect(run(root, 0)).toBe('');
    expect(readFileSync(join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem'), 'utf8')).toBe(before);
  });

  it('expired at a node clock 400 days ahead (valid for openssl): re-signed for a year from the node clock, same key, same CA', () => {
    const root = tempRoot();
    const cas = writeNodeTree(root, { node: 'cp1', ip: '10.0.0.1' });
    const pem = join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem');
    const oldKey = readFileSync(pem, 'utf8').replace(/[\s\S]*(?=-----BEGIN [A-Z ]*PRIVATE KEY)/, '');
    expect(run(root, 400)).toBe('re-signed\n');
    expect(realpathSync(pem)).toMatch(/kubelet-client-kubesmith-\d+\.pem$/);
    const text = readFileSync(pem, 'utf8');
    const cert = pemCertificates(text)[0]!;
    const f = certFacts(cert);
    expect(f.subjectCN).toBe('system:node:cp1');
    expect(f.subjectOrgs).toEqual(['system:nodes']);
    expect(signedBy(cert, cas.ca.cert)).toBe(true);
    expect(Math.abs(f.notAfter.getTime() - (NOW + 765 * DAY_MS))).toBeLessThan(10 * 60_000);
    expect(f.notBefore.getTime()).toBeGreaterThan(NOW + 399 * DAY_MS);
    expect(text.endsWith(oldKey)).toBe(true);
    expect(run(root, 400)).toBe(''); // valid now: a second run changes nothing
  });
});

describe('a kubelet.conf that embeds its client certificate (kubeadm init before 1.17)', () => {
  const PEM = 'var/lib/kubelet/pki/kubelet-client-current.pem';
  /** The node's tree with kubelet.conf in its pre-1.17 shape: the certificate and key inside it. */
  function embedded(root: string, keepPem: boolean): { cert: string; key: string } {
    const cas = writeNodeTree(root, { node: 'cp1', ip: '10.0.0.1' });
    const text = readFileSync(join(root, PEM), 'utf8');
    const cert = pemCertificates(text)[0]!;
    const key = text.slice(text.indexOf('-----BEGIN', text.indexOf('-----END CERTIFICATE')));
    const conf = kubeconfigYaml('default-cluster', 'https://10.0.0.1:6443', cas.ca.cert, 'system:node:cp1', { cert, key });
    writeFileSync(join(root, 'etc/kubernetes/kubelet.conf'), conf, { mode: 0o600 });
    if (!keepPem) rmSync(join(root, PEM));
    return { cert, key };
  }
  const conf = (root: string) => readFileSync(join(root, 'etc/kubernetes/kubelet.conf'), 'utf8');

  it('no rotated PEM yet: the PEM is made from the embedded pair (0600) and kubelet.conf names it; a second run changes nothing', () => {
    const root = tempRoot();
    const { cert, key } = embedded(root, false);
    expect(conf(root)).toContain('client-certificate-data:');
    expect(run(root, 0, kubeletConfRotatingScript())).toBe('pointed\n');
    const pem = join(root, PEM);
    expect(realpathSync(pem)).toMatch(/kubelet-client-kubesmith-\d+\.pem$/);
    expect(statSync(realpathSync(pem)).mode & 0o777).toBe(0o600);
    expect(readFileSync(pem, 'utf8')).toBe(cert + key);
    expect(conf(root)).not.toMatch(/client-(certificate|key)-data/);
    expect(conf(root)).toMatch(new RegExp(`^ +client-certificate: ${pem}$`, 'm'));
    expect(conf(root)).toMatch(new RegExp(`^ +client-key: ${pem}$`, 'm'));
    expect(conf(root)).toContain('certificate-authority-data:'); // the CA stays embedded
    expect(run(root, 0, kubeletConfRotatingScript())).toBe('');
  });

  it('a kubelet that already rotated: kubelet.conf is pointed at its PEM, which is left as it is', () => {
    const root = tempRoot();
    embedded(root, true);
    const before = readFileSync(join(root, PEM), 'utf8');
    expect(run(root, 0, kubeletConfRotatingScript())).toBe('pointed\n');
    expect(readFileSync(join(root, PEM), 'utf8')).toBe(before);
    expect(conf(root)).not.toMatch(/client-(certificate|key)-data/);
  });

  it('then, 400 days on, the re-signing script finds the PEM and renews it', () => {
    const root = tempRoot();
    embedded(root, false);
    run(root, 0, kubeletConfRotatingScript());
    expect(run(root, 400)).toBe('re-signed\n');
    expect(existsSync(join(root, PEM))).toBe(true);
  });
});
