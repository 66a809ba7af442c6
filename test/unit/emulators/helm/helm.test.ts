// The lab's helm emulator, run compiled against a temp host root (LAB_FS_ROOT) with fake curl/kubectl (fake-bin).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SRC = join(REPO, 'test/lab/emulators/src');
let js = '';
let root = '';

beforeAll(() => {
  const files = ['helm', 'kube'].flatMap((d) =>
    readdirSync(join(SRC, d))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(SRC, d, f)),
  );
  const stamp = createHash('sha1')
    .update(files.map((f) => `${f}:${statSync(f).mtimeMs}`).join(','))
    .digest('hex')
    .slice(0, 12);
  const out = join(REPO, 'dist/.helm-emu-test', stamp);
  js = join(out, 'helm/helm.js');
  if (existsSync(js)) return;
  const r = spawnSync(
    'npx',
    [
      'tsc',
      '--outDir',
      out,
      '--rootDir',
      SRC,
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--lib',
      'ES2023',
      '--types',
      'node',
      '--skipLibCheck',
      join(SRC, 'helm/helm.ts'),
    ],
    { cwd: REPO, encoding: 'utf8' },
  );
  if (!existsSync(js)) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
}, 180_000);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'helm-emu-'));
  mkdirSync(join(root, 'run'), { recursive: true });
});

function helm(...args: string[]) {
  const r = spawnSync('node', [js, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/root', LAB_FS_ROOT: root, LAB_EMULATOR_BIN: join(REPO, 'test/unit/emulators/helm/fake-bin') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const file = (p: string) => readFileSync(join(root, p), 'utf8');
const HELM = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
const VALUES = '/etc/kubernetes/kubesmith/cilium-values.yaml';
function writeValues(text: string) {
  mkdirSync(join(root, dirname(VALUES)), { recursive: true });
  writeFileSync(join(root, VALUES), text);
}
const install = (...extra: string[]) =>
  helm(...HELM, 'upgrade', '--install', 'cilium', 'cilium/cilium', '--version', '1.19.4', '-n', 'kube-system', '-f', VALUES, ...extra);

describe('helm emulator', () => {
  it('version --short prints the version the launcher was downloaded as', () => {
    expect(helm('version', '--short').stdout.trim()).toMatch(/^v3\.16\.4\+g[0-9a-f]+$/);
  });

  it('repo add: a reachable repository is recorded; an unknown host fails like helm; a name clash needs --force-update', () => {
    const bad = helm('repo', 'add', 'nope', 'https://charts.example.invalid/');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'Error: looks like "https://charts.example.invalid/" is not a valid chart repository or cannot be reached',
    );
    expect(helm('repo', 'add', 'cilium', 'https://helm.cilium.io/').stdout).toContain('"cilium" has been added to your repositories');
    expect(file('/root/.config/helm/repositories.yaml')).toContain('url: https://helm.cilium.io/');
    expect(helm('repo', 'add', 'cilium', 'https://helm.cilium.io/').stdout).toContain('already exists with the same configuration');
    expect(helm('repo', 'add', 'cilium', 'https://helm.cilium.io/other/').stderr).toContain('repository name (cilium) already exists');
    expect(helm('repo', 'add', 'cilium', 'https://helm.cilium.io/', '--force-update').code).toBe(0);
    expect(helm('repo', 'update').stdout).toContain('Successfully got an update from the "cilium" chart repository');
  });

  it('upgrade --install renders cilium from the values, applies it through kubectl, waits, and records the release', () => {
    helm('repo', 'add', 'cilium', 'https://helm.cilium.io/');
    writeValues(
      'ipam:\n  mode: kubernetes\nkubeProxyReplacement: true\nk8sServiceHost: 10.199.3.10\nk8sServicePort: 6443\noperator:\n  replicas: 2\n',
    );
    expect(helm(...HELM, 'list', '-n', 'kube-system', '-o', 'json').stdout.trim()).toBe('[]');
    writeFileSync(join(root, 'run/pods-ready'), '');
    const r = install('--wait', '--timeout', '10m');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(file('/run/kubectl-apply.yaml'))
      .map((d) => d.toJS())
      .filter(Boolean);
    const ds = docs.find((d) => d.kind === 'DaemonSet');
    expect(ds.metadata).toMatchObject({ name: 'cilium', namespace: 'kube-system' });
    expect(ds.spec.template.spec.containers[0].image).toMatch(/^quay\.io\/cilium\/cilium:v1\.19\.4@sha256:[0-9a-f]{64}$/);
    expect(docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].image).toMatch(
      /^quay\.io\/cilium\/operator-generic:v1\.19\.4@sha256:/,
    );
    expect(docs.find((d) => d.kind === 'ConfigMap').data).toMatchObject({
      ipam: 'kubernetes',
      'kube-proxy-replacement': 'true',
      'k8s-service-host': '10.199.3.10',
      'k8s-service-port': '6443',
    });
    // the chart's defaults for the address families: IPv4 on, IPv6 off
    expect(docs.find((d) => d.kind === 'ConfigMap').data).toMatchObject({ 'enable-ipv4': 'true', 'enable-ipv6': 'false' });
    expect(file('/run/kubectl-calls')).toContain('--kubeconfig /etc/kubernetes/admin.conf apply -f -');
    const [rel] = JSON.parse(helm(...HELM, 'list', '-n', 'kube-system', '-o', 'json').stdout);
    expect(rel).toMatchObject({
      name: 'cilium',
      namespace: 'kube-system',
      revision: '1',
      status: 'deployed',
      chart: 'cilium-1.19.4',
      app_version: '1.19.4',
    });
    expect(rel.updated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC$/);
    expect(JSON.parse(helm('list', '-o', 'json').stdout)).toEqual([]); // default namespace
    expect(install().code).toBe(0);
    expect(JSON.parse(helm(...HELM, 'list', '-n', 'kube-system', '-o', 'json').stdout)[0].revision).toBe('2');
    expect(helm('uninstall', 'cilium', '-n', 'kube-system').stdout).toContain('release "cilium" uninstalled');
    expect(file('/run/kubectl-delete.yaml')).toContain('name: cilium');
    expect(helm('list', '-n', 'kube-system', '-o', 'json').stdout.trim()).toBe('[]');
  });

  it("maps ipv4.enabled / ipv6.enabled to the agent's enable-ipv4 / enable-ipv6", () => {
    helm('repo', 'add', 'cilium', 'https://helm.cilium.io/');
    writeValues('ipam:\n  mode: kubernetes\nipv4:\n  enabled: true\nipv6:\n  enabled: true\n');
    expect(install().code).toBe(0);
    const config = parseAllDocuments(file('/run/kubectl-apply.yaml'))
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'ConfigMap');
    expect(config.data).toMatchObject({ 'enable-ipv4': 'true', 'enable-ipv6': 'true' });
  });

  it('honours image values (repository, tag, useDigest false)', () => {
    helm('repo', 'add', 'cilium', 'https://helm.cilium.io/');
    writeValues('image:\n  repository: registry.local/cilium/cilium\n  tag: v1.19.4-lab\n  useDigest: false\n');
    expect(install().code).toBe(0);
    expect(file('/run/kubectl-apply.yaml')).toContain('image: registry.local/cilium/cilium:v1.19.4-lab\n');
  });

  it('fails like helm on a values file that is not YAML, an unknown chart version, and a --wait that times out (release failed)', () => {
    helm('repo', 'add', 'cilium', 'https://helm.cilium.io/');
    writeValues('ipam: [unclosed\n');
    const bad = install();
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: failed to parse \/etc\/kubernetes\/kubesmith\/cilium-values.yaml: error converting YAML to JSON/);
    writeValues('ipam:\n  mode: kubernetes\n');
    const missing = helm('upgrade', '--install', 'cilium', 'cilium/cilium', '--version', '1.99.0', '-n', 'kube-system', '-f', VALUES);
    expect(missing.stderr).toContain('chart "cilium" matching 1.99.0 not found in cilium index');
    const slow = install('--wait', '--timeout', '2s');
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain('context deadline exceeded');
    expect(JSON.parse(helm('list', '-n', 'kube-system', '-o', 'json').stdout)[0]).toMatchObject({ status: 'failed', revision: '1' });
  });

  it('journals every call and honours the fault hook', () => {
    mkdirSync(join(root, 'var/lib/lab/faults'), { recursive: true });
    writeFileSync(join(root, 'var/lib/lab/faults/helm'), '1 fail\n');
    const r = helm('version', '--short');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lab: injected failure');
    expect(helm('version', '--short').code).toBe(0);
    expect(file('/var/log/lab/journal.log')).toMatch(/ helm version --short\n.* helm version --short\n$/);
  });
});
