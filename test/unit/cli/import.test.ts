/** `kubesmith import` as a command: its flags, the look-ups it sends (read-only), and the file it writes. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/index.js';
import type { RecordingTransport } from '../../../src/transport/recording.js';
import { real } from '../fixtures-real/real.js';
import { cli, tempDir } from './helpers.js';

function cluster(t: RecordingTransport): void {
  const get = (what: RegExp, file: string | null) => t.expect(what, file ? { stdout: real('kubectl', file) } : { code: 1 });
  get(/get nodes -o json/, 'get-nodes-o-json.json');
  get(/configmap kubeadm-config -o json/, 'get-cm-kubeadm-config-runbook-init-o-json.json');
  get(/configmap kubelet-config -o json/, 'get-cm-kubelet-config-o-json.json');
  get(/configmap kube-proxy -o json/, 'get-cm-kube-proxy-v1.34-defaults-o-json.json');
  get(/get daemonsets --all-namespaces -o json/, 'get-ds-all-namespaces-o-json.json');
  get(/get -n kube-flannel configmap kube-flannel-cfg/, 'get-cm-kube-flannel-cfg-o-json.json');
  get(/get -n kube-system configmap kube-flannel-cfg/, null);
  get(/configmap cilium-config/, null);
  t.expect(/^find \/etc\/containerd\/certs.d/, { stdout: '/etc/containerd/certs.d/docker.io/hosts.toml\n' });
  t.expect(/^sha256sum/, { code: 1 });
  t.expect(/^sh -c 'for c in ipset ipvsadm/, { stdout: 'ipset\nipvsadm\n' });
  t.setFile('/etc/containerd/config.toml', real('containerd', 'config-default.toml'));
  t.setFile('/etc/containerd/certs.d/docker.io/hosts.toml', real('containerd', 'hosts-toml-mirror.toml'));
}

describe('kubesmith import', () => {
  it('reads the cluster with look-ups only and writes a valid, commented inventory', async () => {
    const dir = tempDir();
    let transport: RecordingTransport | undefined;
    const r = await cli(['import', '--from', '10.199.0.11', '--ssh-user', 'kube', '--ssh-key', 'keys/id', '-o', 'out.yaml'], {
      cwd: dir,
      prepare: (t) => {
        // the source connection reads the cluster; then the audit connects to every imported node, which answers
        // nothing here (unexpected commands fail: its checks are UNKNOWN, and the import still succeeds)
        if (t.host !== 'import-source') return;
        transport = t;
        cluster(t);
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('kubesmith audit of the imported cluster (kubesmith audit -i out.yaml repeats it)');
    transport!.assertDone();
    expect(transport!.calls.filter((c) => c.kind === 'writeFile' || c.kind === 'upload')).toEqual([]);
    expect(transport!.commands.every((c) => !/kubectl (apply|create|delete|edit|patch)/.test(c))).toBe(true);
    const text = readFileSync(join(dir, 'out.yaml'), 'utf8');
    const inv = parseInventory(text, 'out.yaml').inventory;
    expect(inv.spec.ssh).toMatchObject({ user: 'kube', keyPath: join(dir, 'keys/id') });
    expect(inv.spec.hosts.map((h) => h.name)).toEqual(['cp1', 'w1']);
    expect(text).toContain('# Imported by `kubesmith import --from 10.199.0.11`');
    expect(r.stderr).toContain('wrote out.yaml: 2 hosts (1 control planes), Kubernetes 1.34.1, containerd, flannel');
    expect(text).toContain('#   - kubernetes.packages: ipset ipvsadm installed');
  });

  it('--from-kubeasz and --from-kubespray read the files only, and write a valid inventory', async () => {
    const dir = tempDir();
    const fixtures = join(import.meta.dirname, '../../fixtures');
    const noConnect = (t: RecordingTransport) => t.expect('never', {});
    const easz = await cli(['import', '--from-kubeasz', join(fixtures, 'kubeasz/hosts.multi-node'), '-o', 'a.yaml'], {
      cwd: dir,
      prepare: noConnect,
    });
    expect(easz.code, easz.stderr).toBe(0);
    expect(easz.stderr).toContain('wrote a.yaml: 5 hosts (3 control planes)');
    const spray = await cli(['import', '--from-kubespray', join(fixtures, 'kubespray/sample'), '--ssh-user', 'ops', '-o', 'b.yaml'], {
      cwd: dir,
    });
    expect(spray.code, spray.stderr).toBe(0);
    const inv = parseInventory(readFileSync(join(dir, 'b.yaml'), 'utf8'), 'b.yaml').inventory;
    expect(inv.spec.ssh.user).toBe('ops');
    expect(readFileSync(join(dir, 'b.yaml'), 'utf8')).toContain('# Imported by `kubesmith import --from-kubespray');
    const missing = await cli(['import', '--from-kubeasz', join(dir, 'nope'), '-o', 'c.yaml'], { cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('--from-kubeasz: ENOENT')]);
    expect(existsSync(join(dir, 'c.yaml'))).toBe(false);
  });

  it('refuses bad usage before connecting', async () => {
    const dir = tempDir();
    const noConnect = (t: RecordingTransport) => t.expect('never', {});
    expect((await cli(['import', '-o', 'x.yaml'], { cwd: dir, prepare: noConnect })).stderr).toContain(
      'give exactly one of --from ADDRESS, --from-kubespray DIR or --from-kubeasz FILE',
    );
    expect((await cli(['import', '--from', '10.0.0.1'], { cwd: dir })).stderr).toContain('-o FILE is required');
    const policy = await cli(['import', '--from', '10.0.0.1', '--host-key-policy', 'yes', '-o', 'x.yaml'], { cwd: dir });
    expect([policy.code, policy.stderr]).toEqual([2, expect.stringContaining('--host-key-policy must be strict or accept-new')]);
    const hostile = await cli(['import', '--from', '10.0.0.1;reboot', '-o', 'x.yaml'], { cwd: dir });
    expect([hostile.code, hostile.stderr]).toEqual([2, expect.stringContaining('invalid --from/--ssh-* value')]);
    writeFileSync(join(dir, 'x.yaml'), 'mine\n');
    const exists = await cli(['import', '--from', '10.0.0.1', '-o', 'x.yaml'], { cwd: dir });
    expect([exists.code, exists.stderr]).toEqual([2, expect.stringContaining('x.yaml exists; use --force')]);
    expect(readFileSync(join(dir, 'x.yaml'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(dir, '.kubesmith'))).toBe(false);
  });
});
