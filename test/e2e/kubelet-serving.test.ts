/**
 * Kubelet serving certificates (spec.kubelet.serverTLSBootstrap) on a small lab, 1 control plane + 1 worker: apply
 * renders serverTLSBootstrap into the KubeletConfiguration, each kubelet posts a kubelet-serving CSR, and
 * certs.kubelet-serving approves exactly those whose node, names and addresses are the inventory's; the kubelets then
 * hold serving certificates issued by the cluster CA for their own name and address. A CSR forged with the worker's
 * own credentials but a foreign IP stays pending, and the next apply names it and why. The kubelet's loop is the
 * lab's event-driven node sync (lab-node-sync), run here where a real kubelet would simply notice within seconds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labDown, labUp, type Lab } from '../lab/lab.js';
import { kubesmith, labReady, seedAptKeys } from './helpers.js';
import { bridgeIp, startLabRegistry, type LabRegistry } from './registry.js';
import { clusterExtra, emulatedRuntime, startStaticPods } from './helpers/certs-lab.js';

const NAME = 'e2e-kubelet-serving';
const SERVING = '/var/lib/kubelet/pki/kubelet-server-current.pem';

/** A kubelet-serving request for w1 with a foreign IP, made with openssl as the kubelet's would be (ECDSA P-256). */
function forgedRequest(dir: string, ip: string): string {
  const key = join(dir, 'forged.key');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  return execFileSync(
    'openssl',
    ['req', '-new', '-key', key, '-subj', '/O=system:nodes/CN=system:node:w1', '-addext', `subjectAltName=DNS:w1,IP:${ip}`],
    {
      encoding: 'utf8',
    },
  );
}

describe.skipIf(!labReady())('kubelet serving certificates approved against the inventory (1 control plane + 1 worker)', () => {
  let lab: Lab;
  let inv: string;
  let registry: LabRegistry;
  const admin = mkdtempSync(join(tmpdir(), 'ks-kubelet-serving-'));

  beforeAll(async () => {
    lab = await labUp({ name: NAME, hosts: [{ name: 'cp1' }, { name: 'w1' }] });
    await seedAptKeys(lab);
    await emulatedRuntime(lab);
    inv = join(lab.root, 'inventory.yaml');
    registry = await startLabRegistry(bridgeIp(lab.subnet));
    const extra = { ...clusterExtra(registry.url), kubelet: { serverTLSBootstrap: true } };
    lab.writeInventory(inv, { controlPlanes: ['cp1'], workers: ['w1'], extra });
  }, 600_000);

  afterAll(async () => {
    await registry?.close();
    if (lab) await labDown(NAME);
  }, 120_000);

  it('after apply, each node serves with a certificate of the cluster CA for its own name and address', async () => {
    const run = await kubesmith(['apply', '-i', inv], admin);
    expect(run.code, run.stdout.slice(-3000) + run.stderr).toBe(0);
    // one serving CSR per node, requested by that node and approved by kubesmith
    const list = JSON.parse((await lab.exec('cp1', 'kubectl get csr -o json')).stdout).items as any[];
    const serving = list.filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving');
    expect(serving.map((c) => c.spec.username).sort()).toEqual(['system:node:cp1', 'system:node:w1']);
    for (const c of serving)
      expect(
        c.status.conditions?.map((x: any) => x.type),
        c.metadata.name,
      ).toEqual(['Approved']);
    const hosts = parse(readFileSync(inv, 'utf8')).spec.hosts as { name: string; address: string }[];
    for (const h of hosts) {
      expect((await lab.exec(h.name, 'grep -x "serverTLSBootstrap: true" /var/lib/kubelet/config.yaml')).code, h.name).toBe(0);
      await lab.exec(h.name, 'lab-node-sync'); // the kubelet's certificate manager picks up its issued CSR
      const verify = await lab.exec(h.name, `openssl verify -CAfile /etc/kubernetes/pki/ca.crt ${SERVING}`);
      expect(verify.stdout + verify.stderr, h.name).toMatch(/: OK$/m);
      const ext = await lab.exec(h.name, `openssl x509 -noout -subject -ext subjectAltName -in ${SERVING}`);
      expect(ext.stdout, h.name).toContain(`CN = system:node:${h.name}`);
      expect(ext.stdout, h.name).toMatch(new RegExp(`DNS:${h.name}, IP Address:${h.address.replaceAll('.', '\\.')}\\n`));
    }
    const csrs = await lab.exec('cp1', 'kubectl get csr');
    expect(csrs.stdout).not.toMatch(/Pending/);
  }, 1_200_000);

  it("a CSR with a foreign IP made with the worker's own credentials stays pending and apply reports it", async () => {
    const request = Buffer.from(forgedRequest(admin, '10.9.9.9')).toString('base64');
    const manifest = `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: forged-w1
spec:
  request: ${request}
  signerName: kubernetes.io/kubelet-serving
  usages: [digital signature, server auth]
`;
    const created = await lab.exec(
      'w1',
      `cat > /root/forged.yaml <<'EOF'\n${manifest}EOF\nkubectl --kubeconfig /etc/kubernetes/kubelet.conf create -f /root/forged.yaml`,
    );
    expect(created.code, created.stderr).toBe(0);
    const run = await kubesmith(['apply', '-i', inv], admin);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/forged-w1: IP 10\.9\.9\.9 is not w1's in the inventory/);
    const csr = await lab.exec('cp1', 'kubectl get csr forged-w1');
    expect(csr.stdout).toMatch(/kubernetes\.io\/kubelet-serving\s+system:node:w1\s+<none>\s+Pending$/m);
  }, 1_200_000);

  it("certs renew approves a kubelet's new serving request too, and still leaves the forged one pending", async () => {
    // the worker's kubelet loses its serving pair (a rebuilt disk, say) and asks again at its next sync
    await lab.exec('w1', `rm -f /var/lib/kubelet/pki/kubelet-server-*.pem && lab-node-sync`);
    const before = JSON.parse((await lab.exec('cp1', 'kubectl get csr -o json')).stdout).items as any[];
    const fresh = before.find(
      (c) => c.spec.username === 'system:node:w1' && !c.status?.conditions?.length && c.metadata.name !== 'forged-w1',
    );
    expect(fresh, 'a new pending request from w1').toBeDefined();
    await startStaticPods(lab, 'cp1'); // the kubelet's static pods, which renew restarts (the lab does not run them)
    const run = await kubesmith(['certs', 'renew', '-i', inv, '--yes', '--restart-wait', '2', '--health-timeout', '60'], admin);
    expect(run.stdout + run.stderr).toMatch(/forged-w1: IP 10\.9\.9\.9 is not w1's in the inventory/);
    const csr = await lab.exec('cp1', `kubectl get csr ${fresh.metadata.name} forged-w1`);
    expect(csr.stdout).toMatch(new RegExp(`^${fresh.metadata.name}\\s.*Approved,Issued$`, 'm'));
    expect(csr.stdout).toMatch(/^forged-w1\s.*Pending$/m);
    await lab.exec('w1', 'lab-node-sync');
    const verify = await lab.exec('w1', `openssl verify -CAfile /etc/kubernetes/pki/ca.crt ${SERVING}`);
    expect(verify.stdout + verify.stderr).toMatch(/: OK$/m);
  }, 1_200_000);
});
