// The emulated control plane judges certificates with the bundles its components loaded at their last start
// (trust.ts): a CA rotation done in the wrong order fails in the lab as it would on real nodes.
import { utimesSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWithWorker, Lab, openssl } from './harness.js';
import { mergePatch } from '../../../lab/emulators/src/kube/kubectl-patch.js';

const lab = new Lab();
const PKI = '/etc/kubernetes/pki';
const kubectl = (kubeconfig: string, args: string[]) => lab.run('cp1', 'kubectl', ['--kubeconfig', kubeconfig, ...args]);
/** The kubelet restarts the static pod: the manifest's mtime changes (what crictl-ps and trust.ts see as a new start). */
const restart = (pod: string) => {
  const t = new Date(Date.now() + Math.floor(Math.random() * 1e6));
  utimesSync(lab.path('cp1', `/etc/kubernetes/manifests/${pod}.yaml`), t, t);
};
const withCa = (kubeconfig: string, pem: string) =>
  kubeconfig.replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${Buffer.from(pem).toString('base64')}`);

describe.sequential('trust the emulated control plane loaded at its start', () => {
  let oldCa = '';
  let newCa = '';
  beforeAll(() => {
    lab.seedKeys();
    initWithWorker(lab);
    oldCa = lab.read('cp1', `${PKI}/ca.crt`);
    const dir = lab.path('cp1', '/root');
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=kubernetes',
      '-keyout',
      `${dir}/new-ca.key`,
      '-out',
      `${dir}/new-ca.crt`,
      '-days',
      '30',
    ]);
    newCa = lab.read('cp1', '/root/new-ca.crt');
  }, 180_000);

  it('a changed client CA file counts only once the API server restarted', () => {
    expect(kubectl('/etc/kubernetes/admin.conf', ['get', 'nodes']).code).toBe(0);
    lab.write('cp1', `${PKI}/ca.crt`, newCa); // the new CA alone, before anyone holds a certificate from it
    expect(kubectl('/etc/kubernetes/admin.conf', ['get', 'nodes']).code).toBe(0);
    restart('kube-apiserver');
    const r = kubectl('/etc/kubernetes/admin.conf', ['get', 'nodes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: You must be logged in to the server (Unauthorized)\n');
  });

  it('a serving certificate from the new CA is refused by clients and kubelets that trust only the old one', () => {
    lab.write('cp1', `${PKI}/ca.crt`, oldCa + newCa);
    const dir = lab.path('cp1', '/root');
    const csr = openssl(['req', '-new', '-key', lab.path('cp1', `${PKI}/apiserver.key`), '-subj', '/CN=kube-apiserver']);
    const serving = openssl(
      ['x509', '-req', '-CA', `${dir}/new-ca.crt`, '-CAkey', `${dir}/new-ca.key`, '-days', '30', '-set_serial', '7'],
      csr,
    );
    lab.write('cp1', `${PKI}/apiserver.crt`, serving);
    restart('kube-apiserver');
    const old = kubectl('/etc/kubernetes/admin.conf', ['get', 'nodes']);
    expect(old.code).toBe(1);
    expect(old.stderr).toBe(
      'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority\n',
    );
    // the same client certificate with both CAs in its kubeconfig: accepted (the API server trusts old+new)
    lab.write('cp1', '/root/both.conf', withCa(lab.read('cp1', '/etc/kubernetes/admin.conf'), oldCa + newCa));
    expect(kubectl('/root/both.conf', ['get', 'nodes']).code).toBe(0);
    // the worker's kubelet.conf holds the old CA only: it cannot verify the API server and does not start
    const start = lab.run('w1', 'lab-node-sync', ['kubelet-start']);
    expect(start.code).toBe(3);
    expect(lab.read('w1', '/var/log/lab/kubelet.log')).toContain('x509: certificate signed by unknown authority');
  });

  it('the controller-manager publishes its --root-ca-file as kube-root-ca.crt once it restarted', () => {
    const bundle = () => {
      const r = kubectl('/root/both.conf', ['get', 'configmap', 'kube-root-ca.crt', '-n', 'default', '-o', 'json']);
      return (JSON.parse(r.stdout).data['ca.crt'] as string).match(/BEGIN CERTIFICATE/g)!.length;
    };
    expect(bundle()).toBe(1);
    restart('kube-controller-manager');
    expect(bundle()).toBe(2);
  });
});

describe('mergePatch (RFC 7386)', () => {
  it('merges objects key by key, replaces other values and deletes on null', () => {
    const target = { spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } } } }, keep: [1] };
    expect(mergePatch(target, { spec: { template: { metadata: { annotations: { a: 'b' } } } }, keep: null })).toEqual({
      spec: { replicas: 2, template: { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } } } },
    });
    expect(target.keep).toEqual([1]); // the target is not changed in place
  });
});
