/**
 * Issue 13 item 8: inventories that passed `validate` and must be refused with exit 2 and file:line:col at the field.
 * Each case runs the real CLI's validate in-process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli, tempDir } from '../cli/helpers.js';
import { baseInventory } from './helpers.js';

/** Write the base inventory after `edit` into a fresh directory (with a real key file) and run `validate` on it. */
async function validate(edit: (inv: Record<string, any>, dir: string) => void = () => {}) {
  const dir = tempDir();
  writeFileSync(join(dir, 'id_ed25519'), 'not really a key\n');
  const inv = baseInventory();
  inv.spec.ssh = { keyPath: './id_ed25519' };
  edit(inv, dir);
  const text = stringify(inv);
  const file = join(dir, 'inv.yaml');
  writeFileSync(file, text);
  const r = await cli(['validate', '-i', file]);
  return { ...r, file, text };
}

/** The 1-based line of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('validate refuses what passed before (issue 13 item 8)', () => {
  it('the unchanged base inventory, with a real key file, is valid', async () => {
    const r = await validate();
    expect(r.code, r.stderr).toBe(0);
  });

  it.each([
    ['0', 'api.demo.internal:0'],
    ['99999', 'api.demo.internal:99999'],
    ['65536 on an IPv6 endpoint', '[fd00::10]:65536'],
  ])('controlPlaneEndpoint port %s', async (_name, endpoint) => {
    const r = await validate((i) => (i.spec.kubernetes.controlPlaneEndpoint = endpoint));
    expect(r.code).toBe(2);
    const line = lineOf(r.text, 'controlPlaneEndpoint');
    expect(r.stderr).toContain(`${r.file}:${line}:5 spec.kubernetes.controlPlaneEndpoint: the port must be between 1 and 65535`);
  });

  it('controlPlaneEndpoint ports 1 and 65535 and no port at all stay valid', async () => {
    for (const endpoint of ['api.demo.internal:1', 'api.demo.internal:65535', 'api.demo.internal', '[fd00::10]:6443']) {
      const r = await validate((i) => (i.spec.kubernetes.controlPlaneEndpoint = endpoint));
      expect(r.code, `${endpoint}: ${r.stderr}`).toBe(0);
    }
  });

  it('an IPv6 pod subnet with an IPv4 service subnet', async () => {
    const r = await validate((i) => (i.spec.kubernetes.podSubnet = 'fd00:10:244::/56'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${r.file}:${lineOf(r.text, 'podSubnet')}:5 spec.kubernetes.podSubnet: serviceSubnet 10.96.0.0/12 (the default) is IPv4 but podSubnet fd00:10:244::/56 is IPv6`,
    );
  });

  it('a keyPath that is a directory (spec.ssh, a host, the bastion)', async () => {
    const r = await validate((i, dir) => {
      mkdirSync(join(dir, 'keys'));
      i.spec.ssh = { keyPath: './keys', bastion: { address: '10.0.0.1', keyPath: dir } };
      i.spec.hosts[1].ssh = { keyPath: '/' };
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inv\.yaml:\d+:\d+ spec\.ssh\.keyPath: \.\/keys is a directory; keyPath names the private key file/);
    expect(r.stderr).toMatch(/inv\.yaml:\d+:\d+ spec\.ssh\.bastion\.keyPath: \S+ is a directory/);
    expect(r.stderr).toMatch(/inv\.yaml:\d+:\d+ spec\.hosts\[1\]\.ssh\.keyPath: \/ is a directory/);
    expect(r.stderr).toContain(`${r.file}:${lineOf(r.text, 'keyPath: ./keys')}:`);
  });

  it('a keyPath that does not exist', async () => {
    const r = await validate((i) => (i.spec.ssh = { keyPath: '~/.ssh/kubesmith-no-such-key' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inv\.yaml:\d+:5 spec\.ssh\.keyPath: private key ~\/\.ssh\/kubesmith-no-such-key does not exist/);
  });

  it('a missing offline bundle, while an existing one (directory or tar) is accepted', async () => {
    const missing = await validate((i) => (i.spec.offline = { bundle: './bundle.tar' }));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `${missing.file}:${lineOf(missing.text, 'bundle: ./bundle.tar')}:5 spec.offline.bundle: bundle ./bundle.tar does not exist`,
    );
    expect(missing.stderr).toContain('kubesmith bundle create');
    const present = await validate((i, dir) => {
      writeFileSync(join(dir, 'bundle.tar'), '');
      i.spec.offline = { bundle: './bundle.tar' };
    });
    expect(present.code, present.stderr).toBe(0);
  });

  it.each([
    [
      'packageRepository',
      (i: Record<string, any>) => (i.spec.kubernetes.packageRepository = 'https://deploy:S3cr3tPa55@mirror.example.com/k8s/core:/stable:'),
      'spec.kubernetes.packageRepository',
    ],
    [
      'a registry mirror',
      (i: Record<string, any>) =>
        (i.spec.containerRuntime = { registryMirrors: { 'docker.io': ['https://deploy:S3cr3tPa55@mirror.example.com'] } }),
      'spec.containerRuntime.registryMirrors["docker.io"][0]',
    ],
    [
      'a token-only userinfo',
      (i: Record<string, any>) => (i.spec.kubernetes.packageRepository = 'https://S3cr3tPa55@mirror.example.com/k8s'),
      'spec.kubernetes.packageRepository',
    ],
  ])('credentials inside %s URL are refused without echoing the secret', async (_name, edit, path) => {
    const r = await validate(edit);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`inv\\.yaml:\\d+:\\d+ ${path.replace(/[[\]."]/g, '\\$&')}: must not contain credentials`));
    expect(r.stderr).not.toContain('S3cr3tPa55');
    expect(r.stderr).toContain('https://***@mirror.example.com');
  });

  it('an @ in the path of an URL is not userinfo', async () => {
    const r = await validate((i) => (i.spec.kubernetes.packageRepository = 'https://mirror.example.com/pkgs/@k8s/core:/stable:'));
    expect(r.code, r.stderr).toBe(0);
  });

  it('an URL with credentials that is also malformed still never shows the password', async () => {
    const r = await validate((i) => (i.spec.kubernetes.packageRepository = 'https://deploy:S3cr3tPa55@mirror.example.com/a b'));
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('S3cr3tPa55');
  });
});

describe('playbook runs check the SSH key files before any connection', () => {
  it('plan with a keyPath that is a directory stops at exit 2, naming the field, having connected nowhere', async () => {
    const { main } = await import('../../../src/cli/main.js');
    const dir = tempDir();
    mkdirSync(join(dir, 'keys'));
    const inv = baseInventory();
    // 10.199.254.0/24 lies in the lab's unreachable route: even a regression could not send a packet anywhere.
    inv.spec.hosts.forEach((h: Record<string, any>, i: number) => (h.address = `10.199.254.${11 + i}`));
    inv.spec.ssh = { keyPath: './keys' };
    const file = join(dir, 'inv.yaml');
    writeFileSync(file, stringify(inv));
    let stderr = '';
    const out = { stdout: { write: () => undefined }, stderr: { write: (s: string) => void (stderr += s) }, isTTY: false, color: false };
    const code = await main(['plan', '-i', file], { out, env: {}, cwd: dir, signal: new AbortController().signal });
    process.exitCode = undefined;
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/inv\.yaml:\d+:5 spec\.ssh\.keyPath: \.\/keys is a directory/);
  });
});

describe('numbers beyond the safe-integer range', () => {
  it("name the field's own maximum, not 2^53-1", async () => {
    const r = await validate((i) => (i.spec.ssh.port = 1e21));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec\.ssh\.port: must be at most 65535, got 1e\+21/);
  });
});
